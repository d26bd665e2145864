"""``import_contacts`` writes a big first import while reading it (``store.import_stream``):
whatever the file holds (new, updated, unchanged, skipped and repeated rows, a referrer, tags),
the database, the summary and the messages are those of the import that reads first and
writes after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import fixed_clock
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.adapters.store import freshrows, streamwrite
from automation.app.contacts import ImportSummary, import_contacts
from automation.bootstrap import open_services
from automation.config import load_config
from automation.interfaces.cli.setup_cmds import CONFIG_TEMPLATE

MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=ZoneInfo("America/New_York"))
HEADER = "First Name,Last Name,Email Address,Company,Position,Time Zone\n"
TABLES = ("contacts", "aliases", "timeline", "created_runs", "referrals")


def _new_rows(start: int, count: int) -> str:
    return "".join(f"F{i},L{i},p{i}@example.com,Co {i % 7},Role,\n"
                   for i in range(start, start + count))


#: Files and what is special in them; the earlier import holds p0..p9. A chunk of the reading
#: is 200 rows: what the 400-row files hold late, the stream learns after writing rows.
FILES = {
    "all new": _new_rows(100, 60),
    "mixed": (_new_rows(5, 10)  # p5..p9 stored (updated: the tag and referrer); p10..p14 new
              + "F6,L6,p6@example.com,New Co,Role,\n"  # a repeat of p6: merged, a warning
              + ",,not-an-address,Co,Role,\n"  # skipped
              + "No,Email,,Co,Role,\n"  # skipped
              + "Zed,Zone,zone@example.com,Co,Role,Mars/Base\n"  # imported, a warning
              + _new_rows(200, 46)),
    "repeated late": _new_rows(300, 300) + "Again,Here,p305@example.com,,,Europe/Paris\n"
    + _new_rows(1000, 99),
    "stored late": _new_rows(2000, 300) + "F3,L3,p3@example.com,Other Co,Role,\n"
    + _new_rows(3000, 99),
}


def _import(tmp_path: Path, name: str, body: str, stream_at: int,
            monkeypatch: pytest.MonkeyPatch) -> tuple[ImportSummary, dict[str, list[tuple]]]:
    folder = tmp_path / name
    folder.mkdir(parents=True)
    config = folder / "automation.toml"
    config.write_text(CONFIG_TEMPLATE.format(name="Alex Rivera", email="alex@example.org",
                                             timezone="America/New_York"))
    svc = open_services(load_config(config), fixed_clock(MONDAY), mailbox=MemoryMailbox(),
                        calendar=MemoryCalendar())
    try:
        earlier = folder / "earlier.csv"
        earlier.write_text(HEADER + _new_rows(0, 10), encoding="utf-8")
        import_contacts(svc, earlier)  # below any threshold: the usual way
        path = folder / "connections.csv"
        path.write_text(HEADER + body, encoding="utf-8")
        monkeypatch.setattr(streamwrite, "STREAM_AT", stream_at)
        summary = import_contacts(svc, path, tags=["alumni"], referred_by="p0@example.com")
        dump = {t: [tuple(r) for r in svc.store.conn.execute(f"SELECT * FROM {t} ORDER BY 1")]
                for t in TABLES}
    finally:
        svc.close()
    return summary, dump


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streamwrite, "BATCH", 16)
    monkeypatch.setattr(freshrows, "ROWS", 5)


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, bool]]]:
    """Per import: how many batches its stream handed to the writer, and whether they stayed
    written."""
    seen: list[tuple[int, bool]] = []
    finish, send = streamwrite.ImportStream.finish, streamwrite.ImportStream._send
    batches = [0]

    def count(self: streamwrite.ImportStream) -> None:
        batches[0] += bool(self._pending)
        send(self)

    def spy(self: streamwrite.ImportStream, records: object) -> object:
        got = finish(self, records)  # type: ignore[arg-type]
        seen.append((batches[0], got is not None))
        batches[0] = 0
        return got

    monkeypatch.setattr(streamwrite.ImportStream, "_send", count)
    monkeypatch.setattr(streamwrite.ImportStream, "finish", spy)
    yield seen


@pytest.mark.parametrize("name", FILES)
def test_streaming_an_import_changes_nothing_it_leaves(
        tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch,
        streamed: list[tuple[int, bool]]) -> None:
    after, after_dump = _import(tmp_path / "read-then-write", name, FILES[name], 10**9,
                                monkeypatch)
    during, during_dump = _import(tmp_path / "while-reading", name, FILES[name], 20,
                                  monkeypatch)
    assert during == after
    assert during_dump == after_dump
    # The earlier imports are too small to stream, and so is every file when the threshold
    # is out of reach; a file whose every row is a new address stays written by its stream,
    # one that names a stored contact at once is not streamed, and one that turns out not
    # to be new after some batches were written has them rolled back.
    (_, first), (_, no_stream), (_, second), (batches, kept) = streamed
    assert not (first or no_stream or second)
    assert (batches > 0, kept) == {"all new": (True, True), "mixed": (False, False),
                                   "repeated late": (True, False),
                                   "stored late": (True, False)}[name]


def test_the_mixed_file_is_not_trivial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary, _ = _import(tmp_path, "mixed", FILES["mixed"], 20, monkeypatch)
    assert (summary.created, summary.updated, summary.unchanged) == (52, 5, 0)
    assert [row.line for row in summary.result.skipped] == [13, 14]
    assert [row.line for row in summary.result.warnings] == [12, 15]
