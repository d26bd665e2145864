"""Regular expressions compiled on first use.

The reply reader's tables (how people say no, name a slot, announce an absence, in nine
languages) are large alternations: compiling them all cost a tenth of a second at every
start-up, while a pass with no new mail uses none of them. ``lazy_compile`` takes what
``re.compile`` takes and returns an object that compiles on first use and from then on hands
out the compiled pattern's own methods (kept on the instance: no indirection afterwards).

Use it for module-level constants whose attributes are called (``.search``, ``.sub``...); a
pattern handed to another function of ``re`` (``re.sub(PATTERN, ...)``) must be compiled.
"""

from __future__ import annotations

import re
from typing import Any, cast

__all__ = ["lazy_compile"]


class _LazyPattern:
    """Stands for ``re.compile(pattern, flags)``; ``pattern`` is there without compiling."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:  # only names not yet on the instance
        if name.startswith("__") or "_flags" not in self.__dict__:
            raise AttributeError(name)  # copy/pickle probes, or a half-built instance
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self._flags)
        value = getattr(self._compiled, name)
        self.__dict__[name] = value  # the next look-up finds it without coming here
        return value

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r}, {self._flags!r})"


def lazy_compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done when the pattern is first used."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, int(flags)))
