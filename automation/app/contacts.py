"""Use cases over contacts: importing (with referrals)."""

from __future__ import annotations

import gc
import operator
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from automation.app.services import Services
from automation.core.importers import ImportResult, read_contacts


@dataclass(frozen=True)
class ImportSummary:
    result: ImportResult
    created: int
    updated: int
    unchanged: int = 0


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a file is imported.

    An import keeps hundreds of thousands of new rows, cells and records alive at once, which
    no cycle holds (each is freed by its reference count as usual); the collector still ran
    every 700 allocations, walking all of them again each time it reached the oldest
    generation: a third of a big import's time. It runs again as before afterwards.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            _promote_survivors()
            gc.enable()


#: Objects tracked since the pause above which the import's survivors are promoted.
_PROMOTE_AT = 100_000


def _promote_survivors() -> None:
    """Move every tracked object to the oldest generation when the import left many behind.

    While collection is paused, every object the import made and kept (its records) is still
    counted in the youngest generation, so the first collection afterwards walked them all:
    60 ms after 100,000 rows, to find no garbage. In the oldest generation they wait for the
    next full collection like any long-lived object. ``gc.freeze`` then ``gc.unfreeze`` does
    that move in two list splices (it also returns what was frozen before to the oldest
    generation: collected again from then on, as objects there are).
    """
    if gc.get_count()[0] >= _PROMOTE_AT:
        gc.freeze()
        gc.unfreeze()


def import_contacts(svc: Services, path: Path, *, fmt: str = "auto", tags: Sequence[str] = (),
                    referred_by: str | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    saving: Callable[[int, int], None] | None = None) -> ImportSummary:
    """Read ``path`` and upsert every valid row in one transaction.

    With ``referred_by`` (an existing contact's email), each imported contact records that
    person as its referrer, and the outreach will name them. ``progress(done, total)`` follows
    the rows read, then ``saving(done, total)`` the contacts written.
    """
    store, now = svc.store, svc.clock()
    referrer = store.require_contact(referred_by) if referred_by else None
    by = referrer.id if referrer else None
    with _no_cycle_collection():
        with store.transaction():
            # A big first import is written while it is read (the two overlap); any other
            # file after it is read, by upsert_contacts.
            with store.import_stream(now, tags=tags, referred_by=by, progress=saving) as stream:
                result = read_contacts(path, fmt, progress=progress, grown=stream.take)
                outcomes = stream.finish(result.records)
            if outcomes is None:
                outcomes = store.upsert_contacts(result.records, now, tags=tags,
                                                 referred_by=by, progress=saving)
        if referrer is not None:
            store.add_referrals(referrer.id or 0, [cid for cid, _ in outcomes], now)
    counts = Counter(map(operator.itemgetter(1), outcomes))
    return ImportSummary(result=result, created=counts["created"], updated=counts["updated"],
                         unchanged=counts["unchanged"])
