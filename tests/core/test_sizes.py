"""The size rule: no module over 400 lines and no function over 50 without a written reason.

Sizes are read with ``ast`` from the source of ``automation/``:

- a module's size is its number of lines;
- a function's or method's size is ``end_lineno - lineno + 1`` of its ``def``: from the ``def``
  line to its last line, docstring and nested functions included, decorators not. A nested
  function is measured on its own as well, under ``outer.inner``.

A reason is a line of the module's (or the function's) docstring that starts with
``Long because:``, followed by why splitting would make the code worse. ``ALLOWLIST`` names
the oversize code that has neither been split nor given a reason yet; it may only shrink: the
test fails when an entry is no longer oversize (or has gained a reason), so remove it then.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "automation"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
REASON = "Long because:"

# Today's oversize code, to be split or explained. Remove each entry as it is fixed; never add
# one (write a ``Long because:`` reason instead when a size is right).
ALLOWLIST = frozenset({
    "app/booking.py",
    "core/slots.py",
    "core/slots.py:find_slots",
})

Def = ast.FunctionDef | ast.AsyncFunctionDef


def has_reason(docstring: str | None) -> bool:
    """True when one line of ``docstring`` starts with the ``Long because:`` marker."""
    return any(line.strip().startswith(REASON) for line in (docstring or "").splitlines())


def _functions(node: ast.AST, prefix: str = "") -> list[tuple[str, Def]]:
    """Every function under ``node`` with its dotted name (``Class.method``, ``outer.inner``)."""
    found: list[tuple[str, Def]] = []
    for child in ast.iter_child_nodes(node):
        name = prefix
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = f"{prefix}{child.name}"
            found.append((name, child))
            name += "."
        elif isinstance(child, ast.ClassDef):
            name = f"{prefix}{child.name}."
        found.extend(_functions(child, name))
    return found


def oversize(source: str, label: str) -> dict[str, int]:
    """The oversize parts of one module's ``source`` without a reason: ``{entry: lines}``.

    The module's entry is ``label`` itself, a function's is ``label:dotted.name``.
    """
    tree = ast.parse(source)
    found: dict[str, int] = {}
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES and not has_reason(ast.get_docstring(tree)):
        found[label] = lines
    for name, func in _functions(tree):
        size = (func.end_lineno or func.lineno) - func.lineno + 1
        if size > MAX_FUNCTION_LINES and not has_reason(ast.get_docstring(func)):
            found[f"{label}:{name}"] = size
    return found


def package_oversize() -> dict[str, int]:
    """``oversize`` over every module of the package, labelled by path under ``automation/``."""
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found.update(oversize(path.read_text(encoding="utf-8"),
                              path.relative_to(PACKAGE).as_posix()))
    return found


def test_no_new_oversize_code_without_a_reason() -> None:
    new = {entry: size for entry, size in package_oversize().items() if entry not in ALLOWLIST}
    assert not new, (
        f"over {MAX_MODULE_LINES} lines per module or {MAX_FUNCTION_LINES} per function: {new}; "
        f"split it by concern, or start a line of its docstring with {REASON!r} and say why")


def test_the_allowlist_only_shrinks() -> None:
    fixed = sorted(ALLOWLIST - package_oversize().keys())
    assert not fixed, f"no longer oversize (or now explained): remove {fixed} from ALLOWLIST"


def _function(name: str, lines: int, docstring: str) -> str:
    body = "\n".join(f"    x{i} = {i}" for i in range(lines - 2))
    return f"def {name}():\n    {docstring!r}\n{body}\n"


def test_a_long_function_is_found_and_a_reason_excuses_it() -> None:
    at_limit = _function("fits", MAX_FUNCTION_LINES, "Short enough.")
    too_long = _function("sprawls", MAX_FUNCTION_LINES + 1, "No excuse.")
    explained = _function("explained", MAX_FUNCTION_LINES + 1,
                          "One table.\n\nLong because: one decision table reads best whole.")
    method = "class Box:\n" + "\n".join(
        "    " + line for line in _function("open", MAX_FUNCTION_LINES + 1, "M.").splitlines())
    source = "\n".join([at_limit, too_long, explained, method])
    assert oversize(source, "m.py") == {"m.py:sprawls": MAX_FUNCTION_LINES + 1,
                                        "m.py:Box.open": MAX_FUNCTION_LINES + 1}


def test_a_long_module_is_found_and_a_reason_excuses_it() -> None:
    filler = "\n".join(f"X{i} = {i}" for i in range(MAX_MODULE_LINES))
    assert oversize(f'"""Constants."""\n{filler}\n', "m.py") == {"m.py": MAX_MODULE_LINES + 1}
    explained = f'"""Constants.\n\nLong because: one generated table.\n"""\n{filler}\n'
    assert oversize(explained, "m.py") == {}
    assert oversize(filler[: filler.index(f"X{MAX_MODULE_LINES - 1}")], "m.py") == {}
