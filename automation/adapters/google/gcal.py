"""The Google Calendar: busy time from ``freebusy.query``, interviews as real events.

- ``busy`` asks ``freebusy.query`` for the ``[google] busy_calendars`` (at most 50) in windows of
  at most 60 days (Google refuses long ones), plus any ``[availability] busy_ics`` files.
- ``put_event`` inserts with a client-chosen id derived from the interview's UID (base32hex),
  ``sendUpdates="all"`` so Google mails the invitation, the attendee, description, a popup
  reminder and, with ``[google] meet = true``, a Meet link (``conferenceDataVersion=1`` and a
  ``createRequest``). An insert that answers 409 ``duplicate`` was already done (a retry, a
  crash): the event is read and patched only if it differs. A reschedule is a patch and a
  cancel the documented ``events.delete(sendUpdates="all")``, so the attendee hears of both.
- The id of a deleted event is not reusable: "the ID must be unique per calendar" and a deleted
  event stays as ``cancelled`` (insert answers 409; a patch may answer 403), so the booking
  use case gives every booking generation its own UID. A deleted event may come back as a stub:
  "Deleted events are only guaranteed to have the id field populated" (the discovery
  document's ``Event.status``); such a stub is read as "cancelled", never parsed as an event.
- What Google does not keep as we gave it (our UID, SEQUENCE, the organizer's name) travels in
  the event's private extended properties, so ``get_event`` returns the EventSpec that was put.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from automation.adapters.google.http import GoogleApi, GoogleApiError
from automation.config import GoogleConfig
from automation.core.icsbusy import busy_from_files
from automation.core.models import Interval
from automation.core.records import EventSpec

log = logging.getLogger(__name__)

MAX_WINDOW = timedelta(days=60)
UTC_ZONE = ZoneInfo("UTC")
_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_PREFIX = "vv0"  # marks an id that encodes a UID which was not base32hex itself


def event_id(uid: str) -> str:
    """Google's event id for ``uid``: the UID itself when it is base32hex (``[a-v0-9]``, 5–1024
    characters, as ``booking.interview_uid`` is), else its base32hex encoding."""
    if _EVENT_ID.match(uid):
        return uid
    if not uid:
        raise ValueError("an event needs a UID")
    encoded = base64.b32hexencode(uid.encode()).decode("ascii").rstrip("=").lower()
    return (_PREFIX + encoded)[:1024]


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def event_body(spec: EventSpec) -> dict[str, Any]:
    """The Calendar v3 event for ``spec`` (without ``id``)."""
    zone = ZoneInfo(spec.timezone)
    body: dict[str, Any] = {
        "summary": spec.summary,
        "description": spec.description,
        "location": spec.location,
        "start": {"dateTime": _rfc3339(spec.start.astimezone(zone)), "timeZone": spec.timezone},
        "end": {"dateTime": _rfc3339(spec.end.astimezone(zone)), "timeZone": spec.timezone},
        "attendees": [{"email": spec.attendee_email, "displayName": spec.attendee_name}],
        "status": "cancelled" if spec.status == "CANCELLED" else "confirmed",
        "reminders": {"useDefault": False,
                      "overrides": [{"method": "popup", "minutes": spec.reminder_minutes}]},
        "extendedProperties": {"private": {
            "automationUid": spec.uid,
            "automationSequence": str(spec.sequence),
            "organizerName": spec.organizer_name,
            "organizerEmail": spec.organizer_email,
            "meet": "1" if spec.meet else "0",
        }},
    }
    if spec.meet:
        body["conferenceData"] = {"createRequest": {
            "requestId": f"{event_id(spec.uid)}-meet",
            "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    return body


def is_stub(event: dict[str, Any]) -> bool:
    """A deleted event answered with little more than ``id`` and ``status``."""
    return event.get("status") == "cancelled" and "dateTime" not in event.get("start", {})


def spec_from_event(event: dict[str, Any], uid: str) -> EventSpec:
    """The EventSpec an event stands for (see ``event_body``); not for a stub (``is_stub``)."""
    private = event.get("extendedProperties", {}).get("private", {})
    organizer = event.get("organizer", {})
    attendee: dict[str, Any] = next((a for a in event.get("attendees", [])
                     if not a.get("self") and not a.get("organizer")), {})
    overrides = event.get("reminders", {}).get("overrides") or []
    popup = next((o["minutes"] for o in overrides if o.get("method") == "popup"), None)
    start, end = event.get("start", {}), event.get("end", {})
    zone = start.get("timeZone") or "UTC"
    try:
        sequence = int(private.get("automationSequence", event.get("sequence", 0)))
    except ValueError:
        sequence = 0
    return EventSpec(
        uid=private.get("automationUid", uid),
        start=_parse(start["dateTime"]), end=_parse(end["dateTime"]),
        summary=event.get("summary", ""), description=event.get("description", ""),
        location=event.get("location", ""),
        organizer_name=private.get("organizerName", organizer.get("displayName", "")),
        organizer_email=private.get("organizerEmail", organizer.get("email", "")),
        attendee_name=attendee.get("displayName", ""), attendee_email=attendee.get("email", ""),
        sequence=sequence,
        status="CANCELLED" if event.get("status") == "cancelled" else "CONFIRMED",
        reminder_minutes=popup if popup is not None else 15,
        meet=private["meet"] == "1" if "meet" in private else "conferenceData" in event,
        timezone=zone,
    )


def _changed_keys(have: EventSpec, want: EventSpec) -> set[str]:
    """The event fields to patch to turn ``have`` into ``want``."""
    keys = set()
    if (have.start, have.end, have.timezone) != (want.start, want.end, want.timezone):
        keys |= {"start", "end"}
    for name in ("summary", "description", "location"):
        if getattr(have, name) != getattr(want, name):
            keys.add(name)
    if (have.attendee_email, have.attendee_name) != (want.attendee_email, want.attendee_name):
        keys.add("attendees")
    if have.status != want.status:
        keys.add("status")
    if have.reminder_minutes != want.reminder_minutes:
        keys.add("reminders")
    if (have.uid, have.sequence, have.organizer_name, have.organizer_email, have.meet) != \
            (want.uid, want.sequence, want.organizer_name, want.organizer_email, want.meet):
        keys.add("extendedProperties")
    if want.meet and not have.meet:
        keys.add("conferenceData")
    return keys


def _comparable(spec: EventSpec) -> EventSpec:
    # A cancelled event's reminder no longer matters; instants compare, not zones of datetimes.
    return replace(spec, reminder_minutes=0 if spec.status == "CANCELLED"
                   else spec.reminder_minutes)


class GoogleCalendar:
    """Calendar port over the Google Calendar API (see module docstring)."""

    sends_invites = True  # sendUpdates="all": Google mails the invitation and its updates

    def __init__(self, api: GoogleApi, google: GoogleConfig, *, busy_ics: tuple[Path, ...] = (),
                 default_tz: ZoneInfo = UTC_ZONE) -> None:
        self.api = api
        self.calendar_id = google.calendar_id
        self.busy_calendars = tuple(google.busy_calendars)[:50] or ("primary",)
        self.meet = google.meet
        self.busy_ics = busy_ics
        self.default_tz = default_tz

    @property
    def _events(self) -> Any:
        return self.api.service.events()

    # -- busy time ------------------------------------------------------------------------

    def busy(self, window: Interval) -> tuple[list[Interval], list[str]]:
        intervals: list[Interval] = []
        problems: list[str] = []
        start = window.start
        while start < window.end:
            end = min(start + MAX_WINDOW, window.end)
            body = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end),
                    "items": [{"id": c} for c in self.busy_calendars]}
            answer = self.api.call(self.api.service.freebusy().query(body=body),
                                   "freebusy.query")
            for cal_id, info in (answer.get("calendars") or {}).items():
                for error in info.get("errors", []):
                    problem = (f"busy calendar {cal_id!r}: {error.get('reason', 'error')}; "
                               "check [google] busy_calendars")
                    if problem not in problems:
                        problems.append(problem)
                for span in info.get("busy", []):
                    intervals.append(Interval(_parse(span["start"]), _parse(span["end"])))
            start = end
        if self.busy_ics:
            extra, extra_problems = busy_from_files(list(self.busy_ics), window, self.default_tz)
            intervals += extra
            problems += extra_problems
        return sorted(set(intervals), key=lambda i: (i.start, i.end)), problems

    # -- events ---------------------------------------------------------------------------

    def _get(self, uid: str) -> dict[str, Any] | None:
        request = self._events.get(calendarId=self.calendar_id, eventId=event_id(uid))
        try:
            return self.api.call(request, "events.get")
        except GoogleApiError as exc:
            if exc.status in (404, 410):
                return None
            raise

    def put_event(self, event: EventSpec) -> str:
        """Insert (invites sent) or, if it exists and differs, patch (updates sent)."""
        if self.meet and not event.meet:
            event = replace(event, meet=True)
        eid = event_id(event.uid)
        body = event_body(event)
        if event.status == "CANCELLED":
            current = self._get(event.uid)
            if current is None:  # nothing was ever booked: record it quietly, invite nobody
                self._insert(eid, body, send_updates="none")
                return eid
            if current.get("status") != "cancelled":
                # What Google keeps for us (SEQUENCE, UID) first, quietly; then the delete,
                # which is what mails the attendee the cancellation.
                live = replace(event, status="CONFIRMED")
                self._patch_if_different(eid, current, live, event_body(live),
                                         send_updates="none")
                self._delete(eid)
            return eid
        else:
            try:
                self._insert(eid, body, send_updates="all")
                log.info("created calendar event %s (Google sends the invitation)", eid)
                return eid
            except GoogleApiError as exc:
                if exc.status != 409:
                    raise
            current = self._get(event.uid)  # 409 duplicate: already booked (a retry, a crash)
            if current is None:
                raise GoogleApiError(f"event {eid} exists but cannot be read", status=409)
            if current.get("status") == "cancelled":
                raise GoogleApiError(
                    f"calendar event {eid} was deleted and Google does not let its id be used "
                    "again; book the interview anew (`automation book EMAIL --at TIME`)",
                    status=409, retryable=False)
        self._patch_if_different(eid, current, event, body)
        return eid

    def _delete(self, eid: str) -> None:
        """events.delete with ``sendUpdates="all"``: Google mails the attendee the cancellation
        (developers.google.com/calendar/api/v3/reference/events/delete, "all": "Notifications
        are sent to all guests"). A second delete answers 410: already done."""
        request = self._events.delete(calendarId=self.calendar_id, eventId=eid,
                                      sendUpdates="all")
        try:
            self.api.call(request, "events.delete")
        except GoogleApiError as exc:
            if exc.status not in (404, 410):
                raise
        log.info("deleted calendar event %s (Google sends the cancellation)", eid)

    def _insert(self, eid: str, body: dict[str, Any], *, send_updates: str) -> None:
        request = self._events.insert(calendarId=self.calendar_id, body={"id": eid, **body},
                                      sendUpdates=send_updates,
                                      conferenceDataVersion=1 if "conferenceData" in body else 0)
        # Safe to retry: a repeat of a committed insert answers 409, handled by the caller.
        self.api.call(request, "events.insert")

    def _patch_if_different(self, eid: str, current: dict[str, Any], spec: EventSpec,
                            body: dict[str, Any], *, send_updates: str = "all") -> None:
        have = _comparable(spec_from_event(current, spec.uid))
        want = _comparable(spec)
        if have == want:
            return
        patch = {key: body[key] for key in _changed_keys(have, want) if key in body}
        if "attendees" in patch and have.attendee_email.lower() == want.attendee_email.lower():
            # Same person: keep their answer (accepted/declined) while fixing the name.
            old: dict[str, Any] = next((a for a in current.get("attendees", [])
                        if a.get("email", "").lower() == want.attendee_email.lower()), {})
            patch["attendees"] = [{**old, "displayName": want.attendee_name}]
        if "conferenceData" in current:
            patch.pop("conferenceData", None)  # keep the link the attendee already has
        if not patch:
            return
        request = self._events.patch(calendarId=self.calendar_id, eventId=eid, body=patch,
                                     sendUpdates=send_updates,
                                     conferenceDataVersion=1 if "conferenceData" in patch else 0)
        self.api.call(request, "events.patch")  # a patch repeated is the same patch
        log.info("updated calendar event %s (%s)", eid, ", ".join(sorted(patch)))

    def get_event(self, uid: str) -> EventSpec | None:
        event = self._get(uid)
        return None if event is None or is_stub(event) else spec_from_event(event, uid)

    def attendee_status(self, uid: str) -> str | None:
        event = self._get(uid)
        if event is None or is_stub(event):
            return None
        for attendee in event.get("attendees", []):
            if not attendee.get("self") and not attendee.get("organizer"):
                return str(attendee.get("responseStatus", "needsAction"))
        return None
