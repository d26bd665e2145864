"""One Google Calendar (the user's primary) and the Calendar v3 methods over it.

Kept from the real service: client-chosen base32hex ids and 409 ``duplicate``; invitations go
out only with ``sendUpdates=all|externalOnly``; a Meet link only with ``conferenceDataVersion=1``
and ``conferenceData.createRequest``; deleted events stay as ``cancelled`` (a second delete is
410); ``orderBy=startTime`` needs ``singleEvents=true``; freebusy refuses > 50 calendars and
windows longer than 90 days.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import timeutil
from .errors import ApiError, bad_request, not_found
from .paging import paginate

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
MAX_FREEBUSY_CALENDARS = 50
MAX_FREEBUSY_WINDOW = timedelta(days=90)
NOTIFY = ("all", "externalOnly")
RESPONSES = ("needsAction", "declined", "tentative", "accepted")


@dataclass
class CalendarStore:
    """Events, extra busy blocks and the notices Google would have mailed. Caller holds the lock."""

    owner: str
    now: Callable[[], datetime]
    timezone: str = "UTC"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    invitations: list[dict[str, Any]] = field(default_factory=list)
    #: Google's documented liberties with deleted events, off unless a test asks for them:
    #: "updating the deleted event may answer 403", and "Deleted events are only guaranteed
    #: to have the id field populated" (calendar v3 discovery, Event.status).
    patch_deleted_403: bool = False
    deleted_stubs: bool = False
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def handlers(self) -> dict[str, Callable[[dict, Any], Any]]:
        return {
            "calendar.events.insert": self.insert,
            "calendar.events.get": self.get,
            "calendar.events.list": self.list,
            "calendar.events.patch": self.patch,
            "calendar.events.delete": self.delete,
            "calendar.freebusy.query": self.freebusy,
        }

    # ---- helpers ------------------------------------------------------------------------
    def _calendar(self, params: dict[str, Any]) -> None:
        if params.get("calendarId") not in ("primary", self.owner):
            raise not_found("Not Found")

    def _event(self, params: dict[str, Any]) -> dict[str, Any]:
        self._calendar(params)
        event = self.events.get(params["eventId"])
        if event is None:
            raise not_found("Not Found")
        return event

    def _stamp(self, event: dict[str, Any]) -> None:
        event["updated"] = self.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event["etag"] = f'"{next(self._serial) + 3_000_000_000_000_000}"'

    def _bounds(self, event: dict[str, Any]) -> tuple[datetime, datetime]:
        start = timeutil.edge(event.get("start"), "start", self.timezone)
        end = timeutil.edge(event.get("end"), "end", self.timezone)
        if end < start:
            raise bad_request("The specified time range is empty.", reason="timeRangeEmpty")
        return start, end

    def _is_external(self, email: str) -> bool:
        domain = email.rpartition("@")[2].lower()
        return domain not in (self.owner.rpartition("@")[2].lower(), "gmail.com")

    def _notify(self, event: dict, emails: list[str], kind: str, send_updates: str | None):
        if send_updates not in NOTIFY:
            return
        for email in emails:
            if email.lower() == self.owner.lower():
                continue
            if send_updates == "externalOnly" and not self._is_external(email):
                continue
            self.invitations.append(
                {
                    "event_id": event["id"],
                    "email": email,
                    "kind": kind,
                    "summary": event.get("summary", ""),
                    "start": copy.deepcopy(event.get("start")),
                    "sequence": event.get("sequence", 0),
                    "send_updates": send_updates,
                }
            )

    def _attendees(self, attendees: list[dict], previous: list[dict]) -> list[dict]:
        known = {a.get("email", "").lower(): a for a in previous}
        out = []
        for attendee in attendees:
            entry = {**known.get(attendee.get("email", "").lower(), {}), **attendee}
            if entry.get("email", "").lower() == self.owner.lower():
                entry.update(organizer=True, self=True)
                entry.setdefault("responseStatus", "accepted")
            entry.setdefault("responseStatus", "needsAction")
            out.append(entry)
        return out

    def _conference(self, event: dict[str, Any], version: int) -> None:
        data = event.get("conferenceData")
        if not version:
            event.pop("conferenceData", None)  # Calendar ignores it without the version flag
            return
        if not data or "createRequest" not in data or "entryPoints" in data:
            return
        serial = next(self._serial)
        code = f"fak-{serial:04d}-mtg"
        uri = f"https://meet.google.com/{code}"
        data["createRequest"]["status"] = {"statusCode": "success"}
        data.update(
            conferenceId=code,
            entryPoints=[{"entryPointType": "video", "uri": uri, "label": uri[8:]}],
            conferenceSolution={"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
        )
        event["hangoutLink"] = uri

    @staticmethod
    def _emails(event: dict[str, Any]) -> list[str]:
        return [a["email"] for a in event.get("attendees", []) if a.get("email")]

    def _send_updates(self, params: dict[str, Any]) -> str | None:
        if params.get("sendNotifications") is True:
            return "all"
        return params.get("sendUpdates")

    # ---- methods ------------------------------------------------------------------------
    def insert(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        self._calendar(params)
        event = copy.deepcopy(body or {})
        event_id = event.get("id") or f"fk{next(self._serial):020d}"
        if not EVENT_ID.match(event_id):
            raise bad_request("Invalid resource id value.", reason="invalid")
        if event_id in self.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        self._bounds(event)
        created = self.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event.update(
            kind="calendar#event",
            id=event_id,
            status=event.get("status", "confirmed"),
            htmlLink=f"https://www.google.com/calendar/event?eid={event_id}",
            created=created,
            creator={"email": self.owner, "self": True},
            organizer={"email": self.owner, "self": True},
            iCalUID=event.get("iCalUID") or f"{event_id}@google.com",
            sequence=event.get("sequence", 0),
            eventType=event.get("eventType", "default"),
        )
        event.setdefault("reminders", {"useDefault": True})
        if "attendees" in event:
            event["attendees"] = self._attendees(event["attendees"], [])
        self._conference(event, params.get("conferenceDataVersion", 0))
        self._stamp(event)
        self.events[event_id] = event
        self._notify(event, self._emails(event), "invite", self._send_updates(params))
        return copy.deepcopy(event)

    def get(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        event = self._event(params)
        if self.deleted_stubs and event["id"] in self.deleted:
            return {"kind": "calendar#event", "id": event["id"], "status": "cancelled"}
        return copy.deepcopy(event)

    def list(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        self._calendar(params)
        if params.get("syncToken"):
            raise ApiError(501, "notImplemented", "the fake does not implement syncToken")
        if params.get("orderBy") == "startTime" and not params.get("singleEvents"):
            raise bad_request("The requested ordering is not available for the particular query.")
        found = [e for e in self.events.values() if self._listed(e, params)]
        if params.get("orderBy") == "startTime":
            found.sort(key=lambda e: self._bounds(e)[0])
        elif params.get("orderBy") == "updated":
            found.sort(key=lambda e: e["updated"])
        page, extra = paginate(found, params, 250, 2500)
        return {
            "kind": "calendar#events",
            "summary": self.owner,
            "timeZone": self.timezone,
            "items": copy.deepcopy(page),
            **extra,
        }

    def _listed(self, event: dict[str, Any], params: dict[str, Any]) -> bool:
        if event["status"] == "cancelled" and not params.get("showDeleted"):
            return False
        if params.get("iCalUID") and event.get("iCalUID") != params["iCalUID"]:
            return False
        start, end = self._bounds(event)
        if params.get("timeMin") and end <= timeutil.parse_rfc3339(params["timeMin"]):
            return False
        if params.get("timeMax") and start >= timeutil.parse_rfc3339(params["timeMax"]):
            return False
        text = (event.get("summary", "") + " " + event.get("description", "")).lower()
        if params.get("q") and params["q"].lower() not in text:
            return False
        for kind in ("private", "shared"):
            props = event.get("extendedProperties", {}).get(kind, {})
            for pair in params.get(f"{kind}ExtendedProperty") or []:
                key, _, value = pair.partition("=")
                if props.get(key) != value:
                    return False
        return True

    def patch(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        event = self._event(params)
        if self.patch_deleted_403 and event["id"] in self.deleted:
            raise ApiError(403, "forbidden", "Forbidden")
        body = copy.deepcopy(body or {})
        if body.get("id", event["id"]) != event["id"]:
            raise bad_request("Invalid resource id value.", reason="invalid")
        before = copy.deepcopy(event)
        if "attendees" in body:
            body["attendees"] = self._attendees(body["attendees"], event.get("attendees", []))
        updated = _merge(copy.deepcopy(event), body)
        self._bounds(updated)
        if (updated.get("start"), updated.get("end")) != (before.get("start"), before.get("end")):
            updated["sequence"] = before.get("sequence", 0) + 1
        if "conferenceData" in body and not params.get("conferenceDataVersion"):
            updated.pop("conferenceData")  # ignored without the version flag, as at Google
            if "conferenceData" in before:
                updated["conferenceData"] = before["conferenceData"]
        else:
            self._conference(updated, 1)
        self._stamp(updated)
        self.events[event["id"]] = updated
        if updated["status"] != "cancelled":
            self.deleted.discard(event["id"])
        old, new = set(self._emails(before)), self._emails(updated)
        notify = self._send_updates(params)
        if updated["status"] == "cancelled" and before["status"] != "cancelled":
            self._notify(updated, self._emails(before), "cancel", notify)
        else:
            self._notify(updated, [e for e in new if e in old], "update", notify)
            self._notify(updated, [e for e in new if e not in old], "invite", notify)
            self._notify(updated, sorted(old - set(new)), "cancel", notify)
        return copy.deepcopy(updated)

    def delete(self, params: dict[str, Any], body: Any) -> None:
        event = self._event(params)
        if event["id"] in self.deleted:
            raise ApiError(410, "deleted", "Resource has been deleted")
        self.deleted.add(event["id"])
        event["status"] = "cancelled"
        self._stamp(event)
        self._notify(event, self._emails(event), "cancel", self._send_updates(params))

    def freebusy(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        body = body or {}
        for key in ("timeMin", "timeMax"):
            if not body.get(key):
                raise bad_request(f"Missing {key} parameter.", reason="required")
        low, high = (timeutil.parse_rfc3339(body[k]) for k in ("timeMin", "timeMax"))
        if high <= low:
            raise bad_request("The specified time range is empty.", reason="timeRangeEmpty")
        if high - low > MAX_FREEBUSY_WINDOW:
            raise bad_request("The requested time range is too long.", reason="timeRangeTooLong")
        items = body.get("items") or []
        if len(items) > MAX_FREEBUSY_CALENDARS:
            raise bad_request("Too many calendars requested.", reason="tooManyCalendarsRequested")
        tz = body.get("timeZone")
        calendars: dict[str, Any] = {}
        for item in items:
            cal_id = item.get("id", "")
            if cal_id not in ("primary", self.owner):
                calendars[cal_id] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            spans = [
                (max(s, low), min(e, high))
                for s, e in self.busy_intervals()
                if s < high and e > low
            ]
            calendars[cal_id] = {
                "busy": [
                    {"start": timeutil.fmt(s, tz), "end": timeutil.fmt(e, tz)}
                    for s, e in timeutil.merge(spans)
                ]
            }
        return {
            "kind": "calendar#freeBusy",
            "timeMin": body["timeMin"],
            "timeMax": body["timeMax"],
            "calendars": calendars,
        }

    def busy_intervals(self) -> list[tuple[datetime, datetime]]:
        spans = list(self.busy)
        for event in self.events.values():
            if event["status"] == "cancelled" or event.get("transparency") == "transparent":
                continue
            me = [a for a in event.get("attendees", []) if a.get("self")]
            if me and me[0].get("responseStatus") == "declined":
                continue
            spans.append(self._bounds(event))
        return spans

    # ---- the world ----------------------------------------------------------------------
    def respond(self, event_id: str, email: str, response: str) -> dict[str, Any]:
        if response not in RESPONSES:
            raise ValueError(f"response must be one of {RESPONSES}")
        event = self.events[event_id]
        for attendee in event.get("attendees", []):
            if attendee.get("email", "").lower() == email.lower():
                attendee["responseStatus"] = response
                self._stamp(event)
                return copy.deepcopy(event)
        raise KeyError(f"{email} is not invited to {event_id}")


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: objects merge key by key, everything else (lists too) is replaced."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target
