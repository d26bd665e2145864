"""``automation doctor``: check everything the service needs, and say how to fix what is wrong.

Each check returns ``Check`` rows (data, not printing): the configuration, the templates, then
the backend — for Google the OAuth client file, the token (readable only by you, refreshable,
every scope granted and no more than those; ``gmail.compose`` can send, the service never
does) and one cheap call to each API; for the local
backend the Maildir folders, the calendar folder and the busy_ics files.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from automation.adapters.clock import Clock, system_clock
from automation.app import newdb
from automation.app.templates import check_templates
from automation.config import Config, load_config
from automation.core.models import Interval
from automation.errors import BackendError, ConfigError, UserError

log = logging.getLogger(__name__)

# The Google checks import the Google client stack inside the functions: it takes about half a
# second, which a local-backend doctor (and every other command) should not pay.


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(config_path: Path, clock: Clock = system_clock) -> list[Check]:
    """Every check, in order; later checks are skipped when what they need is broken."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return [Check("config", False, str(exc), "fix each listed key in " + str(config_path))]
    except UserError as exc:
        return [Check("config", False, str(exc))]
    checks = [Check("config", True, f"{config_path} ({config.backend} backend)")]
    checks += [Check("config", True, f"warning: {w}") for w in config.warnings]
    checks += template_checks(config) + database_checks(config)
    if config.backend == "google":
        checks += google_checks(config, clock)
    else:
        checks += local_checks(config, clock)
    return checks


def database_checks(config: Config) -> list[Check]:
    """A new database waiting for the user's confirmation (``app.newdb``) is a problem."""
    if not config.database.is_file():
        return []
    from automation.adapters.store import Store  # here: doctor's other checks need no SQLite

    try:
        with Store.open(config.database) as store:
            waiting = newdb.failures(store)
    except UserError as exc:
        return [Check("database", False, str(exc))]
    return [Check("database", False, f"{config.database}: {w['error']}", w["fix"])
            for w in waiting] or [Check("database", True, str(config.database))]


def template_checks(config: Config) -> list[Check]:
    results = check_templates(config.templates_dir, config.me)
    failed = [Check("templates", False, str(error),
                    "edit the template, then `automation templates check`")
              for _, rendered, error in results if rendered is None]
    return failed or [Check("templates", True,
                            f"{len(results)} templates render ({config.templates_dir})")]


# -- local ----------------------------------------------------------------------------------

def _writable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def local_checks(config: Config, clock: Clock = system_clock) -> list[Check]:
    checks = []
    root = config.local.maildir
    missing = [f"{name}/{sub}" for name in ("Drafts", "Sent", "INBOX")
               for sub in ("cur", "new", "tmp") if not _writable_dir(root / name / sub)]
    checks.append(Check("maildir", not missing,
                        f"{root}" if not missing else
                        f"{root}: missing or not writable: {', '.join(missing)}",
                        "" if not missing else "create them (`automation init` makes the "
                        "layout) or fix [local] maildir and the folder permissions"))
    cal = config.local.calendar
    checks.append(Check("calendar", _writable_dir(cal), str(cal),
                        "" if _writable_dir(cal) else
                        "create the folder or fix [local] calendar and its permissions"))
    for path in config.busy_ics:
        checks.append(Check("busy_ics", path.is_file(), str(path),
                            "" if path.is_file() else
                            "fix the path in [availability] busy_ics or remove it"))
    return checks + event_file_checks(config, clock)


