"""The embedded local backend: a Maildir tree and a vdir calendar folder (no account)."""

from __future__ import annotations

from automation.adapters.local.maildir import MaildirMailbox
from automation.adapters.local.vdir import VdirCalendar
from automation.app.ports import FileCacheStore
from automation.config import Config


def open_local(config: Config, cache: FileCacheStore | None = None
               ) -> tuple[MaildirMailbox, VdirCalendar]:
    """The Mailbox and Calendar of ``[local]``, creating missing folders; ``cache`` keeps
    what parsing calendar files and drafts found between passes (the store)."""
    mailbox = MaildirMailbox(config.local.maildir, cache)
    calendar = VdirCalendar(config.local.calendar, config.busy_ics, config.me.timezone,
                            cache=cache)
    return mailbox, calendar
