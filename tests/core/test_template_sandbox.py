"""Templates run sandboxed: no way out to the system, and a runaway loop stops with a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.core.compose import render, template_env
from automation.errors import TemplateError


def env_with(tmp_path: Path, body: str):
    (tmp_path / "outreach.txt.j2").write_text("Subject: Hello\n\n" + body + "\n")
    return template_env(tmp_path)


def test_a_template_cannot_reach_the_operating_system(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    env = env_with(tmp_path, "{{ cycler.__init__.__globals__.os.popen('touch "
                   f"{marker}').read() }}}}")
    with pytest.raises(TemplateError, match="not allowed in a template"):
        render(env, "outreach.txt.j2", {})
    assert not marker.exists()


def test_a_runaway_range_is_stopped_with_a_clear_message(tmp_path: Path) -> None:
    env = env_with(tmp_path, "{% for i in range(10**12) %}x{% endfor %}")
    with pytest.raises(TemplateError, match="a loop runs away"):
        render(env, "outreach.txt.j2", {})


def test_a_template_writing_megabytes_is_stopped(tmp_path: Path) -> None:
    env = env_with(tmp_path, "{% for i in range(90000) %}{% for j in range(90000) %}"
                   "xxxxxxxx{% endfor %}{% endfor %}")
    with pytest.raises(TemplateError, match="a loop runs away"):
        render(env, "outreach.txt.j2", {})


@pytest.mark.parametrize("body", [
    # The nested loop that prints nothing, and ones under the sandbox's range cap.
    "{% for a in range(10**6) %}{% for b in range(10**6) %}{% endfor %}{% endfor %}",
    "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
    "{% for a in range(9999) %}{% for b in range(9999) %}{% for c in range(9999) %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{% set s = 'x' * 99999 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "{% for a in range(99999) %}{% for b in range(99999) %}{% if loop.last %}{% endif %}"
    "{% endfor %}{% endfor %}",
])
def test_a_silent_runaway_loop_is_stopped_within_bounded_work(tmp_path: Path,
                                                               body: str) -> None:
    """No output to count, so the loop steps are counted: the render stops long before
    the ten billion steps these would take."""
    env = env_with(tmp_path, body)
    with pytest.raises(TemplateError, match="a loop runs away"):
        render(env, "outreach.txt.j2", {})


@pytest.mark.parametrize("body", [
    "{{ ('x' * 10**9)|length }}",
    "{{ 2 ** 100000000 }}",  # Jinja reads 10**10**8 as (10**10)**8: small
    "{{ 'x'.ljust(10**9)|length }}",
    "{{ [0] * 10**9 }}",
    "{{ 'x'|center(10**9)|length }}",
    "{{ 'x'|indent(10**9, true)|length }}",
])
def test_a_huge_value_is_refused_before_it_is_built(tmp_path: Path, body: str) -> None:
    env = env_with(tmp_path, body)
    with pytest.raises(TemplateError, match="a loop runs away|too large"):
        render(env, "outreach.txt.j2", {})


def test_ordinary_loops_and_arithmetic_still_work(tmp_path: Path) -> None:
    env = env_with(tmp_path, "{% for s in slots %}{{ loop.index }}. {{ s }}\n{% endfor %}"
                   "{{ '-' * 10 }} {{ 2 ** 10 }} {{ 'ab'.ljust(4) }}{{ 'x'|center(3) }}|{{ 1|round(1) }}")
    body = render(env, "outreach.txt.j2", {"slots": ["Tue", "Wed"]}).body
    assert body == "1. Tue\n2. Wed\n---------- 1024 ab   x |1\n"
