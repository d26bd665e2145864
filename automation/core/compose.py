"""Templates to email: Jinja2 (StrictUndefined) → a standard ``EmailMessage``.

A template carries its own subject above the body (mailmerge's convention)::

    Subject: Ten minutes to learn about {{ contact.company }}?

    Hi {{ contact.first_name }}, ...

A missing field is an error naming the template, the line and the field, never "Dear ,".
No input can inject a header: CR/LF and other control characters in any value that reaches a
header are folded to spaces, and addresses are built with ``email.headerregistry.Address``.
"""

from __future__ import annotations

import hashlib
import locale
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from automation.core.mime import (
    MESSAGE_POLICY,
    header_value,
    plain_address,
    plain_text,
    simple_message,
)
from automation.core.models import Slot, require_aware
from automation.errors import TemplateError

# Jinja2 (and the sandbox built on it) is imported when a template is loaded or rendered: a
# pass with nothing to draft, and every command that only shows a slot label, never needs it.
if TYPE_CHECKING:
    import jinja2

TEMPLATE_NAMES = ("outreach.txt.j2", "follow_up.txt.j2", "confirmation.txt.j2",
                  "cancellation.txt.j2", "thank_you.txt.j2", "check_in.txt.j2")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def default_templates_dir() -> Path:
    """The templates shipped with the package (the top-level ``templates/`` folder)."""
    from importlib import resources

    return Path(str(resources.files("automation.templates")))


def clean_header(value: str) -> str:
    """Fold control characters (CR, LF, NUL, ...) to single spaces; trim."""
    return _CONTROL.sub(" ", value or "").strip()


def template_env(directory: Path) -> jinja2.Environment:
    """An environment reading ``directory`` first, then the shipped defaults."""
    import jinja2

    from automation.core.sandbox import BoundedSandbox

    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(str(directory)),
        jinja2.FileSystemLoader(str(default_templates_dir())),
    ])
    # Sandboxed: a template is a file anyone with access to the folder may edit, and an
    # unsandboxed one can reach os through any object (cycler.__init__.__globals__.os).
    # The sandbox also refuses range() over 100,000 items (range(10**12) runs away).
    return BoundedSandbox(loader=loader, undefined=jinja2.StrictUndefined,
                          autoescape=False, keep_trailing_newline=False,
                          trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _error_line(exc: BaseException, name: str) -> int | None:
    """The template line a Jinja2 runtime error came from, read off the traceback."""
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.lineno
    tb = exc.__traceback__
    line = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(name):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


#: A message is a few kB; a template writing more than this has a runaway loop.
MAX_RENDERED_CHARS = 256 * 1024


def _render_bounded(template: jinja2.Template, variables: dict[str, Any]) -> str:
    from automation.core.sandbox import budget

    chunks: list[str] = []
    size = 0
    with budget():  # loop steps counted: a loop that prints nothing has no output to measure
        return _collect(template, variables, chunks, size)


def _collect(template: jinja2.Template, variables: dict[str, Any], chunks: list[str],
             size: int) -> str:
    for chunk in template.generate(**variables):
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise OverflowError(f"output over {MAX_RENDERED_CHARS // 1024} kB")
        chunks.append(chunk)
    return "".join(chunks)


class PassTemplates:
    """The templates of one pass: each is loaded once, its file checked for a change once
    (Jinja checks the file's time at every ``get_template``: a ``stat`` per message). An
    edit made during the pass is read by the next pass; a template that fails to load is
    looked up again each time, so every message it fails gets its own error."""

    def __init__(self, env: jinja2.Environment) -> None:
        self._env = env
        self._loaded: dict[str, jinja2.Template] = {}

    def get_template(self, name: str) -> jinja2.Template:
        template = self._loaded.get(name)
        if template is None:
            template = self._loaded[name] = self._env.get_template(name)
        return template


def render(env: jinja2.Environment | PassTemplates, name: str,
           variables: dict[str, Any]) -> Rendered:
    """Render template ``name``; raise TemplateError(name, detail, line) on any failure."""
    import jinja2
    from jinja2.sandbox import SecurityError

    try:
        text = _render_bounded(env.get_template(name), variables)
    except jinja2.TemplateNotFound as exc:
        if exc.name and exc.name != name:  # an {% include %} or {% extends %} of a missing one
            raise TemplateError(name, f"includes {exc.name!r}, which is not in the templates "
                                "folder; add it or fix the name", _error_line(exc, name))\
                from exc
        raise TemplateError(name, "template not found; run `automation init` or restore it")\
            from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(name, f"missing field: {exc.message}", _error_line(exc, name))\
            from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(name, f"syntax error: {exc.message}", exc.lineno) from exc
    except SecurityError as exc:
        raise TemplateError(name, f"not allowed in a template ({exc}); use only the fields "
                            "listed by `automation templates check`", _error_line(exc, name))\
            from exc
    except OverflowError as exc:
        raise TemplateError(name, f"a loop runs away ({exc}); loop over the fields given, not "
                            "a huge range", _error_line(exc, name)) from exc
    except Exception as exc:  # a template can raise anything (a filter, a division, ...)
        raise TemplateError(name, f"{type(exc).__name__}: {exc}", _error_line(exc, name))\
            from exc
    head, sep, body = text.lstrip("\n").partition("\n\n")
    match = re.match(r"(?i)subject:\s*(.*)", head)
    if not sep or not match or "\n" in head.strip():
        raise TemplateError(name, "must start with a 'Subject: ...' line, then a blank line, "
                            "then the body", 1)
    subject = clean_header(match.group(1))
    if not subject:
        raise TemplateError(name, "the Subject line is empty", 1)
    return Rendered(subject=subject, body=body.strip() + "\n")


def slot_label(slot: Slot, zone: ZoneInfo) -> str:
    """A human label such as "Tue, Dec 8, 10:00–10:10 AM EST" in ``zone``."""
    return _label(slot.start.astimezone(zone), slot.end.astimezone(zone))


def _label(start: datetime, end: datetime) -> str:
    """``slot_label`` of a slot already in the reader's zone. Day, month and AM/PM are the
    locale's, as ``strftime`` writes them (one call per end: each costs as much as all the
    rest of a label), or in the C locale, the one a process has unless it sets another,
    read off POSIX's names; ``%Z`` is ``tzname()``."""
    def clock(moment: datetime) -> str:
        return f"{moment.hour % 12 or 12}:{moment.minute:02d}"

    if locale.setlocale(locale.LC_TIME) in _C_LOCALES:  # a query: nothing is changed
        day_month = f"{_C_DAYS[start.weekday()]}, {_C_MONTHS[start.month - 1]}"
        start_half, end_half = _C_HALVES[start.hour >= 12], _C_HALVES[end.hour >= 12]
    else:
        day_month, start_half = start.strftime("%a, %b\x1f%p").split("\x1f")
        end_half = end.strftime("%p")
    first = clock(start) + ("" if start_half == end_half else f" {start_half}")
    return (f"{day_month} {start.day}, {first}\u2013{clock(end)} "
            f"{end_half} {end.tzname() or ''}")


#: The names ``strftime`` writes in the C (POSIX) locale for ``%a``, ``%b`` and ``%p``.
_C_LOCALES = frozenset({"C", "POSIX"})
_C_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_C_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
             "Dec")
