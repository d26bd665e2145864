"""Fields read off the templates' dicts come out as Jinja's own sandbox gives them.

``BoundedSandbox.getattr`` reads a plain dict's item before looking for an attribute that no
dict has; every template below renders (or fails) exactly as under Jinja's
``SandboxedEnvironment``: items, dict methods, a key named like a method, a missing field,
an internal attribute, and objects that are not plain dicts.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

from automation.core.sandbox import BoundedSandbox

OPTIONS: dict[str, Any] = {"undefined": jinja2.StrictUndefined, "autoescape": False}
VARIABLES: dict[str, Any] = {
    "contact": {"first_name": "Ada", "company": "", "items": "a key named like a method",
                "nested": {"role": "Engineer"}, "n": 3},
    "ordered": OrderedDict(first_name="Grace"),
    "me": {"name": "Alex Rivera"},
}
TEMPLATES = [
    "Hi {{ contact.first_name }} at {{ contact.company or 'your team' }}",
    "{{ contact.nested.role }} {{ contact.n * 2 }}",
    "{{ contact.items() | list | length }} {{ contact.keys() | sort | join(',') }}",
    "{{ contact.get('first_name') }} {{ contact.get('missing', 'none') }}",
    "{{ contact.items is defined }} {{ contact['items'] }}",
    "{{ ordered.first_name }} {{ me.name.split()[0] }}",
    "{{ contact.missing }}",
    "{{ contact.nested.missing }}",
    "{{ contact.missing is defined }} {{ contact.missing | default('x') }}",
    "{{ contact.__class__ }}",
    "{{ contact.__class__.__mro__ }}",
    "{{ contact.update }}",
    "{{ contact.first_name.__class__ }}",
]


def outcome(env: jinja2.Environment, source: str) -> tuple[str, str]:
    try:
        return "ok", env.from_string(source).render(VARIABLES)
    except Exception as exc:  # the error a user sees: its kind and its words
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("source", TEMPLATES)
def test_a_field_reads_as_in_jinjas_sandbox(source: str) -> None:
    assert outcome(BoundedSandbox(**OPTIONS), source) == \
        outcome(SandboxedEnvironment(**OPTIONS), source)


def test_every_dict_attribute_is_still_an_attribute() -> None:
    """Any name a dict has as an attribute is read as that attribute, never as an item of
    the same name (as Jinja reads it)."""
    env = BoundedSandbox(**OPTIONS)
    shadowed = {name: "item" for name in dir(dict)}
    for name in ("items", "keys", "values", "get", "copy"):
        assert env.getattr(shadowed, name) == getattr(shadowed, name)
