"""Every command documents itself: a command without help text fails this test. The lazy
command table (root.COMMANDS) agrees with the commands it stands for."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from automation.interfaces.cli import cli
from automation.interfaces.cli.root import COMMANDS as LAZY


def walk(commands: dict[str, click.Command], prefix: tuple[str, ...] = ()):
    for name, command in sorted(commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from walk(command.commands, (*prefix, name))


COMMANDS = list(walk(cli.load_all()))


def test_the_contract_commands_exist() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert names >= {"init", "import", "contacts", "run", "status", "templates check", "book",
                     "cancel", "reschedule", "show", "mark", "note", "refer", "auth", "doctor",
                     "daemon"}


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help(path, command, workspace) -> None:
    assert (command.help or "").strip(), f"`automation {' '.join(path)}` has no help text"
    result = workspace.run(*path, "--help")
    assert result.code == 0 and "Usage:" in result.out
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} lacks help"


def test_every_command_is_in_the_lazy_table_with_its_own_short_help() -> None:
    """``automation --help`` shows the table's short help without importing the commands; it
    must be the first paragraph of each command's docstring, from the module the table names."""
    loaded = cli.load_all()
    assert set(loaded) == set(LAZY)
    for name, command in loaded.items():
        assert command.callback is not None
        assert command.callback.__module__ == LAZY[name].module, name
        first_paragraph = " ".join((command.help or "").partition("\n\n")[0].split())
        assert LAZY[name].help == first_paragraph, f"root.COMMANDS[{name!r}] drifted"
        assert command.short_help is None and not command.hidden and not command.deprecated


def test_help_lists_the_same_commands_lazily_as_with_every_module_imported() -> None:
    """The listing built from the table is byte for byte click's own, over loaded commands."""
    def help_output(code: str) -> str:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env={"COLUMNS": "100", "PATH": ""}).stdout
    run = ("from automation.interfaces.cli import main\ntry:\n    main(['--help'])\n"
           "except SystemExit:\n    pass\n")
    lazy = help_output(run)
    eager = help_output("import click\nfrom automation.interfaces.cli import cli\n"
                        "cmds = cli.load_all()\n"
                        "type(cli).format_commands = click.Group.format_commands\n" + run)
    assert "Commands:" in lazy and "reschedule" in lazy
    assert lazy == eager


def test_a_mistyped_command_is_told_the_nearest_one() -> None:
    """Suggestions come from every command, not only those imported so far (a fresh process
    has imported none)."""
    done = subprocess.run([sys.executable, "-m", "automation", "contact"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert "No such command 'contact'. Did you mean 'contacts'?" in done.stderr
