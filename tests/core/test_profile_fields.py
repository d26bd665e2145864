"""The contact profile is listed once (core/models.PROFILE_FIELDS); everything derives from it."""

from __future__ import annotations

from dataclasses import fields

from automation.core.models import PROFILE_FIELDS, Contact
from automation.core.records import ContactRecord


def test_every_profile_field_is_a_field_of_both_the_record_and_the_contact() -> None:
    record = {f.name for f in fields(ContactRecord)}
    contact = {f.name for f in fields(Contact)}
    assert set(PROFILE_FIELDS) <= record & contact
    # What a record carries besides its profile is where it came from, not who they are.
    assert record - set(PROFILE_FIELDS) == {"email", "line", "extra_emails"}
