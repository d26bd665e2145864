"""The CLI's consoles (interfaces/cli/root.py) import rich only when it changes what is
printed: a plain line comes out byte for byte as rich prints it, on a pipe and on a terminal;
markup, emoji codes, tabs and wide characters still go through rich."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from automation.interfaces.cli.root import _LazyConsole

PLAIN = [
    "Nothing to do: everything is up to date.",
    "300 new contact(s) wait for a colleague at the same employer (3B: 3 business days "
    "without a reply); see `automation employers`",
    "No contacts yet: `automation import FILE` adds some.",
    "Drafts are in /srv/x y/mail/Drafts",
    "  trailing spaces  ",
    "",
    "a\\b ] } ~",
]
RICH = [
    "[bold]Drafted[/] 3",           # markup
    "Hello :smile: there",          # an emoji code
    "tab\there",                    # rich expands tabs
    "Zoë wrote: café",              # not ASCII
    "line one\nline two",           # more than one line
    "Last run: 08:30:00 (ok)",      # looks like an emoji code
]


def rich_output(text: str, terminal: bool, **options: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, highlight=False, soft_wrap=True, force_terminal=terminal,
                      color_system="truecolor" if terminal else None, width=40)
    console.print(text, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


@pytest.mark.parametrize("text", PLAIN)
@pytest.mark.parametrize("options", [{}, {"markup": False}, {"markup": False, "highlight": False}])
def test_a_plain_line_is_printed_as_rich_prints_it_without_rich(
        text: str, options: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr("sys.stdout", stdout)
    console = _LazyConsole(highlight=False, soft_wrap=True)
    console.print(text, **options)
    assert vars(console)["_console"] is None  # rich was not needed
    assert stdout.getvalue() == rich_output(text, False, **options)
    assert stdout.getvalue() == rich_output(text, True, **options)  # a terminal: no codes


@pytest.mark.parametrize("text", RICH)
def test_anything_rich_would_change_goes_through_rich(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr("sys.stdout", stdout)
    console = _LazyConsole(highlight=False, soft_wrap=True)
    console.print(text)
    assert vars(console)["_console"] is not None
    assert stdout.getvalue() == rich_output(text, False)


def test_markup_off_lets_brackets_through_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.StringIO()
    monkeypatch.setattr("sys.stdout", stdout)
    console = _LazyConsole(highlight=False, soft_wrap=True)
    console.print("re: [external] hello", markup=False)
    assert vars(console)["_console"] is None
    assert stdout.getvalue() == rich_output("re: [external] hello", False, markup=False)


def test_once_rich_is_in_use_every_line_goes_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a table or a progress bar the console is rich's: lines keep their order."""
    stdout = io.StringIO()
    monkeypatch.setattr("sys.stdout", stdout)
    console = _LazyConsole(highlight=False, soft_wrap=True)
    console.print("first")
    console.print("[bold]second[/]")
    console.print("third")
    assert stdout.getvalue() == "first\nsecond\nthird\n"


def test_the_error_console_writes_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", stdout)
    monkeypatch.setattr("sys.stderr", stderr)
    _LazyConsole(stderr=True, highlight=False, soft_wrap=True).print("aborted")
    assert (stdout.getvalue(), stderr.getvalue()) == ("", "aborted\n")


def test_rich_widgets_get_the_console_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """A progress bar drives the console through ``with`` and rich's own calls."""
    from rich.progress import Progress

    from automation.interfaces.cli.root import rich_console

    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    lazy = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)
    console = rich_console(lazy)  # type: ignore[arg-type]
    assert isinstance(console, Console) and rich_console(console) is console
    with Progress(console=console, transient=True) as progress:
        progress.add_task("import", total=3)
    with lazy:
        lazy.print("[bold]done[/]")
    assert stderr.getvalue().endswith("done\n")