_C_HALVES = ("AM", "PM")


@dataclass(frozen=True)
class SlotView:
    """A slot as templates see it: aware ``start``/``end`` in the reader's zone, and a label."""

    number: int
    start: datetime
    end: datetime
    label: str


def slot_views(slots: list[Slot], zone: ZoneInfo) -> list[SlotView]:
    views = []
    for number, slot in enumerate(slots, 1):
        start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
        views.append(SlotView(number, start, end, _label(start, end)))
    return views


def new_message_id(sender: str) -> str:
    """An opaque, unique Message-ID at the sender's domain, as a mail client makes one.

    e.g. ``<1b4e28ba-2fa1-41d2-883f-0016d3cca427@example.org>`` (Thunderbird's shape): it names
    neither the kind of message nor the contact. What a message is lives in our database only,
    keyed by this id (and by the draft id).
    """
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4()}@{domain}>"


def address(name: str, email: str) -> Address:
    local, _, domain = email.partition("@")
    return Address(display_name=clean_header(name), username=local, domain=domain)


def build_message(*, sender_name: str, sender: str, to_name: str, to: str, subject: str,
                  body: str, now: datetime, message_id: str, in_reply_to: str | None = None,
                  references: tuple[str, ...] = ()) -> EmailMessage:
    """An RFC 5322 text/plain UTF-8 message, ready to be stored as a draft.

    Written directly when its headers are plain (``core/mime.py``), else by the email
    package (``email_message``): the same message, byte for byte, either way.
    """
    require_aware(now, "message date")
    refs = tuple(dict.fromkeys((*references, in_reply_to))) if in_reply_to else ()
    sender_text = plain_address(clean_header(sender_name), sender)
    to_text = plain_address(clean_header(to_name), to)
    if sender_text is not None and to_text is not None:
        headers = [("From", sender_text), ("To", to_text), ("Subject", clean_header(subject)),
                   ("Date", _date_header(now, now.utcoffset())), ("Message-ID", message_id)]
        if in_reply_to:
            headers += [("In-Reply-To", in_reply_to), ("References", " ".join(refs))]
        simple = simple_message(headers, body)
        if simple is not None:
            return simple
    return email_message(sender_name=sender_name, sender=sender, to_name=to_name, to=to,
                         subject=subject, body=body, now=now, message_id=message_id,
                         in_reply_to=in_reply_to, references=references)


@lru_cache(maxsize=16)
def _date_header(now: datetime, offset: timedelta | None) -> str:
    """``format_datetime(now)``, once per pass's ``now`` (its messages share one). Keyed
    with the offset too: equal instants compare equal across zones (and two readings of a
    repeated hour in one zone), yet each is written with its own offset."""
    return format_datetime(now)


def email_message(*, sender_name: str, sender: str, to_name: str, to: str, subject: str,
                  body: str, now: datetime, message_id: str, in_reply_to: str | None = None,
                  references: tuple[str, ...] = ()) -> EmailMessage:
    """``build_message`` through the email package alone (every header parsed as it is set):
    the path for headers that need encoding, quoting or folding, and the fast path's
    reference."""
    require_aware(now, "message date")
    msg = EmailMessage(policy=MESSAGE_POLICY)
    msg["From"] = address(sender_name, sender)
    msg["To"] = address(to_name, to)
    msg["Subject"] = clean_header(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join(dict.fromkeys((*references, in_reply_to)))
    msg.set_content(body, charset="utf-8")
    return msg


def fingerprint(message: EmailMessage) -> str:
    """What the user would change by editing a draft: its recipients, subject and text.

    Whitespace is ignored (clients re-wrap and re-encode); a draft whose fingerprint differs
    from the one recorded when it was written has been edited by the user.
    """
    text = plain_text(message)  # what get_content() gives, for a message written once
    if text is None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
    parts = [header_value(message, "To"), header_value(message, "Subject"), text]
    normal = "\n".join(" ".join(p.split()) for p in parts)
    return hashlib.sha256(normal.encode()).hexdigest()[:32]


def reply_subject(subject: str) -> str:
    """"Re: " + the thread's subject, without piling prefixes up."""
    subject = clean_header(subject)
    return subject if re.match(r"(?i)re:", subject) else f"Re: {subject}"
