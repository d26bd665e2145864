"""Every command documents itself: a command without help text fails this test."""

from __future__ import annotations

import click
import pytest

from automation.interfaces.cli import cli


def walk(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*prefix, name))


COMMANDS = list(walk(cli))


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
