"""The loopback Google fake, proved with the real google-api-python-client over HTTP."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from tests.support.fakegoogle import FakeGoogle

GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
READONLY = "https://www.googleapis.com/auth/gmail.readonly"


@pytest.fixture
def fake():
    with FakeGoogle(email="me@example.com") as running:
        yield running
    assert running.internal_errors == []


@pytest.fixture
def creds(fake):
    return fake.credentials()


@pytest.fixture
def gmail(fake, creds):
    # The recipe the service uses: static discovery, api_endpoint pointing at the fake.
    return build(
        "gmail",
        "v1",
        credentials=creds,
        static_discovery=True,
        client_options={"api_endpoint": fake.base_url},
        cache_discovery=False,
    )


@pytest.fixture
def cal(fake, creds):
    return build(
        "calendar",
        "v3",
        credentials=creds,
        static_discovery=True,
        client_options={"api_endpoint": fake.base_url + "calendar/v3/"},
        cache_discovery=False,
    )


def outreach(subject="Ten minutes?", to="ada@example.org", **headers) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "me@example.com"
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Could I ask you a few questions?")
    return msg


def raw(msg: EmailMessage) -> str:
    return base64.urlsafe_b64encode(msg.as_bytes()).decode()


def create_draft(gmail, msg, thread_id=None):
    message = {"raw": raw(msg)}
    if thread_id:
        message["threadId"] = thread_id
    return gmail.users().drafts().create(userId="me", body={"message": message}).execute()


def plain_http(fake, verb, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    resp, content = httplib2.Http().request(fake.base_url + path, verb, body=body, headers=headers)
    return resp.status, json.loads(content or b"{}")


# ---- Gmail -----------------------------------------------------------------------------------
def test_client_paths_route_to_gmail_methods(fake, gmail):
    gmail.users().getProfile(userId="me").execute()
    create_draft(gmail, outreach())
    gmail.users().drafts().list(userId="me").execute()
    assert [m for m, _ in fake.calls] == [
        "gmail.users.getProfile",
        "gmail.users.drafts.create",
        "gmail.users.drafts.list",
    ]
    assert fake.validation_errors == []


def test_draft_outside_a_thread_then_inside_it(fake, gmail):
    first = create_draft(gmail, outreach())
    assert first["message"]["labelIds"] == ["DRAFT"]
    thread_id = first["message"]["threadId"]
    sent_id = fake.send_draft(first["id"])
    sent = fake.message(sent_id)
    follow = outreach(
        "Re: Ten minutes?",
        In_Reply_To=sent.header("Message-ID"),
        References=sent.header("Message-ID"),
    )
    in_thread = create_draft(gmail, follow, thread_id)
    assert in_thread["message"]["threadId"] == thread_id

    other_subject = create_draft(gmail, outreach("Something else"), thread_id)
    assert other_subject["message"]["threadId"] != thread_id

    with pytest.raises(HttpError) as missing:
        create_draft(gmail, follow, "deadbeef00000000")
    assert missing.value.resp.status == 404
    assert [m.id for m in fake.thread(thread_id)] == [sent_id, in_thread["message"]["id"]]


def test_list_get_delete_drafts_with_pages(fake, gmail):
    assert "drafts" not in gmail.users().drafts().list(userId="me").execute()  # Gmail omits []
    made = [create_draft(gmail, outreach(f"Hello {i}"))["id"] for i in range(3)]
    first = gmail.users().drafts().list(userId="me", maxResults=2, q="in:drafts").execute()
    second = (
        gmail.users()
        .drafts()
        .list(userId="me", maxResults=2, pageToken=first["nextPageToken"])
        .execute()
    )
    listed = [d["id"] for d in first["drafts"] + second["drafts"]]
    assert sorted(listed) == sorted(made) and "nextPageToken" not in second

    got = gmail.users().drafts().get(userId="me", id=made[0], format="raw").execute()
    parsed = BytesParser(policy=policy.default).parsebytes(
        base64.urlsafe_b64decode(got["message"]["raw"])
    )
    assert parsed["Subject"] == "Hello 0"

    gmail.users().drafts().delete(userId="me", id=made[0]).execute()
    assert made[0] not in [d.id for d in fake.drafts()]
    with pytest.raises(HttpError) as gone:
        gmail.users().drafts().get(userId="me", id=made[0]).execute()
    assert gone.value.resp.status == 404


def test_sent_draft_appears_in_history_and_metadata(fake, gmail):
    draft = create_draft(gmail, outreach())
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    sent_id = fake.send_draft()

    history = (
        gmail.users()
        .history()
        .list(userId="me", startHistoryId=start, historyTypes=["messageAdded"])
        .execute()
    )
    added = [a["message"] for h in history["history"] for a in h["messagesAdded"]]
    assert added == [
        {"id": sent_id, "threadId": draft["message"]["threadId"], "labelIds": ["SENT"]}
    ]
    assert int(history["historyId"]) > int(start)
    assert fake.drafts() == []

    meta = (
        gmail.users()
        .messages()
        .get(userId="me", id=sent_id, format="metadata", metadataHeaders=["Subject", "Message-ID"])
        .execute()
    )
    assert sorted(h["name"] for h in meta["payload"]["headers"]) == ["Message-ID", "Subject"]
    assert meta["labelIds"] == ["SENT"] and "parts" not in meta["payload"]

    full = gmail.users().messages().get(userId="me", id=sent_id).execute()
    body = base64.urlsafe_b64decode(full["payload"]["body"]["data"]).decode()
    assert "few questions" in body


def test_history_is_404_after_expiry(fake, gmail):
    create_draft(gmail, outreach())
    old = gmail.users().getProfile(userId="me").execute()["historyId"]
    fake.expire_history()
    with pytest.raises(HttpError) as too_old:
        gmail.users().history().list(userId="me", startHistoryId=old).execute()
    assert too_old.value.resp.status == 404
    now = str(fake.history_id)
    assert "history" not in gmail.users().history().list(userId="me", startHistoryId=now).execute()


def test_discarded_draft_leaves_no_sent_message(fake, gmail):
    draft = create_draft(gmail, outreach())
    start = str(fake.history_id)
    fake.discard_draft(draft["id"])
    history = gmail.users().history().list(userId="me", startHistoryId=start).execute()
    assert [list(h) for h in history["history"]] == [["id", "messages", "messagesDeleted"]]
    assert fake.messages_in("SENT") == []


def test_reply_and_bounce_thread_like_gmail(fake, gmail):
    thread_id = create_draft(gmail, outreach())["message"]["threadId"]
    fake.send_draft()
    reply_id = fake.reply(thread_id, "ada@example.org", "Option 2 works.")
    bounce_id = fake.bounce(thread_id, "ada@example.org")
    stray = outreach("Unrelated", In_Reply_To=fake.message(reply_id).header("Message-ID"))
    stray_id = fake.deliver(stray)

    thread = (
        gmail.users()
        .threads()
        .get(userId="me", id=thread_id, format="metadata", metadataHeaders=["From"])
        .execute()
    )
    assert [m["id"] for m in thread["messages"]][1:] == [reply_id, bounce_id]
    assert fake.message(stray_id).thread_id != thread_id
    bounce = fake.message(bounce_id).email
    assert bounce.get_content_type() == "multipart/report"
    assert "mailer-daemon" in bounce["From"]

    inbox = gmail.users().messages().list(userId="me", labelIds=["INBOX"]).execute()
    assert [m["id"] for m in inbox["messages"]] == [stray_id, bounce_id, reply_id]
    sent = gmail.users().messages().list(userId="me", q="in:sent").execute()
    assert len(sent["messages"]) == 1


def test_user_edit_keeps_the_draft_id_and_thread_not_the_message_id(fake, gmail):
    # "the draft resource is simply a container that provides a stable ID because the
    # underlying message IDs change every time the message is replaced" (Gmail drafts guide)
    draft = create_draft(gmail, outreach(Message_ID="<ours-1@example.org>"))
    new_id = fake.edit_draft(draft["id"], body="Could I ask you three questions?",
                             subject="Another subject", to="ada@elsewhere.example")
    (edited,) = fake.drafts()
    assert edited.id == new_id == draft["id"] and edited.message_id != draft["message"]["id"]
    assert fake.message(edited.message_id).thread_id == draft["message"]["threadId"]
    header = fake.message(edited.message_id).header("Message-ID")
    assert header == "<ours-1@example.org>"  # kept unless the UI rewrites it
    fake.edit_draft(new_id, rewrite_message_id=True)
    (rewritten,) = fake.drafts()
    assert rewritten.id == draft["id"]
    assert fake.message(rewritten.message_id).header("Message-ID") != header
    updated = (
        gmail.users()
        .drafts()
        .update(
            userId="me",
            id=new_id,
            body={
                "id": new_id,
                "message": {"raw": raw(outreach()), "threadId": draft["message"]["threadId"]},
            },
        )
        .execute()
    )
    assert updated["id"] == new_id
    assert updated["message"]["threadId"] == draft["message"]["threadId"]


def test_scheduled_send_leaves_drafts_now_and_is_sent_later(fake, gmail):
    draft = create_draft(gmail, outreach())
    thread = draft["message"]["threadId"]
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    later = datetime.now(UTC) + timedelta(hours=3)
    waiting = fake.schedule_send(draft["id"], later)
    assert fake.drafts() == [] and [m.label_ids for m in fake.thread(thread)] == [["SCHEDULED"]]
    assert fake.messages_in("SENT") == []
    fake.mailbox.now = lambda: later + timedelta(seconds=1)  # the fake's clock moves on
    gmail.users().getProfile(userId="me").execute()  # any request: the time has come
    (sent,) = fake.messages_in("SENT")
    assert sent.thread_id == thread and sent.id != waiting
    history = gmail.users().history().list(userId="me", startHistoryId=start).execute()
    added = [m["message"]["id"] for h in history["history"] for m in h.get("messagesAdded", [])]
    assert sent.id in added


def test_undo_send_brings_the_same_draft_back(fake, gmail):
    draft = create_draft(gmail, outreach())
    waiting = fake.send_with_undo(draft["id"], seconds=30)
    assert fake.drafts() == []
    assert fake.undo_send(waiting) == draft["id"]
    assert [d.id for d in fake.drafts()] == [draft["id"]] and fake.messages_in("SENT") == []


def test_newer_than_is_honoured(fake, gmail):
    fake.deliver(outreach(Message_ID="<old@example.org>"),
                 received_at=datetime.now(UTC) - timedelta(days=40))
    fake.deliver(outreach(Message_ID="<new@example.org>"))
    found = gmail.users().messages().list(userId="me", q="newer_than:30d").execute()
    assert len(found["messages"]) == 1


def test_message_id_lookup_finds_a_draft_after_a_crash(fake, gmail):
    create_draft(gmail, outreach(Message_ID="<intent-42@automation.local>"))
    found = (
        gmail.users()
        .drafts()
        .list(userId="me", q="rfc822msgid:<intent-42@automation.local>")
        .execute()
    )
    assert len(found["drafts"]) == 1
    sent_id = fake.send_draft()
    # Gmail stamps its own Message-ID on send: the draft's one is not a way to find the mail.
    assert fake.message(sent_id).header("Message-ID") != "<intent-42@automation.local>"


def test_strict_threading_also_wants_references():
    with FakeGoogle(strict_threading=True) as fake:
        gmail = fake.build("gmail")
        thread_id = create_draft(gmail, outreach())["message"]["threadId"]
        fake.send_draft()
        no_refs = create_draft(gmail, outreach("Re: Ten minutes?"), thread_id)
        assert no_refs["message"]["threadId"] != thread_id
        parent = fake.thread(thread_id)[-1].header("Message-ID")
        with_refs = create_draft(
            gmail, outreach("Re: Ten minutes?", In_Reply_To=parent, References=parent), thread_id
        )
        assert with_refs["message"]["threadId"] == thread_id


def test_parallel_clients_share_one_consistent_mailbox(fake):
    def work(_):
        gmail = fake.build("gmail")  # httplib2.Http is not thread-safe: one client a thread
        return [create_draft(gmail, outreach())["id"] for _ in range(5)]

    with ThreadPoolExecutor(4) as pool:
        made = [d for batch in pool.map(work, range(4)) for d in batch]
    assert len(set(made)) == 20 and len(fake.drafts()) == 20


def test_label_change_is_history(fake, gmail):
    msg_id = fake.deliver(outreach("Hi", to="me@example.com"))
    start = str(fake.history_id)
    fake.label(msg_id, remove=["UNREAD"], add=["STARRED"])
    history = (
        gmail.users()
        .history()
        .list(userId="me", startHistoryId=start, historyTypes=["labelAdded"])
        .execute()
    )
    assert history["history"][0]["labelsAdded"][0]["labelIds"] == ["STARRED"]


def test_batch_of_three_gets_reaches_callbacks(fake, gmail):
    ids = [fake.deliver(outreach(f"Note {i}", to="me@example.com")) for i in range(3)]
    got = {}

    def collect(request_id, response, exception):
        got[request_id] = (response, exception)

    batch = BatchHttpRequest(callback=collect, batch_uri=fake.base_url + "batch/gmail/v1")
    for msg_id in ids:
        batch.add(gmail.users().messages().get(userId="me", id=msg_id, format="minimal"))
    batch.add(gmail.users().messages().get(userId="me", id="0000000000000000"))
    batch.execute()

    assert [got[str(i + 1)][0]["id"] for i in range(3)] == ids
    assert got["4"][0] is None and got["4"][1].resp.status == 404
    assert fake.quota_by_method["gmail.users.messages.get"] == 20  # each part counts
    assert ("batch", {"size": 4}) in fake.calls


def test_batch_over_100_parts_is_refused(fake, gmail):
    batch = BatchHttpRequest(batch_uri=fake.base_url + "batch/gmail/v1")
    for _ in range(101):
        batch.add(gmail.users().getProfile(userId="me"))
    with pytest.raises(HttpError) as refused:
        batch.execute()
    assert refused.value.resp.status == 400


def test_sending_is_refused_and_counted(fake, gmail):
    draft = create_draft(gmail, outreach())
    with pytest.raises(HttpError) as refused:
        gmail.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert refused.value.resp.status == 403
    assert "must never send" in str(refused.value)
    with pytest.raises(HttpError):
        gmail.users().messages().send(userId="me", body={"raw": raw(outreach())}).execute()
    assert fake.send_attempts == 2
    assert GMAIL_SEND not in fake.granted_scopes


def test_scopes_are_enforced(fake):
    readonly = fake.credentials([READONLY])
    gmail = build(
        "gmail",
        "v1",
        credentials=readonly,
        static_discovery=True,
        client_options={"api_endpoint": fake.base_url},
        cache_discovery=False,
    )
    gmail.users().drafts().list(userId="me").execute()  # readonly may read
    with pytest.raises(HttpError) as denied:
        create_draft(gmail, outreach())
    assert denied.value.resp.status == 403
    assert denied.value.reason.startswith("Request had insufficient authentication scopes")
    assert plain_http(fake, "GET", "gmail/v1/users/me/profile")[0] == 401


def test_request_shapes_are_checked_against_discovery(fake, gmail):
    with pytest.raises(HttpError) as unknown_key:
        gmail.users().drafts().create(
            userId="me", body={"message": {"raw": raw(outreach())}, "colour": "red"}
        ).execute()
    assert unknown_key.value.resp.status == 400
    assert '"colour"' in str(unknown_key.value)

    token, _ = fake.issue_token()
    status, _ = plain_http(
        fake, "GET", "gmail/v1/users/me/messages/1?format=everything", None, token
    )
    assert status == 400
    status, _ = plain_http(fake, "GET", "gmail/v1/users/me/drafts?colour=red", None, token)
    assert status == 400
    status, _ = plain_http(fake, "GET", "gmail/v1/users/me/nowhere", None, token)
    assert status == 404
    assert len(fake.validation_errors) == 4
    assert any('"colour"' in e for e in fake.validation_errors)


def test_quota_units_follow_the_published_table(fake, gmail):
    draft = create_draft(gmail, outreach())
    gmail.users().drafts().get(userId="me", id=draft["id"]).execute()
    gmail.users().drafts().list(userId="me").execute()
    gmail.users().threads().get(userId="me", id=draft["message"]["threadId"]).execute()
    gmail.users().history().list(userId="me", startHistoryId="1").execute()
    gmail.users().getProfile(userId="me").execute()
    assert fake.quota_used == 10 + 5 + 5 + 10 + 2 + 1
    fake.reset_quota()
    assert fake.quota_used == 0 and fake.quota_by_method == {}


def test_per_minute_quota_answers_429():
    now = [0.0]
    with FakeGoogle(quota_per_minute=15, clock=lambda: now[0]) as fake:
        gmail = fake.build("gmail")
        create_draft(gmail, outreach())
        with pytest.raises(HttpError) as limited:
            create_draft(gmail, outreach())
        assert limited.value.resp.status == 429
        # As at Google: legacy errors[].reason and an ErrorInfo in details, which
        # googleapiclient's error_details prefers.
        body = json.loads(limited.value.content)["error"]
        assert body["errors"][0]["reason"] == "rateLimitExceeded"
        assert body["status"] == "RESOURCE_EXHAUSTED"
        assert limited.value.error_details[0]["reason"] == "RATE_LIMIT_EXCEEDED"
        now[0] = 61.0
        create_draft(gmail, outreach())
        assert len(fake.drafts()) == 2


def test_per_minute_quota_can_answer_403_user_rate_limit():
    now = [0.0]
    with FakeGoogle(quota_per_minute=15, clock=lambda: now[0], quota_overrun_status=403) as fake:
        gmail = fake.build("gmail")
        create_draft(gmail, outreach())
        with pytest.raises(HttpError) as limited:
            create_draft(gmail, outreach())
        assert limited.value.resp.status == 403
        body = json.loads(limited.value.content)["error"]
        assert body["errors"][0]["reason"] == "userRateLimitExceeded"
        assert body["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"


def test_token_endpoint_faults_come_from_the_plan(fake):
    import requests

    fake.inject(503, method_contains="oauth2.token")
    answer = requests.post(fake.token_uri, data={"grant_type": "refresh_token"}, timeout=10)
    assert answer.status_code == 503 and answer.json()["error"] == "temporarily_unavailable"
    fake.inject(429, method_contains="oauth2.token")
    answer = requests.post(fake.token_uri, data={"grant_type": "refresh_token"}, timeout=10)
    assert answer.status_code == 429 and answer.json()["error"] == "temporarily_unavailable"
    fake.inject(500, method_contains="oauth2.token")
    answer = requests.post(fake.token_uri, data={"grant_type": "refresh_token"}, timeout=10)
    assert answer.status_code == 500 and answer.json()["error"] == "server_error"


# ---- faults ----------------------------------------------------------------------------------
def test_injected_503_is_retried_by_num_retries(fake, gmail):
    fake.inject(status=503, times=2, method_contains="drafts")
    request = gmail.users().drafts().list(userId="me")
    backoff = []
    request._sleep = backoff.append  # keep the suite fast; the retry itself is the library's
    request.execute(num_retries=2)
    assert fake.call_count("drafts.list") == 3 and len(backoff) == 2
    assert fake.faults_served == [("gmail.users.drafts.list", 503)] * 2


def test_fault_after_commit_leaves_the_draft_created(fake, gmail):
    fake.inject(503, method_contains="drafts.create", after_commit=True)
    with pytest.raises(HttpError) as ambiguous:
        create_draft(gmail, outreach())
    assert ambiguous.value.resp.status == 503
    assert len(fake.drafts()) == 1


def test_dropped_connection_is_resent_by_httplib2_even_for_post(fake, gmail):
    # httplib2 re-sends any request once when the first reply never comes: a non-idempotent
    # create that committed before the drop is done twice. Only an intent journal saves us.
    fake.inject("drop", method_contains="drafts.create", after_commit=True)
    create_draft(gmail, outreach())
    assert fake.call_count("drafts.create") == 2
    assert len(fake.drafts()) == 2


def test_timeout_fault_hangs_past_the_client_timeout():
    with FakeGoogle(hang_seconds=0.5) as fake:
        creds = fake.credentials()
        http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=0.2))
        gmail = build(
            "gmail",
            "v1",
            http=http,
            static_discovery=True,
            client_options={"api_endpoint": fake.base_url},
            cache_discovery=False,
        )
        fake.inject("timeout", method_contains="getProfile")
        with pytest.raises(TimeoutError):
            gmail.users().getProfile(userId="me").execute()
        assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == fake.email


def test_fault_rate_and_slowness(fake, gmail):
    fake.fault_rate(1.0, statuses=(500,), seed=1, method_contains="getProfile")
    with pytest.raises(HttpError) as failed:
        gmail.users().getProfile(userId="me").execute()
    assert failed.value.resp.status == 500
    fake.fault_rate(0)
    fake.slow(0.2)
    began = time.monotonic()
    gmail.users().getProfile(userId="me").execute()
    assert time.monotonic() - began >= 0.2


# ---- OAuth -----------------------------------------------------------------------------------
def test_refresh_and_revoked_refresh_token(fake, gmail):
    access, refresh = fake.issue_token([READONLY])
    creds = Credentials(
        token=None,
        refresh_token=refresh,
        token_uri=fake.token_uri,
        client_id="cid",
        client_secret="secret",
        scopes=[READONLY],
    )
    creds.refresh(Request())
    assert creds.token and creds.token != access
    assert plain_http(fake, "GET", "gmail/v1/users/me/profile", None, creds.token)[0] == 200

    fake.revoke_refresh_token(refresh)
    with pytest.raises(RefreshError) as revoked:
        creds.refresh(Request())
    assert "invalid_grant" in str(revoked.value)


def test_refresh_cannot_widen_the_granted_scopes(fake):
    _, refresh = fake.issue_token([READONLY])
    greedy = Credentials(
        None,
        refresh_token=refresh,
        token_uri=fake.token_uri,
        client_id="cid",
        client_secret="secret",
        scopes=[READONLY, GMAIL_SEND],
    )
    with pytest.raises(RefreshError, match="invalid_scope"):
        greedy.refresh(Request())
    assert GMAIL_SEND not in fake.granted_scopes


def test_authorization_code_is_exchanged_once_with_its_verifier(fake):
    import hashlib

    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    code = fake.authorization_code([READONLY], challenge.decode().rstrip("="))
    form = {"grant_type": "authorization_code", "code": code, "client_id": "cid"}
    status, body = plain_http_form(fake, {**form, "code_verifier": "w" * 64})
    assert (status, body["error"]) == (400, "invalid_grant")  # a wrong verifier burns the code
    code = fake.authorization_code([READONLY], challenge.decode().rstrip("="))
    status, body = plain_http_form(fake, {**form, "code": code, "code_verifier": verifier})
    assert status == 200 and body["refresh_token"] and body["scope"] == READONLY
    assert plain_http(fake, "GET", "gmail/v1/users/me/profile", None, body["access_token"])[0] \
        == 200
    again = plain_http_form(fake, {**form, "code": code, "code_verifier": verifier})
    assert again[0] == 400  # one use only


def plain_http_form(fake, form):
    from urllib.parse import urlencode

    resp, content = httplib2.Http().request(
        fake.token_uri, "POST", body=urlencode(form),
        headers={"content-type": "application/x-www-form-urlencoded"})
    return resp.status, json.loads(content)


def test_expired_access_token_is_refreshed_by_the_client(fake, gmail):
    fake.expire_access_tokens()
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == "me@example.com"
    assert fake.call_count("oauth2.token") == 1


# ---- Calendar --------------------------------------------------------------------------------
def event_body(
    event_id="meeting00001", start="2030-03-04T15:00:00Z", end="2030-03-04T15:10:00Z", **extra
):
    return {
        "id": event_id,
        "summary": "Informational interview",
        "start": {"dateTime": start},
        "end": {"dateTime": end},
        "attendees": [{"email": "ada@example.org"}],
        **extra,
    }


def test_insert_with_client_id_is_idempotent_and_invites(fake, cal):
    event = (
        cal.events()
        .insert(
            calendarId="primary",
            body=event_body(
                conferenceData={
                    "createRequest": {
                        "requestId": "req-1",
                        "conferenceSolutionKey": {"type": "hangoutsMeet"},
                    }
                }
            ),
            sendUpdates="all",
            conferenceDataVersion=1,
        )
        .execute()
    )
    assert event["id"] == "meeting00001" and event["hangoutLink"].startswith("https://meet")
    assert event["attendees"][0]["responseStatus"] == "needsAction"
    assert [(i["email"], i["kind"]) for i in fake.invitations] == [("ada@example.org", "invite")]

    with pytest.raises(HttpError) as duplicate:
        cal.events().insert(calendarId="primary", body=event_body(), sendUpdates="all").execute()
    assert duplicate.value.resp.status == 409
    assert duplicate.value.error_details[0]["reason"] == "duplicate"

    with pytest.raises(HttpError) as invalid:
        cal.events().insert(calendarId="primary", body=event_body("Not_Base32!")).execute()
    assert invalid.value.resp.status == 400

    cal.events().insert(calendarId="primary", body=event_body("quiet00001")).execute()
    assert len(fake.invitations) == 1  # no sendUpdates, no invite


def test_event_times_need_an_offset_or_a_zone(fake, cal):
    naive = event_body("naive00001", "2030-03-04T15:00:00", "2030-03-04T15:10:00")
    with pytest.raises(HttpError) as refused:
        cal.events().insert(calendarId="primary", body=naive).execute()
    assert "time zone" in str(refused.value)
    zoned = event_body("local00001")
    zoned["start"] = {"dateTime": "2030-03-04T10:00:00", "timeZone": "America/New_York"}
    zoned["end"] = {"dateTime": "2030-03-04T10:10:00", "timeZone": "America/New_York"}
    cal.events().insert(calendarId="primary", body=zoned).execute()
    with pytest.raises(HttpError):
        cal.events().list(calendarId="primary", orderBy="startTime").execute()


def test_freebusy_merges_events_and_busy_blocks(fake, cal):
    cal.events().insert(calendarId="primary", body=event_body()).execute()
    cal.events().insert(
        calendarId="primary",
        body=event_body(
            "transparent01",
            "2030-03-04T09:00:00Z",
            "2030-03-04T10:00:00Z",
            transparency="transparent",
        ),
    ).execute()
    fake.add_busy(datetime(2030, 3, 4, 15, 5, tzinfo=UTC), datetime(2030, 3, 4, 16, tzinfo=UTC))
    window = {"timeMin": "2030-03-04T00:00:00Z", "timeMax": "2030-03-05T00:00:00Z"}
    answer = (
        cal.freebusy()
        .query(body={**window, "items": [{"id": "primary"}, {"id": "other@x.org"}]})
        .execute()
    )
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2030-03-04T15:00:00Z", "end": "2030-03-04T16:00:00Z"}
    ]
    assert answer["calendars"]["other@x.org"]["errors"][0]["reason"] == "notFound"

    too_many = {**window, "items": [{"id": f"c{i}@x.org"} for i in range(51)]}
    too_long = {
        "timeMin": "2030-01-01T00:00:00Z",
        "timeMax": "2030-06-01T00:00:00Z",
        "items": [{"id": "primary"}],
    }
    for body in (too_many, too_long):
        with pytest.raises(HttpError) as refused:
            cal.freebusy().query(body=body).execute()
        assert refused.value.resp.status == 400


def test_patch_to_cancelled_and_attendee_answers(fake, cal):
    cal.events().insert(calendarId="primary", body=event_body(), sendUpdates="all").execute()
    fake.respond_to_event("meeting00001", "ada@example.org", "accepted")
    moved = (
        cal.events()
        .patch(
            calendarId="primary",
            eventId="meeting00001",
            body={
                "start": {"dateTime": "2030-03-04T16:00:00Z"},
                "end": {"dateTime": "2030-03-04T16:10:00Z"},
            },
            sendUpdates="all",
        )
        .execute()
    )
    assert moved["sequence"] == 1 and moved["summary"] == "Informational interview"
    assert moved["attendees"][0]["responseStatus"] == "accepted"

    cal.events().patch(
        calendarId="primary",
        eventId="meeting00001",
        body={"status": "cancelled"},
        sendUpdates="all",
    ).execute()
    assert [i["kind"] for i in fake.invitations] == ["invite", "update", "cancel"]
    listed = (
        cal.events()
        .list(
            calendarId="primary",
            timeMin="2030-03-01T00:00:00Z",
            singleEvents=True,
            orderBy="startTime",
        )
        .execute()
    )
    assert listed["items"] == []
    got = cal.events().get(calendarId="primary", eventId="meeting00001").execute()
    assert got["status"] == "cancelled"


def test_events_list_filters_and_delete(fake, cal):
    cal.events().insert(
        calendarId="primary", body=event_body(extendedProperties={"private": {"contact": "ada"}})
    ).execute()
    cal.events().insert(
        calendarId="primary",
        body=event_body("later00001", "2030-04-01T10:00:00Z", "2030-04-01T10:10:00Z"),
    ).execute()
    march = (
        cal.events()
        .list(calendarId="primary", timeMin="2030-03-01T00:00:00Z", timeMax="2030-03-31T00:00:00Z")
        .execute()
    )
    assert [e["id"] for e in march["items"]] == ["meeting00001"]
    tagged = (
        cal.events().list(calendarId="primary", privateExtendedProperty="contact=ada").execute()
    )
    assert [e["id"] for e in tagged["items"]] == ["meeting00001"]
    by_uid = cal.events().list(calendarId="primary", iCalUID="later00001@google.com").execute()
    assert [e["id"] for e in by_uid["items"]] == ["later00001"]

    cal.events().delete(calendarId="primary", eventId="later00001").execute()
    with pytest.raises(HttpError) as again:
        cal.events().delete(calendarId="primary", eventId="later00001").execute()
    assert again.value.resp.status == 410
    assert fake.quota_by_method["calendar.events.insert"] == 2


def test_stop_closes_keep_alive_connections_quickly():
    fake = FakeGoogle().start()
    gmail = fake.build("gmail")
    gmail.users().getProfile(userId="me").execute()
    began = time.monotonic()
    fake.stop()
    assert time.monotonic() - began < 1.0
