"""The root of the ``automation`` command: the click group, its options, and the context
(config and services, opened lazily) every command receives.

Commands are registered lazily: ``COMMANDS`` names the module of each command and its short
help, so ``automation --help`` lists them all and ``automation contacts`` imports only the
contacts commands. Importing every command module (dateparser, the Google client stack,
icalendar, Jinja2, the tick) used to cost most of a second before any command ran.
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from dataclasses import dataclass, field
from gettext import gettext as _
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import click

from automation.adapters import logsafe
from automation.core.lazyre import lazy_compile

if TYPE_CHECKING:
    from rich.console import Console

    from automation.app.services import Services
    from automation.config import Config


#: Text rich prints exactly as written: printable ASCII with no markup (``[``) and nothing
#: rich could take for an emoji code (``:name:``); tabs, wide or control characters go to rich.
_PLAIN = lazy_compile(r"[ -~]*")
_EMOJI_LIKE = lazy_compile(r":\S*?:")


class _LazyConsole:
    """A rich ``Console`` built on first use. rich costs a fifth of start-up and the commands
    scripts call most (``contacts --json``, ``--help``, an idle ``run --once``) print nothing
    through it that it would change: a plain line is written as rich would write it (the text
    and a newline, flushed), without importing rich, until anything else needs the console.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def print(self, *objects: Any, **options: Any) -> None:
        if (self._console is None and len(objects) == 1 and isinstance(objects[0], str)
                and set(options) <= {"markup", "highlight"} and not options.get("highlight")
                and _plain(objects[0], markup=options.get("markup") is not False)):
            stream = sys.stderr if self._options.get("stderr") else sys.stdout
            if stream is not None:
                stream.write(objects[0] + "\n")
                stream.flush()
            return
        self.real().print(*objects, **options)

    def real(self) -> Console:
        """The rich Console itself (built now if it was not yet)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:  # only names the instance itself lacks
        if name.startswith("__") or "_options" not in self.__dict__:
            raise AttributeError(name)  # copy/pickle probes, or a half-built instance
        return getattr(self.real(), name)

    def __enter__(self) -> Console:  # ``with console:`` (rich's buffer) looks these up on the type
        return self.real().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.real().__exit__(*exc)


def rich_console(console: Console) -> Console:
    """The rich Console behind ``out`` or ``err_console``, for rich's own widgets (a progress
    bar drives it directly)."""
    return console.real() if isinstance(console, _LazyConsole) else console


def _plain(text: str, *, markup: bool) -> bool:
    return (_PLAIN.fullmatch(text) is not None and not (markup and "[" in text)
            and _EMOJI_LIKE.search(text) is None)


err_console = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True))
out = cast("Console", _LazyConsole(highlight=False, soft_wrap=True))


def escape(text: str) -> str:
    """rich's ``escape`` (``[`` in user text is not markup), imported on first use."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


@dataclass
class AppContext:
    """Lazily loads the config and opens the services for a command."""

    config_option: str | None
    verbose: bool
    _config: Config | None = None
    _services: Services | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        # Imported here, not at the top: ``--help`` never reads a config (start-up stays cheap).
        from automation.config import resolve_config_path

        return resolve_config_path(self.config_option)

    def config(self) -> Config:
        if self._config is None:
            from automation.config import load_config

            self._config = load_config(self.config_path)
            for warning in self._config.warnings:
                err_console.print(f"[yellow]warning:[/] {escape(f'{warning} ({self.config_path})')}")
        return self._config

    def services(self) -> Services:
        if self._services is None:
            from automation.adapters.clock import system_clock
            from automation.bootstrap import open_services

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


_gc_paused: list[bool] = []


def pause_gc() -> None:
    """Hold the cyclic garbage collector while a command loads (``resume_gc`` ends it).

    Loading allocates tens of thousands of long-lived objects (modules, classes, functions)
    and next to no garbage, and the collector kept scanning them all: about a twentieth of a
    short command's CPU. Only for a process the CLI owns (``main`` without arguments).
    """
    if gc.isenabled():
        gc.disable()
        _gc_paused.append(True)


#: The youngest generation's threshold for the command's own work (CPython's default is 700).
#: A pass allocates in bursts (a message, its parts and its journal entry per draft) that die
#: young: at 700 the collector ran 176 times in a 1,000-draft pass (60 ms of CPU), at this 18
#: times (17 ms). At most this many container objects wait for a collection: a few MB.
COMMAND_GEN0 = 50_000


def resume_gc() -> None:
    """After loading: what was loaded stays out of later collections (``gc.freeze``), and
    collection resumes for the command's own work, its youngest generation collected every
    ``COMMAND_GEN0`` allocations (the older ones as by default)."""
    if _gc_paused:
        _gc_paused.clear()
        gc.freeze()
        gc.set_threshold(COMMAND_GEN0, *gc.get_threshold()[1:])
        gc.enable()


