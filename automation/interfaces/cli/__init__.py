"""The ``automation`` command: click wiring only. Use cases live in the package.

Exit codes: 0 success; 1 an error the user can fix (one clear line, no traceback); 2 a usage
error. ``--verbose`` shows details (and the traceback of an unexpected failure).
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from automation.errors import BackendError, Error, UserError

# The command modules are imported on first use (root.COMMANDS), not here: start-up stays
# cheap for ``--help`` and the read commands. rich too (root.escape, root's consoles).
from automation.interfaces.cli.root import (
    AppContext,
    cli,
    configure_logging,
    err_console,
    escape,
    out,
    pause_gc,
)

__all__ = ["AppContext", "cli", "configure_logging", "err_console", "main", "out"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map every error to a message and an exit code."""
    # Drafts, events, the database and its journals hold private mail: owner-only files.
    os.umask(0o077)
    verbose = "-v" in (argv or sys.argv) or "--verbose" in (argv or sys.argv)
    if argv is None:  # the process is ours (not a test calling in): see root.pause_gc
        pause_gc()
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
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(1)
    except BackendError as exc:
        hint = "" if not exc.retryable else " (the next run will try again)"
        err_console.print(f"[bold red]error:[/] {escape(str(exc) + hint)}")
        sys.exit(1)
    except Error as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, trace on request
        from automation.adapters.failures import explain  # only on failure: start-up stays cheap

        if (fix := explain(exc)) is not None:  # the machine, not the program: say what to do
            if verbose:
                traceback.print_exc()
            err_console.print(f"[bold red]error:[/] {escape(fix)}")
            sys.exit(1)
        if verbose:
            traceback.print_exc()
        err_console.print(f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')} "
                          "(run with --verbose for the traceback)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
