"""Composing messages: strict templates, slot labels, headers that cannot be injected."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.core.compose import (
    build_message,
    clean_header,
    render,
    reply_subject,
    slot_label,
    template_env,
)
from automation.core.models import Slot
from automation.errors import TemplateError

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)


def test_render_strict_undefined_names_template_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("Subject: Hi\n\nline two\n{{ contact.missing }}\n")
    with pytest.raises(TemplateError) as info:
        render(template_env(tmp_path), "t.txt.j2", {"contact": {}})
    assert info.value.template == "t.txt.j2" and info.value.line == 4
    assert "missing" in str(info.value)


def test_render_needs_a_subject_line(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("Hello there\n")
    with pytest.raises(TemplateError, match="Subject"):
        render(template_env(tmp_path), "t.txt.j2", {})


def test_slot_label_in_zone_and_across_noon() -> None:
    start = datetime(2026, 12, 8, 10, 0, tzinfo=NY)
    assert slot_label(Slot(start, start + timedelta(minutes=10)), NY) == \
        "Tue, Dec 8, 10:00\u201310:10 AM EST"
    noon = datetime(2026, 12, 8, 11, 55, tzinfo=NY)
    assert slot_label(Slot(noon, noon + timedelta(minutes=10)), NY) == \
        "Tue, Dec 8, 11:55 AM\u201312:05 PM EST"
    assert slot_label(Slot(start, start + timedelta(minutes=10)), ZoneInfo("Europe/Berlin")) \
        == "Tue, Dec 8, 4:00\u20134:10 PM CET"


def test_headers_cannot_be_injected() -> None:
    msg = build_message(sender_name="Alex", sender="alex@example.org",
                        to_name="Eve\r\nBcc: x@example.com", to="eve@example.com",
                        subject="Hi\nX-Evil: 1", body="b", now=NOW, message_id="<m@x>")
    raw = msg.as_bytes()
    assert b"\nBcc:" not in raw and b"\nX-Evil:" not in raw
    assert clean_header("a\r\n\tb\x00c") == "a b c"
    assert reply_subject("RE: x") == "RE: x" and reply_subject("x") == "Re: x"