def event_file_checks(config: Config, clock: Clock) -> list[Check]:
    """Upcoming interviews whose ``.ics`` is gone from the calendar folder (a CalDAV sync
    through vdirsyncer mirrors a deletion made on the server)."""
    from automation.adapters.local.vdir import event_filename
    from automation.adapters.store import Store

    if not config.database.exists():
        return []
    store = Store.open(config.database)
    try:
        now = clock()
        checks = []
        for interview in store.interviews("confirmed"):
            path = config.local.calendar / (interview.event_ref or event_filename(interview.uid))
            if interview.end <= now or not interview.event_ref or path.exists():
                continue
            email = store.get_contact(interview.contact_id).email
            when = interview.start.astimezone(config.me.timezone)
            checks.append(Check(
                "events", False, f"{path.name}, the interview with {email} on "
                f"{when:%a %b %d %H:%M}, is gone from {config.local.calendar}",
                f"put it back with `automation reschedule {email} --at \"{when:%Y-%m-%d %H:%M}\"` "
                f"(or another time), or call it off with `automation cancel {email}`"))
        return checks
    finally:
        store.close()


# -- google ---------------------------------------------------------------------------------

def google_checks(config: Config, clock: Clock) -> list[Check]:
    from automation.adapters.google import auth as google_auth

    google = config.google
    checks = []
    try:
        google_auth.client_config(google.credentials)
        checks.append(Check("credentials", True, str(google.credentials)))
    except UserError as exc:
        if google.token.exists():  # not needed while the token works; needed to re-authorize
            checks.append(Check("credentials", True, f"warning: {exc}"))
        else:
            checks.append(Check("credentials", False, str(exc)))
    token = token_check(config)
    checks.append(token)
    if not token.ok:
        checks.append(Check("apis", False, "skipped: the Gmail and Calendar checks need a "
                                           "valid token", "fix the token first"))
        return checks
    return checks + api_checks(config, clock)


def token_check(config: Config) -> Check:
    from automation.adapters.google import auth as google_auth

    path = config.google.token
    if path.exists():  # before loading: a refresh rewrites the file 0600
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            return Check("token", False, f"{path} is readable by others (mode {mode:o})",
                         f"chmod 600 {path}")
    try:
        credentials = google_auth.load_credentials(config.google)
    except UserError as exc:  # AuthError included: its message names the fix
        return Check("token", False, str(exc))
    except BackendError as exc:
        return Check("token", False, str(exc), "check the network; then run doctor again")
    extra = google_auth.extra_scopes(credentials)
    if extra:  # least privilege: a token made by another tool may even be able to send mail
        return Check("token", False, f"the token grants more than this service needs: "
                     f"{', '.join(extra)}",
                     "remove the app's access at https://myaccount.google.com/permissions, "
                     "then run `automation auth`")
    return Check("token", True, f"{path} (mode 600, the {len(google_auth.SCOPES)} scopes "
                 "needed and no more; gmail.compose could send mail, but the service never "
                 "calls a send method)")


def api_checks(config: Config, clock: Clock) -> list[Check]:
    from automation.adapters.google import open_google

    try:
        mailbox, calendar = open_google(config)
    except (UserError, BackendError) as exc:
        return [Check("apis", False, str(exc))]
    checks = []
    try:
        profile = mailbox.api.call(mailbox.api.service.users().getProfile(userId="me"),
                                   "getProfile")
        account = str(profile.get("emailAddress", "")).lower()
        if account and account != config.me.email:
            checks.append(Check("gmail", False, f"the token is for {account} but [me] email is "
                                f"{config.me.email}", "set [me] email to the Gmail address, or "
                                "run `automation auth` and sign in as that account"))
        else:
            checks.append(Check("gmail", True, f"{account} (Gmail API answers)"))
    except BackendError as exc:
        checks.append(Check("gmail", False, str(exc)))
    now = clock()
    try:
        _, problems = calendar.busy(Interval(now, now + timedelta(hours=1)))
        events = calendar.api.service.events().list(calendarId=calendar.calendar_id,
                                                    maxResults=1)
        calendar.api.call(events, "events.list")
        checks.append(Check("calendar", True, f"calendar {calendar.calendar_id!r} and "
                            f"free/busy of {len(calendar.busy_calendars)} calendar(s) answer"))
        checks += [Check("calendar", False, p) for p in problems]
    except BackendError as exc:
        fix = ("check [google] calendar_id" if getattr(exc, "status", 0) == 404 else "")
        checks.append(Check("calendar", False, str(exc), fix))
    return checks