class LazyCommand(NamedTuple):
    """Where a top-level command lives, and its short help as ``automation --help`` shows it
    (the first paragraph of its docstring; tests/e2e/test_cli_help.py keeps the two equal)."""

    module: str
    help: str


_CLI = "automation.interfaces.cli."
#: Every top-level command: name -> (module that defines it, short help).
COMMANDS: dict[str, LazyCommand] = {
    "auth": LazyCommand(_CLI + "google_cmds", "Authorize Gmail and Google Calendar (OAuth, works "
                        "on a headless server over SSH)."),
    "book": LazyCommand(_CLI + "booking_cmds", "Book the interview with EMAIL: a calendar event "
                        "and a confirmation draft with the invite."),
    "cancel": LazyCommand(_CLI + "booking_cmds", "Cancel the interview with EMAIL and draft the "
                          "cancellation notice in the thread."),
    "contacts": LazyCommand(_CLI + "contacts_cmds", "List contacts with their status, offered "
                            "slots and what needs you."),
    "daemon": LazyCommand(_CLI + "daemon_cmds", "Run ticks on a schedule until stopped, plus a "
                          "daily digest of what needs you."),
    "doctor": LazyCommand(_CLI + "google_cmds", "Check the config, templates, credentials, token "
                          "and each API; say how to fix problems."),
    "employers": LazyCommand(_CLI + "method_cmds", "List employers with their contacts per status "
                             "(3B7: one awaits a reply at a time)."),
    "import": LazyCommand(_CLI + "import_cmds", "Import contacts from FILE; re-importing updates "
                          "fields and keeps history."),
    "init": LazyCommand(_CLI + "setup_cmds", "Create a workspace in DIRECTORY: config, Maildir, "
                        "calendar folder, templates."),
    "log": LazyCommand(_CLI + "method_cmds", "Record a call, meeting or message with EMAIL; it "
                       "restarts the check-in clock."),
    "mark": LazyCommand(_CLI + "pipeline_cmds", "Set a contact's STATUS by hand (recorded in the "
                        "timeline); clears needs_attention."),
    "note": LazyCommand(_CLI + "pipeline_cmds", "Note something specific about EMAIL (the "
                        "thank-you thanks them for it), or with --connection how you know of "
                        "them."),
    "prep": LazyCommand(_CLI + "prep_cmds", "Your private prep sheet for EMAIL: who they are, how "
                        "you met, your notes, what to ask."),
    "refer": LazyCommand(_CLI + "pipeline_cmds", "Record that EMAIL introduced ADDR; the outreach "
                         "to them names EMAIL."),
    "refresh": LazyCommand(_CLI + "refresh_cmds", "Replace the unsent outreach or follow-up to "
                           "EMAIL with fresh times, now."),
    "reschedule": LazyCommand(_CLI + "booking_cmds", "Move the interview with EMAIL: same event, "
                              "new time, a new invite in the thread."),
    "run": LazyCommand(_CLI + "setup_cmds", "Run the service: sync mail, decide, draft. Nothing "
                       "is ever sent."),
    "show": LazyCommand(_CLI + "pipeline_cmds", "The whole story of one contact: status, offers, "
                        "interview, referrals, timeline."),
    "status": LazyCommand(_CLI + "contacts_cmds", "Counts per pipeline status, and everything "
                          "that needs you."),
    "templates": LazyCommand(_CLI + "setup_cmds", "Work with the email templates."),
    "update": LazyCommand(_CLI + "method_cmds", "Record what you have been doing; the next "
                          "check-in to each contact shares it."),
    "web": LazyCommand(_CLI + "web_cmds", "Serve the dashboard: Today, Pipeline, contacts, Import, "
                       "Insights, Health."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's "lazily loading subcommands"
    pattern). A command module registers its commands with ``@cli.command()`` as usual;
    ``get_command`` imports the module ``COMMANDS`` names for it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name].module)
            resume_gc()
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            # click suggests ("Did you mean 'contacts'?") from the commands imported so far.
            raise click.exceptions.NoSuchCommand(
                exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx) from None

    def load_all(self) -> dict[str, click.Command]:
        """Import every command module; the commands by name (for tests and docs)."""
        for name in COMMANDS:
            self.get_command(click.Context(self), name)
        return dict(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with the short help of a command not yet imported taken from
        ``COMMANDS`` (so ``--help`` imports nothing)."""
        commands = [(name, self.commands.get(name) or click.Command(name, help=COMMANDS[name].help))
                    for name in self.list_commands(ctx)]
        commands = [(name, cmd) for name, cmd in commands if not cmd.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in commands)
        rows = [(name, cmd.get_short_help_str(limit)) for name, cmd in commands]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
