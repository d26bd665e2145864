"""Gmail v1 REST methods over a Mailbox: request parameters in, Gmail's JSON shapes out.

Like Gmail, list answers leave out an empty list (no ``"drafts": []``), ids are strings, and
history/internal dates are decimal strings.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from . import mime
from .errors import ApiError, bad_request
from .gmail import SYSTEM_LABELS, Draft, Mailbox, Message
from .paging import paginate

Handler = Callable[[dict[str, Any], Any], "dict[str, Any] | None"]
_FOLDERS = {
    "inbox": "INBOX",
    "sent": "SENT",
    "drafts": "DRAFT",
    "draft": "DRAFT",
    "spam": "SPAM",
    "trash": "TRASH",
    "starred": "STARRED",
}


def render_message(msg: Message, fmt: str = "full", headers: list[str] | None = None) -> dict:
    out: dict[str, Any] = {
        "id": msg.id,
        "threadId": msg.thread_id,
        "labelIds": list(msg.label_ids),
        "snippet": mime.snippet(msg.email),
        "sizeEstimate": len(msg.raw),
        "historyId": str(msg.history_id),
        "internalDate": str(msg.internal_date),
    }
    if fmt == "raw":
        out["raw"] = mime.encode_raw(msg.raw)
    elif fmt == "metadata":
        wanted = {h.lower() for h in headers or []}
        out["payload"] = {
            "mimeType": msg.email.get_content_type(),
            "headers": [
                h for h in mime.headers_json(msg.email) if not wanted or h["name"].lower() in wanted
            ],
        }
    elif fmt == "full":
        out["payload"] = mime.payload_json(msg.email)
    return out


_PERIOD_DAYS = {"d": 1, "m": 30, "y": 365}


def _newer_than(msg: Message, value: str, now: datetime | None) -> bool:
    """Gmail's ``newer_than:2d`` — "Search for emails newer than a time period. Use d (day),
    m (month), or y (year)" (support.google.com/mail/answer/7190)."""
    if now is None or len(value) < 2 or not value[:-1].isdigit() or value[-1] not in _PERIOD_DAYS:
        return True
    floor = now - timedelta(days=int(value[:-1]) * _PERIOD_DAYS[value[-1].lower()])
    return msg.internal_date >= floor.timestamp() * 1000


def matches_query(msg: Message, query: str | None, now: datetime | None = None) -> bool:
    """A small part of Gmail's search language; unknown terms are ignored."""
    for term in shlex.split(query or ""):
        key, _, value = term.partition(":")
        key, value = key.lower(), value.strip()
        if key == "newer_than":
            if not _newer_than(msg, value, now):
                return False
        elif key == "in" and value.lower() != "anywhere":
            label = _FOLDERS.get(value.lower(), value.upper())
            if label not in msg.label_ids:
                return False
        elif key == "label" and value.upper() not in [x.upper() for x in msg.label_ids]:
            return False
        elif key == "is" and value.lower() in ("unread", "starred"):
            if value.upper() not in msg.label_ids:
                return False
        elif key == "rfc822msgid":
            if (msg.header("Message-ID") or "").strip("<>") != value.strip("<>"):
                return False
        elif key in ("from", "to", "subject"):
            if value.lower() not in (msg.header(key) or "").lower():
                return False
    return True


