"""Nothing in the package can send mail: no sending scope is requested, no send call exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from automation.adapters.google.auth import SCOPES

PACKAGE = Path(__file__).resolve().parents[2] / "automation"
SEND_SCOPE = re.compile(r"auth/gmail\.send|mail\.google\.com")
# drafts().send(...) / messages().send(...), however the chain is wrapped across lines, and
# the discovery method names that would reach the same endpoints.
SEND_CALL = re.compile(r"(drafts|messages)\(\)\s*\.\s*send\s*\(|(drafts|messages)\.send\b")


def send_calls(source: str) -> list[str]:
    """Every ``X.drafts().send`` / ``X.messages().send`` attribute in ``source`` (by AST)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "send":
            inner = node.value
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and \
                    inner.func.attr in ("drafts", "messages"):
                found.append(ast.unparse(node))
    return found


def offences(source: str) -> list[str]:
    return ([m.group(0) for m in SEND_SCOPE.finditer(source)]
            + [m.group(0) for m in SEND_CALL.finditer(source)] + send_calls(source))


def test_the_detector_catches_each_way_of_sending() -> None:
    # The check below could not fail if this did not.
    assert offences('s = "https://www.googleapis.com/auth/gmail.send"')
    assert offences('s = "https://mail.google.com/"')
    assert offences("svc.users().drafts().send(userId='me', body={}).execute()")
    assert offences("(svc.users()\n  .messages()\n  .send(userId='me'))")
    assert offences("api.call(req, 'messages.send')")
    assert offences("svc.users().drafts().create(userId='me')") == []


def test_no_module_requests_a_sending_scope_or_calls_send() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 20
    found = {str(p.relative_to(PACKAGE)): offences(p.read_text(encoding="utf-8"))
             for p in modules}
    assert {k: v for k, v in found.items() if v} == {}


def test_scopes_are_exactly_the_four_needed() -> None:
    base = "https://www.googleapis.com/auth/"
    assert SCOPES == (base + "gmail.compose", base + "gmail.readonly",
                      base + "calendar.events", base + "calendar.events.freebusy")
