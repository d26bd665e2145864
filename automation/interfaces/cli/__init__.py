"""The ``automation`` command: click wiring only. Use cases live in the package.

Exit codes: 0 success; 1 an error the user can fix (one clear line, no traceback); 2 a usage
error. ``--verbose`` shows details (and the traceback of an unexpected failure).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import click
from rich.console import Console

from automation.adapters.clock import system_clock
from automation.app.services import Services
from automation.bootstrap import open_services
from automation.config import Config, load_config, resolve_config_path
from automation.errors import BackendError, Error, UserError

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
                err_console.print(f"[yellow]warning:[/] {warning} ({self.config_path})")
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
    from automation.adapters import logsafe

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


def _register() -> None:
    # Each module adds its commands to ``cli``; importing them is the registration.
    from automation.interfaces.cli import contacts_cmds, setup_cmds  # noqa: F401

    for optional in ("booking_cmds", "pipeline_cmds", "google_cmds", "daemon_cmds", "prep_cmds"):
        try:
            __import__(f"automation.interfaces.cli.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"automation.interfaces.cli.{optional}":
                raise


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map every error to a message and an exit code."""
    # Drafts, events, the database and its journals hold private mail: owner-only files.
    os.umask(0o077)
    _register()
    verbose = "-v" in (argv or sys.argv) or "--verbose" in (argv or sys.argv)
    try:
        # Without standalone mode click returns an Exit's code instead of raising it.
        code = cli.main(args=argv, prog_name="automation", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    except BackendError as exc:
        hint = "" if not exc.retryable else " (the next run will try again)"
        err_console.print(f"[bold red]error:[/] {exc}{hint}")
        sys.exit(1)
    except Error as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, trace on request
        if verbose:
            traceback.print_exc()
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
                          "(run with --verbose for the traceback)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
