"""The templates' sandbox: Jinja's, plus a bound on the work a template may do.

Jinja's ``SandboxedEnvironment`` keeps a template away from the system and refuses
``range()`` over 100,000 items, but nested loops under that cap (``range(99999)`` twice: ten
billion steps) and huge values (``'x' * 10**9``, ``10**10**8``) still run for hours or fill
the memory, and a loop that prints nothing gives the output bound nothing to count. Here
every ``{% for %}`` counts its steps against a per-render budget, and ``*``, ``**`` and calls
refuse results beyond a size, so a runaway template costs about a normal render before it
stops with ``OverflowError`` (``compose.render`` turns that into a clear TemplateError).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

#: Loop steps one render may take; a message over a contact's fields needs a few hundred.
MAX_LOOP_STEPS = 100_000
#: Largest string, list or number (in digits) an operator or a call may produce.
MAX_VALUE_SIZE = 1_000_000

#: Every attribute a plain dict has (``getattr`` finds nothing else on one).
_DICT_ATTRIBUTES = frozenset(dir(dict))

_steps: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("steps", default=None)


@contextlib.contextmanager
def budget() -> Iterator[None]:
    """A fresh loop budget for the renders inside the block."""
    token = _steps.set([MAX_LOOP_STEPS])
    try:
        yield
    finally:
        _steps.reset(token)


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    left = _steps.get()
    for item in iterable:
        if left is not None:
            left[0] -= 1
            if left[0] < 0:
                raise OverflowError(f"over {MAX_LOOP_STEPS:,} loop steps")
        yield item


def _too_big(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() > MAX_VALUE_SIZE * 3.33  # about a million decimal digits
    return isinstance(value, str | bytes | list | tuple) and len(value) > MAX_VALUE_SIZE


def _check_size(operation: str, value: Any) -> Any:
    if _too_big(value):
        raise OverflowError(f"{operation} gives a value too large for a message")
    return value


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox with a loop budget and size-checked ``*``, ``**`` and calls."""

    intercepted_binops = frozenset(["*", "**"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Filters are called directly, not through ``call``: 'x'|center(10**9) is checked here.
        self.filters = {name: _size_checked(f) for name, f in self.filters.items()}
        self.filters["_counted"] = _counted

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Jinja's ``getattr``, reading a plain dict's item first when no attribute of that
        name exists (Jinja would look for one, fail and then read the item: an exception
        raised and caught for each of a dozen fields in every message)."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except LookupError:
                pass  # undefined: Jinja's path says so in its own words
        return super().getattr(obj, attribute)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):  # every loop's items pass through the budget
            loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None,
                                     lineno=loop.iter.lineno)
        return tree

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "**" and isinstance(left, int) and isinstance(right, int) and \
                abs(left) > 1 and right > 0 and right * max(abs(left), 2).bit_length() > \
                MAX_VALUE_SIZE * 3.33:
            raise OverflowError(f"{left} ** {right} gives a value too large for a message")
        if op == "*" and isinstance(right, int) and _too_big_repeat(left, right) or \
                op == "*" and isinstance(left, int) and _too_big_repeat(right, left):
            raise OverflowError("a repetition gives a value too large for a message")
        return super().call_binop(context, op, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any,  # noqa: N805 (Jinja's names)
             **kwargs: Any) -> Any:
        # "x".ljust(10**9), "{:>1000000000}".format(1): refuse the size before it is built.
        if any(isinstance(a, int) and not isinstance(a, bool) and a > MAX_VALUE_SIZE
               for a in (*args, *kwargs.values())):
            raise OverflowError("a call with a number over "
                                f"{MAX_VALUE_SIZE:,} gives a value too large for a message")
        return _check_size("a call", super().call(__context, __obj, *args, **kwargs))


def _size_checked(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` refusing a width or count over the size (its value, the first argument after a
    context a filter may take, is not a width)."""
    skip = 2 if getattr(f, "jinja_pass_arg", None) else 1

    @functools.wraps(f)  # keeps jinja_pass_arg, which tells Jinja what to pass first
    def checked(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, int) and not isinstance(a, bool) and a > MAX_VALUE_SIZE
               for a in (*args[skip:], *kwargs.values())):
            raise OverflowError(f"a filter argument over {MAX_VALUE_SIZE:,} gives a value too "
                                "large for a message")
        return f(*args, **kwargs)

    return checked


def _too_big_repeat(seq: Any, times: int) -> bool:
    return isinstance(seq, str | bytes | list | tuple) and len(seq) * times > MAX_VALUE_SIZE

