"""``automation web``: serve the dashboard (waitress), or set its password."""

from __future__ import annotations

import sys

import click

from automation.errors import UserError
from automation.interfaces.cli.root import AppContext, cli, out


def _read_password() -> str:
    """Asked twice on a terminal; otherwise the first line of stdin (for scripts)."""
    if sys.stdin.isatty():
        return str(click.prompt("New password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@cli.command()
@click.option("--host", metavar="ADDR", help="Address to listen on (default: [web] host, "
              "127.0.0.1). Any other address than 127.0.0.1, ::1 or localhost needs a password.")
@click.option("--port", type=click.IntRange(1, 65535), metavar="N",
              help="Port (default: [web] port, 8765).")
@click.option("--set-password", "set_password", is_flag=True,
              help="Set the dashboard's password (stored as an argon2 hash, mode 0600) and exit.")
@click.pass_obj
def web(app: AppContext, host: str | None, port: int | None, set_password: bool) -> None:
    """Serve the dashboard: Today, Pipeline, contacts, Import, Insights, Health.

    It listens on 127.0.0.1 unless told otherwise; reach it from another machine through
    `ssh -L 8765:localhost:8765 server`, or set a password and listen on another address.
    """
    # Imported here: the web stack is only loaded by the command that serves it.
    from automation.interfaces.web.security import needs_password, password_hash
    from automation.interfaces.web.security import set_password as store_password

    config = app.config()
    path = config.web.password_file
    if set_password:
        store_password(path, _read_password())
        out.print(f"Password set (argon2 hash in {path}, mode 0600).")
        return
    host = host or config.web.host
    port = port or config.web.port
    if needs_password(host) and password_hash(path) is None:
        raise UserError(f"refusing to listen on {host} without a password: anyone who can reach "
                        "it would see your contacts and calendar. Set one with `automation web "
                        "--set-password` (or listen on 127.0.0.1)")
    serve(app, host, port)


def serve(app: AppContext, host: str, port: int) -> None:
    import waitress

    from automation.interfaces.web import create_app

    site = create_app(app.config())
    shown = f"[{host}]" if ":" in host else host
    out.print(f"Dashboard on http://{shown}:{port}/ (Ctrl-C stops it)")
    sys.stdout.flush()
    waitress.serve(site, host=host, port=port, threads=8, ident="automation",
                   _quiet=not app.verbose)
