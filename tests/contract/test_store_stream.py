"""A big first import written while its file is read (``adapters/store/streamwrite``): the
database it leaves and the outcomes it returns are those of upserting the rows one by one; a
row that is not new (a stored address or alias, an extra address, an address not normalised,
a repeated one, a record a later row merged into) rolls back what the stream wrote and the
file goes the usual way; a failure in the writer fails the import and leaves nothing behind.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from automation.adapters.store import Store, freshrows, streamwrite
from automation.core.records import ContactRecord
from tests.contract.test_store_fresh_rows import _fresh
from tests.contract.test_store_import import NOW, _dump, _one_by_one, _seed


class _Settled:
    """Counts the batches handed to writers and written, to wait until the writer has written
    all it was handed (so that a later bad row finds rows written to roll back)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent = self.written = 0
        self.changed = threading.Condition()
        send, write = streamwrite.ImportStream._send, streamwrite.ImportStream._write

        def counted_send(stream: streamwrite.ImportStream) -> None:
            with self.changed:
                self.sent += bool(stream._pending)
            send(stream)

        def counted_write(stream: streamwrite.ImportStream, *args: object) -> None:
            try:
                write(stream, *args)  # type: ignore[arg-type]
            finally:  # a failed write counts too: the writer has ended
                with self.changed:
                    self.written += 1
                    self.changed.notify_all()

        monkeypatch.setattr(streamwrite.ImportStream, "_send", counted_send)
        monkeypatch.setattr(streamwrite.ImportStream, "_write", counted_write)

    def wait(self) -> None:
        """Until the writer has written all it was handed, or has ended (it failed)."""
        def done() -> bool:
            writing = any(t.name == "import-writer" for t in threading.enumerate())
            return self.written >= self.sent or not writing

        deadline = time.monotonic() + 60
        with self.changed:
            while not self.changed.wait_for(done, timeout=0.05):
                assert time.monotonic() < deadline, "the writer neither wrote nor ended"


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams from a few rows on, several batches and statements each."""
    monkeypatch.setattr(streamwrite, "STREAM_AT", 5)
    monkeypatch.setattr(streamwrite, "BATCH", 7)
    monkeypatch.setattr(freshrows, "ROWS", 3)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> _Settled:
    return _Settled(monkeypatch)


def _import(store: Store, chunks: Sequence[Sequence[ContactRecord]], settled: _Settled, *,
            tags: Sequence[str] = (), referrer: int | None = None,
            merged: int | None = None) -> tuple[list[tuple[int, str]], bool]:
    """Hand ``chunks`` to a stream as ``read_contacts`` does (waiting after each until the
    writer has written what it was handed), then write what it did not; ``merged``: the
    record at that index is replaced after the stream took it. Returns the outcomes and
    whether the stream wrote them."""
    records: list[ContactRecord] = []
    total = sum(map(len, chunks))
    with store.transaction():
        with store.import_stream(NOW, tags=tags, referred_by=referrer) as stream:
            for chunk in chunks:
                records.extend(chunk)
                stream.take(records, total)
                settled.wait()
            if merged is not None:
                records[merged] = replace(records[merged], company="Merged Co")
            got = stream.finish(records)
        streamed = got is not None
        if got is None:
            got = store.upsert_contacts(records, NOW, tags=tags, referred_by=referrer)
        if referrer is not None:
            store.add_referrals(referrer, [cid for cid, _ in got], NOW)
    return got, streamed


def _chunked(records: list[ContactRecord], rng: random.Random) -> list[list[ContactRecord]]:
    chunks, start = [], 0
    while start < len(records):
        size = rng.randrange(1, 9)
        chunks.append(records[start:start + size])
        start += size
    return chunks


@pytest.mark.parametrize("seed", range(8))
def test_a_streamed_import_is_the_rows_upserted_one_by_one(tmp_path: Path, seed: int,
                                                            settled: _Settled) -> None:
    rng = random.Random(seed)
    records = _fresh(rng, rng.randrange(25, 70))  # more than a seeded database holds
    tags = rng.choice(((), ("b", "a"), ("it's", 'say "hi"')))
    switch = sys.getswitchinterval()
    with Store.open(tmp_path / "stream.db") as stream, Store.open(tmp_path / "each.db") as each:
        referrer = None
        if seed % 2:  # beside an earlier import, or into an empty database
            referrer = _seed(stream, random.Random(seed))
            assert _seed(each, random.Random(seed)) == referrer
        got, streamed = _import(stream, _chunked(records, rng), settled, tags=tags,
                                referrer=referrer)
        assert streamed
        assert got == _one_by_one(each, records, tuple(tags), referrer)
        assert _dump(stream) == _dump(each)
        # The indexes dropped for the load are all back.
        assert stream.conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() \
            == each.conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert sys.getswitchinterval() == switch
    assert not [t for t in threading.enumerate() if t.name == "import-writer"]


@pytest.mark.parametrize("case", ["stored", "alias", "extra", "not normalised", "repeated",
                                  "merged"])
def test_a_row_that_is_not_new_sends_the_file_the_usual_way(tmp_path: Path, case: str,
                                                           settled: _Settled) -> None:
    records = _fresh(random.Random(3), 40)
    change = {"stored": {"email": "old@example.com"}, "alias": {"email": "alias@example.com"},
              "extra": {"extra_emails": ("more@example.com",)},
              "not normalised": {"email": "Shout@Example.com"},
              "repeated": {"email": records[2].email}}.get(case)
    if change is not None:  # late in the file: the stream has written batches before it
        records[33] = replace(records[33], **change)  # type: ignore[arg-type]
    with Store.open(tmp_path / "stream.db") as stream, Store.open(tmp_path / "each.db") as each:
        for store in (stream, each):
            store.upsert_contact(ContactRecord(email="old@example.com", line=1,
                                               extra_emails=("alias@example.com",)), NOW)
        got, streamed = _import(stream, [records[i:i + 4] for i in range(0, 40, 4)], settled,
                                merged=5 if case == "merged" else None)
        assert not streamed
        assert settled.written >= 4  # rows were written before the stream learnt otherwise
        if case == "merged":
            records[5] = replace(records[5], company="Merged Co")
        assert got == _one_by_one(each, records, (), None)
        assert _dump(stream) == _dump(each)


def test_a_small_file_is_not_streamed(tmp_path: Path, settled: _Settled) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        got, streamed = _import(store, [_fresh(random.Random(1), 4)], settled)
        assert not streamed
        assert [outcome for _, outcome in got] == ["created"] * 4


def test_a_database_bigger_than_the_file_is_not_streamed(tmp_path: Path,
                                                          settled: _Settled) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        store.upsert_contacts(_fresh(random.Random(1), 30, start=1000), NOW)
        got, streamed = _import(store, [_fresh(random.Random(2), 10)], settled)
        assert not streamed
        assert len(store.list_contacts()) == 40


def test_a_failing_write_fails_the_import_and_leaves_nothing(tmp_path: Path,
                                                             settled: _Settled) -> None:
    records = _fresh(random.Random(4), 40)
    with Store.open(tmp_path / "db.sqlite") as store:
        store.upsert_contact(ContactRecord(email="kept@example.com", line=2, name="Kept"), NOW)
        before = _dump(store)
        # A real failure inside the writer (a full disk would do the same).
        store.conn.execute("CREATE TRIGGER boom BEFORE INSERT ON contacts "
                           f"WHEN NEW.email = '{records[20].email}' "
                           "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        with pytest.raises(sqlite3.IntegrityError, match="disk full"):
            _import(store, [records[i:i + 4] for i in range(0, 40, 4)], settled)
        assert _dump(store) == before
        assert not store.conn.in_transaction
    assert not [t for t in threading.enumerate() if t.name == "import-writer"]


def test_a_stream_left_without_finishing_leaves_nothing(tmp_path: Path) -> None:
    records = _fresh(random.Random(5), 30)
    with Store.open(tmp_path / "db.sqlite") as store:
        before = _dump(store)
        with store.transaction(), store.import_stream(NOW) as stream:
            stream.take(records, len(records))
        assert _dump(store) == before
        assert store.conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                  " AND name = 'contacts_company'").fetchone()[0] == 1


def test_the_saving_progress_follows_the_batches(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    records = _fresh(random.Random(6), 20)
    with Store.open(tmp_path / "db.sqlite") as store, store.transaction():
        with store.import_stream(NOW, progress=lambda d, t: calls.append((d, t))) as stream:
            stream.take(records[:10], 22)  # 22 rows: two were skipped or merged
            stream.take(records, 22)
            assert stream.finish(records) is not None
    assert calls == [(10, 22), (20, 22), (20, 20)]  # the end: the records, once
