"""The calendar file cache's entries, and their rows in the store (``filecache``).

A pass over a year of interviews looks at some 2,000 cached files and uses the parsed content
of only the few hundred upcoming ones: a past interview is settled by its ``stat`` and the end
of its last event. So a row is one line of text in two parts: a header of tab-separated fields
that every pass decodes (version, zone, identity, hash, trust, the last end, what else was
parsed), and a JSON tail with the intervals, the file's problems and the attendee's answer,
decoded only for a file the pass uses. Decoding every row as one JSON document was a third of
an idle pass.

A settled file (trusted, without problems or repetition, its last event ended before the
window) needs less still: only its identity, its hash and its last end. Those of every settled
file are kept together in one *summary* row (path ``filecache.SUMMARY``), one line of text per file, so a
pass decodes one JSON document instead of a row per past interview. What is dropped (its
intervals and the attendee's answer) is parsed from the file again if ever asked for (a window
that starts before the file's last end, an answer asked of a file whose event has ended).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from automation.core.icsbusy import FileBusy
from automation.core.models import Interval

log = logging.getLogger(__name__)

Identity = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
#: The "last end" of a file without events: before any window.
_NEVER = -(2**62)
_HEAD_FIELDS = 11  # then the JSON tail
_FLAGS = ("0", "1")
_DECODE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


def identity(info: os.stat_result) -> Identity:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def us(value: datetime) -> int:
    """Microseconds since the epoch (exact: the resolution of ``datetime``)."""
    return (value - _EPOCH) // _US


def at(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value))


class Entry(NamedTuple):
    """What is known of one file: its identity and hash, and what parsing it found. (A tuple,
    not a dataclass: a pass builds hundreds, and its class costs no generated code.)"""

    ident: Identity
    digest: str
    trusted: bool  # stat alone may vouch for the content (see filecache.RACY_SECONDS)
    busy: FileBusy | None = None
    answer: tuple[str, str | None] | None = None  # (the event's UID, the attendee's PARTSTAT)
    #: The end (µs) of the file's last event when nothing in it repeats, else None: that of
    #: ``busy`` (``with_busy``), or of content known settled without its busy time at hand
    #: (an entry taken back from the summary).
    last_end: int | None = None

    def settled_before(self, start: int) -> bool:
        """``busy.settled`` for a window starting at ``start`` (µs)."""
        return self.last_end is not None and self.last_end < start

    @property
    def has_problems(self) -> bool:
        return self.busy is not None and bool(self.busy.problems)

    @property
    def answered(self) -> bool:
        return self.answer is not None


def with_busy(entry: Entry, busy: FileBusy) -> Entry:
    """``entry`` with the busy time parsed from its content (and so its last end)."""
    last = None if busy.span is not None else \
        max((us(i.end) for i in busy.intervals), default=_NEVER)
    return entry._replace(busy=busy, last_end=last)


class Stored(NamedTuple):
    """A row as loaded: its header decoded, its parsed part (``tail``) not yet. (A tuple:
    some 2,000 are made on every pass.)"""

    ident: Identity
    digest: str
    trusted: bool
    last_end: int | None
    has_problems: bool
    answered: bool
    tail: str

    def settled_before(self, start: int) -> bool:
        return self.last_end is not None and self.last_end < start


class Rows:
    """Encodes and decodes the rows of one zone and cache version."""

    def __init__(self, zone: str, version: int) -> None:
        self.zone = json.dumps(zone)  # no tab or newline inside: safe in a header field
        self.version = str(version)
        self.summary_key = {"v": version, "zone": zone}  # what a summary row must say

    def encode(self, entry: Entry) -> str:
        busy = entry.busy
        tail: dict[str, Any] = {"answer": list(entry.answer) if entry.answer else None,
                                "busy": None}
        if busy is not None:
            tail["busy"] = {"i": [us(t) for i in busy.intervals for t in (i.start, i.end)],
                            "span": [us(busy.span.start), us(busy.span.end)]
                            if busy.span else None, "p": list(busy.problems)}
        head = [self.version, self.zone, *map(str, entry.ident), entry.digest,
                "1" if entry.trusted else "0",
                "" if entry.last_end is None else str(entry.last_end),
                "1" if entry.has_problems else "0", "1" if entry.answered else "0"]
        return "\t".join([*head, json.dumps(tail, separators=(",", ":"))])

    def head(self, payload: str) -> Stored | None:
        """The row's header, or None if it is not a row of this version and zone."""
        fields = payload.split("\t", _HEAD_FIELDS)
        if len(fields) != _HEAD_FIELDS + 1 or fields[0] != self.version \
                or fields[1] != self.zone or not fields[6]:
            return None
        trusted, problems, answered = fields[7], fields[9], fields[10]
        if trusted not in _FLAGS or problems not in _FLAGS or answered not in _FLAGS:
            return None
        try:  # _make: tuple.__new__ itself, without the Python-level __new__ (2,000 a pass)
            return Stored._make(((int(fields[2]), int(fields[3]), int(fields[4]),
                                  int(fields[5])), fields[6], trusted == "1",
                                 int(fields[8]) if fields[8] else None, problems == "1",
                                 answered == "1", fields[11]))
        except ValueError:
            log.debug("calendar cache row ignored (it does not decode)", exc_info=True)
            return None

    def full(self, stored: Stored) -> Entry | None:
        """The whole entry, or None if the tail does not decode (a corrupt row)."""
        try:
            doc = json.loads(stored.tail)
            busy = None
            if doc["busy"] is not None:
                b, flat = doc["busy"], doc["busy"]["i"]
                busy = FileBusy(tuple(Interval(at(s), at(e))
                                      for s, e in zip(flat[::2], flat[1::2], strict=True)),
                                Interval(at(b["span"][0]), at(b["span"][1]))
                                if b["span"] else None, tuple(map(str, b["p"])))
            answer = doc["answer"]
            # The header's last end is the one ``with_busy`` found when the row was written
            # (the pass already went by it for this file): not found again.
            return Entry(stored.ident, stored.digest, stored.trusted, busy,
                         (str(answer[0]), None if answer[1] is None else str(answer[1]))
                         if answer else None, stored.last_end)
        except _DECODE_ERRORS:
            log.debug("calendar cache row ignored (it does not decode)", exc_info=True)
            return None

    # -- the summary of settled files ------------------------------------------------------

    def summary(self, payload: str) -> tuple[dict[str, str], int] | None:
        """The summary row's lines by path and the time (µs) no line's last end is later than,
        or None if it is not a summary of this version and zone."""
        try:
            doc = json.loads(payload)
            files, upto = doc["files"], doc["upto"]
            if doc["v"] != self.summary_key["v"] or doc["zone"] != self.summary_key["zone"] \
                    or type(upto) is not int or type(files) is not dict or \
                    not all(type(line) is str for line in files.values()):
                return None
            return files, upto
        except _DECODE_ERRORS:
            log.debug("calendar cache summary ignored (it does not decode)", exc_info=True)
            return None

    def encode_summary(self, lines: dict[str, str], upto: int) -> str:
        return json.dumps({**self.summary_key, "upto": upto, "files": lines},
                          separators=(",", ":"))


def settled_line(head: Entry | Stored) -> str:
    """A settled file's line in the summary: its identity, last end and hash. An unchanged
    file's line starts with ``stat_prefix`` of its stat."""
    return f"{' '.join(map(str, head.ident))} {head.last_end} {head.digest}"


def stat_prefix(info: os.stat_result) -> str:
    """What the summary line of a file with this stat starts with (compared as text: a pass
    decodes no number of the 2,000 lines)."""
    return f"{info.st_size} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_ino} "


def line_end(line: str) -> int:
    """The last end (µs) in a summary line (ValueError if the line is not one)."""
    return int(line.split(" ", 5)[4])


def unsettled(line: str) -> Entry | None:
    """The entry a summary line stands for (trusted, settled, nothing parsed at hand), or None
    if the line does not decode."""
    fields = line.split(" ")
    try:
        size, mtime, ctime, inode, end = map(int, fields[:5])
    except ValueError:
        return None
    if len(fields) != 6 or not fields[5]:
        return None
    return Entry((size, mtime, ctime, inode), fields[5], True, last_end=end)
