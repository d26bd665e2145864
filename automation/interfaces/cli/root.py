"""The root of the ``automation`` command: the click group, its options, and the context
(config and services, opened lazily) every command receives."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from automation.adapters import logsafe
from automation.adapters.clock import system_clock
from automation.app.services import Services
from automation.bootstrap import open_services
from automation.config import Config, load_config, resolve_config_path

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


@dataclass
class AppContext:
    """Lazily loads the config and opens the services for a command."""

    config_option: str | None
    verbose: bool
    _config: Config | None = None
    _services: Services | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return resolve_config_path(self.config_option)

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            for warning in self._config.warnings:
                err_console.print(f"[yellow]warning:[/] {escape(f'{warning} ({self.config_path})')}")
        return self._config

    def services(self) -> Services:
        if self._services is None:
            # Lazy backends: a command that only reads the database never needs them.
            self._services = open_services(self.config(), system_clock, lazy=True)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
            self._services = None


def configure_logging(level: str) -> None:
    """Plain lines on stderr (journald adds the time); configured only here."""
    logging.basicConfig(level=getattr(logging, level.upper(), logging.WARNING),
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)
    logsafe.install()  # belt and braces: no token reaches the log even if something logs one


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_option", metavar="PATH", envvar=None,
              help="Config file (default: $AUTOMATION_CONFIG, else ./config/automation.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"],
                                               case_sensitive=False),
              default=None, help="Log level on stderr (default: warning; info with --verbose).")
@click.version_option(package_name="interview-automation")
@click.pass_context
def cli(ctx: click.Context, config_option: str | None, verbose: bool,
        log_level: str | None) -> None:
    """Informational-interview outreach that drafts, books and follows up for you.

    It drafts emails (it never sends them), offers and books ten-minute interview slots, and
    tracks replies through the pipeline:
    new → drafted → sent → replied → scheduled → interviewed → thanked → nurturing.

    Set AUTOMATION_NOW (ISO 8601 with offset) to run as if it were another time.
    """
    configure_logging(log_level or ("info" if verbose else "warning"))
    app = AppContext(config_option=config_option, verbose=verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)
