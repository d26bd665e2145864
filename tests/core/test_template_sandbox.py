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
