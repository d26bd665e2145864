"""Commands for the Google account and for checking a setup: ``auth`` and ``doctor``."""

from __future__ import annotations

import click

from automation.adapters.clock import system_clock
from automation.config import DEFAULT_OAUTH_PORT
from automation.interfaces.cli.root import AppContext, cli, out
from automation.interfaces.doctor import run_checks


@cli.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=DEFAULT_OAUTH_PORT,
              show_default=True, help="Local port for Google's redirect (forward it with ssh -L).")
@click.pass_obj
def auth(app: AppContext, port: int) -> None:
    """Authorize Gmail and Google Calendar (OAuth, works on a headless server over SSH).

    Prints the URL to open and the `ssh -L PORT:localhost:PORT user@server` line that carries
    the browser's redirect to this machine, then saves the token with mode 0600 at
    [google] token. Asks only for drafts (gmail.compose), reading mail (gmail.readonly), events
    and free/busy. Google describes gmail.compose as "Manage drafts and send emails", so the
    scope could send; this service never calls a send method.
    """
    # The Google client stack takes about half a second to import: only `auth` pays for it.
    from automation.adapters.google.auth import authorize

    config = app.config()

    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False)

    authorize(config.google, port=port, say=say)
    say(f"Authorized. Token saved to {config.google.token} (mode 0600).")
    say("Note: Google describes gmail.compose as \"Manage drafts and send emails\"; the "
        "scope could send, but this service never calls a send method: every email stays a "
        "draft until you press Send.")
    if config.backend != "google":
        say('Set [backend] kind = "google" in the config to use Gmail and Google Calendar.')
    say("Next: automation doctor")


@cli.command()
@click.pass_obj
def doctor(app: AppContext) -> None:
    """Check the config, templates, credentials, token and each API; say how to fix problems.

    Exits 1 if anything is wrong.
    """
    checks = run_checks(app.config_path, system_clock)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "[green]ok  [/]" if check.ok else "[bold red]FAIL[/]"
        out.print(f"{mark} {check.name.ljust(width)}  ", end="")
        out.print(check.detail, markup=False, highlight=False)
        if check.fix:
            out.print(f"     {' ' * width}  fix: {check.fix}", markup=False, highlight=False)
    failed = [c for c in checks if not c.ok]
    if failed:
        out.print(f"{len(failed)} problem(s) found.")
        raise click.exceptions.Exit(1)
    out.print("Everything looks right.")