class GmailApi:
    """Handlers keyed by discovery method id; each takes (params, body) and returns JSON."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box

    def handlers(self) -> dict[str, Handler]:
        prefix = "gmail.users."
        return {
            prefix + "getProfile": self.get_profile,
            prefix + "drafts.create": self.drafts_create,
            prefix + "drafts.get": self.drafts_get,
            prefix + "drafts.list": self.drafts_list,
            prefix + "drafts.update": self.drafts_update,
            prefix + "drafts.delete": self.drafts_delete,
            prefix + "messages.get": self.messages_get,
            prefix + "messages.list": self.messages_list,
            prefix + "messages.modify": self.messages_modify,
            prefix + "threads.get": self.threads_get,
            prefix + "threads.list": self.threads_list,
            prefix + "history.list": self.history_list,
            prefix + "labels.list": self.labels_list,
        }

    def _user(self, params: dict[str, Any]) -> None:
        if params.get("userId") not in ("me", self.box.address):
            raise ApiError(403, "forbidden", "Delegation denied for " + self.box.address)

    def get_profile(self, params, body):
        self._user(params)
        return {
            "emailAddress": self.box.address,
            "messagesTotal": len(self.box.messages),
            "threadsTotal": len(self.box.threads),
            "historyId": str(self.box.history_id),
        }

    def _raw_of(self, body: Any) -> tuple[bytes, str | None]:
        message = (body or {}).get("message") or {}
        if not message.get("raw"):
            raise bad_request("Missing draft message", reason="invalidArgument")
        return mime.decode_raw(message["raw"]), message.get("threadId")

    def _draft_json(self, draft: Draft, fmt: str | None = None, full: bool = False) -> dict:
        msg = self.box.messages[draft.message_id]
        body = render_message(msg, fmt or "full") if full else msg.ref()
        return {"id": draft.id, "message": body}

    def drafts_create(self, params, body):
        self._user(params)
        raw, thread_id = self._raw_of(body)
        return self._draft_json(self.box.create_draft(raw, thread_id))

    def drafts_update(self, params, body):
        # "Replaces a draft's content." The draft keeps its id; its message is a new one
        # (a new message id), in the thread given or the draft's own
        # (developers.google.com/gmail/api/reference/rest/v1/users.drafts/update).
        self._user(params)
        raw, thread_id = self._raw_of(body)
        return self._draft_json(self.box.replace_draft(params["id"], raw, thread_id))

    def drafts_get(self, params, body):
        self._user(params)
        return self._draft_json(self.box.draft(params["id"]), params.get("format"), full=True)

    def drafts_list(self, params, body):
        self._user(params)
        found = [
            d
            for d in reversed(self.box.drafts.values())
            if matches_query(self.box.messages[d.message_id], params.get("q"))
            and (not params.get("q") or self.box.searchable(self.box.messages[d.message_id]))
        ]
        page, extra = paginate(found, params, 100, 500)
        out: dict[str, Any] = {"resultSizeEstimate": len(found), **extra}
        if page:
            out["drafts"] = [
                {
                    "id": d.id,
                    "message": {
                        "id": d.message_id,
                        "threadId": self.box.messages[d.message_id].thread_id,
                    },
                }
                for d in page
            ]
        return out

    def drafts_delete(self, params, body):
        self._user(params)
        self.box.delete_draft(params["id"])
        return None

    def messages_get(self, params, body):
        self._user(params)
        msg = self.box.message(params["id"])
        return render_message(msg, params.get("format", "full"), params.get("metadataHeaders"))

    def _search(self, params) -> list[Message]:
        labels = params.get("labelIds") or []
        hidden = set() if params.get("includeSpamTrash") else {"SPAM", "TRASH"}
        return [
            m
            for m in self.box.newest_first()
            if all(label in m.label_ids for label in labels)
            and not (hidden & set(m.label_ids) - set(labels))
            and matches_query(m, params.get("q"), self.box.now())
            and (not params.get("q") or self.box.searchable(m))
        ]

    def messages_list(self, params, body):
        self._user(params)
        found = self._search(params)
        page, extra = paginate(found, params, 100, 500)
        out: dict[str, Any] = {"resultSizeEstimate": len(found), **extra}
        if page:
            out["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        return out

    def messages_modify(self, params, body):
        self._user(params)
        body = body or {}
        msg = self.box.modify_labels(
            params["id"], body.get("addLabelIds", []), body.get("removeLabelIds", [])
        )
        return msg.ref()

    def threads_get(self, params, body):
        self._user(params)
        msgs = self.box.thread(params["id"])
        fmt, headers = params.get("format", "full"), params.get("metadataHeaders")
        return {
            "id": params["id"],
            "historyId": str(max(m.history_id for m in msgs)),
            "messages": [render_message(m, fmt, headers) for m in msgs],
        }

    def threads_list(self, params, body):
        self._user(params)
        seen: dict[str, Message] = {}
        for m in self._search(params):
            seen.setdefault(m.thread_id, m)
        page, extra = paginate(list(seen.values()), params, 100, 500)
        out: dict[str, Any] = {"resultSizeEstimate": len(seen), **extra}
        if page:
            out["threads"] = [
                {
                    "id": m.thread_id,
                    "snippet": mime.snippet(m.email),
                    "historyId": str(m.history_id),
                }
                for m in page
            ]
        return out

    def history_list(self, params, body):
        self._user(params)
        if "startHistoryId" not in params:
            raise bad_request("Missing startHistoryId", reason="invalidArgument")
        try:
            start = int(params["startHistoryId"])
        except ValueError:
            raise bad_request("Invalid startHistoryId", reason="invalidArgument") from None
        types = set(params.get("historyTypes") or [])
        label = params.get("labelId")
        records = [
            h
            for h in self.box.history_since(start)
            if (not types or h["kind"] in types)
            and (not label or label in h["message"]["labelIds"] or label in h["labels"])
        ]
        page, extra = paginate(records, params, 100, 500)
        out: dict[str, Any] = {"historyId": str(self.box.history_id), **extra}
        if page:
            out["history"] = [_history_json(h) for h in page]
        return out

    def labels_list(self, params, body):
        self._user(params)
        return {"labels": [{"id": x, "name": x, "type": "system"} for x in SYSTEM_LABELS]}


def _history_json(record: dict) -> dict[str, Any]:
    ref = record["message"]
    key = {
        "messageAdded": "messagesAdded",
        "messageDeleted": "messagesDeleted",
        "labelAdded": "labelsAdded",
        "labelRemoved": "labelsRemoved",
    }[record["kind"]]
    entry: dict[str, Any] = {"message": dict(ref)}
    if record["kind"].startswith("label"):
        entry["labelIds"] = list(record["labels"])
    return {
        "id": str(record["id"]),
        "messages": [{"id": ref["id"], "threadId": ref["threadId"]}],
        key: [entry],
    }
