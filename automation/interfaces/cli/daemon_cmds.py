"""The ``daemon`` command: run the service unattended on a schedule (see automation/daemon.py)."""

from __future__ import annotations

import logging

import click

from automation.interfaces.cli.root import AppContext, cli
from automation.interfaces.daemon import run_daemon


@cli.command()
@click.option("--interval", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help="Seconds between ticks (default: [daemon] interval_seconds, 300).")
@click.pass_context
def daemon(ctx: click.Context, interval: float | None) -> None:
    """Run ticks on a schedule until stopped, plus a daily digest of what needs you.

    One instance per database: a second daemon exits with "already running (pid N)".
    SIGTERM or Ctrl-C finishes the current step and exits 0; SIGHUP reloads the config and
    templates (a bad config is reported and the old one kept). A failing backend is retried
    with backoff; `automation status` shows what is failing and how to fix it.
    """
    if ctx.parent is None or ctx.parent.params.get("log_level") is None:
        logging.getLogger().setLevel(logging.INFO)  # a service logs its ticks by default
    app: AppContext = ctx.obj
    config = app.config()
    run_daemon(app.config_path, config, interval=interval)
