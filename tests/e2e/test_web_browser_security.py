"""The dashboard's security in a real browser: logging in on a non-loopback bind, and an XSS
corpus fed through every contact field and through inbound mail, with nothing executing."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from tests.support import play
from tests.support.webkit import (
    DESKTOP,
    PHONE,
    WebServer,
    chrome,
    require_browser,
    set_width,
    wait_for,
)
from tests.support.webscenario import AFTER_REPLY, MONDAY, PRIYA, Story, flagged_reply

PASSWORD = "a long web password"

#: Each payload would set ``window.__xss`` (or open an alert) if it ever ran.
PAYLOADS = (
    "<script>window.__xss=1</script>",
    "\"><img src=x onerror=\"window.__xss=2\">",
    "'><svg onload=window.__xss=3>",
    "<a href=\"javascript:window.__xss=4\">click</a>",
    "</textarea><script>window.__xss=5</script>",
    "<iframe srcdoc=\"<script>parent.__xss=6</script>\"></iframe>",
    "<body onload=alert(7)>",
    "{{7*7}} ${7*7} [bold]x[/bold]",
)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_browser()
    browser = chrome(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser
    finally:
        browser.quit()


def test_login_on_a_non_loopback_bind(driver: Any, tmp_path: Path) -> None:
    """127.0.0.2 is not "this machine": the server refuses it without a password, and with
    one every page asks for it; the session cookie is HttpOnly and SameSite=Strict."""
    story = flagged_reply(tmp_path / "ws")
    refused = WebServer(story.config, host="127.0.0.2", now=AFTER_REPLY)
    result = story.cli("web", "--host", "127.0.0.2", "--port", str(refused.port), check=False)
    assert result.returncode == 1 and "without a password" in result.stderr
    story.cli("web", "--set-password", stdin=PASSWORD + "\n")

    with WebServer(story.config, host="127.0.0.2", now=AFTER_REPLY) as server:
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(server.url + "/api/status", timeout=30)
        assert denied.value.code == 401
        set_width(driver, PHONE)
        driver.delete_all_cookies()
        driver.get(server.url + "/pipeline")
        wait_for(lambda: "/login" in driver.current_url, "the login page")
        driver.find_element(By.ID, "password").send_keys("not it")
        driver.find_element(By.CSS_SELECTOR, "button.primary").click()
        assert "Wrong password" in wait_for(
            lambda: driver.find_element(By.CSS_SELECTOR, ".notice.bad").text, "the refusal")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "button.primary").click()
        wait_for(lambda: driver.current_url.endswith("/pipeline"), "the pipeline after login")
        assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Pipeline")
        (cookie,) = [c for c in driver.get_cookies() if c["name"] == "automation_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        driver.find_element(By.CSS_SELECTOR, ".logout button").click()
        wait_for(lambda: "/login" in driver.current_url, "the login page after logging out")
        driver.get(server.url + "/")
        assert "/login" in driver.current_url


def _xss_story(root: Path) -> tuple[Story, list[str]]:
    """Contacts whose every field is a payload, a note and a referral made of payloads, and a
    reply whose sender name, subject and text are payloads (flagged, so Today shows it)."""
    story = flagged_reply(root)
    rows = ["First Name,Last Name,Email,Company,Title,Timezone,Notes"]
    emails = []
    for i, p in enumerate(PAYLOADS):
        emails.append(f"xss{i}@example.org")
        q = p.replace('"', '""')
        rows.append(f'"{q}","{q}",xss{i}@example.org,"{q}","{q}","{q}","{q}"')
    source = root / "xss.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    story.cli("import", str(source), "--tag", PAYLOADS[1], "--referred-by", PRIYA, now=MONDAY)
    story.cli("note", "xss0@example.org", PAYLOADS[0], now=MONDAY)
    story.cli("refer", "xss1@example.org", "--name", PAYLOADS[2], "--email",
              "xss-referred@example.org", "--company", PAYLOADS[3], now=MONDAY)
    story.cli("run", "--once", now=MONDAY)
    outreach = next(m for m in story.json("show", "xss0@example.org")["messages"]
                    if m["kind"] == "outreach")
    play.send(story.maildir, outreach["message_id"])
    reply = EmailMessage()
    reply["From"] = f"\"{PAYLOADS[1]}\" <xss0@example.org>"
    reply["To"] = "me@example.org"
    reply["Subject"] = "Re: " + PAYLOADS[0]
    reply["Message-ID"] = "<reply-xss-1@example.org>"
    reply["In-Reply-To"] = reply["References"] = outreach["message_id"]
    reply["Date"] = format_datetime(datetime.fromisoformat("2026-12-07T10:00:00-05:00"))
    reply.set_content("Option 2 or option 3 works. " + " ".join(PAYLOADS) + "\n")
    play.deliver(story.maildir, reply)
    story.cli("run", "--once")
    assert story.json("show", "xss0@example.org")["needs_attention"]
    return story, emails


NOTHING_RAN = """
const bad = [...document.querySelectorAll('*')].filter(e =>
    [...e.attributes].some(a => a.name.startsWith('on') ||
                                (a.name === 'href' && a.value.startsWith('javascript:'))));
return {xss: window.__xss === undefined ? null : window.__xss,
        scripts: document.scripts.length, iframes: document.querySelectorAll('iframe').length,
        handlers: bad.map(e => e.outerHTML.slice(0, 80))};
"""


def test_an_xss_corpus_in_contacts_and_mail_never_executes(driver: Any, tmp_path: Path) -> None:
    story, emails = _xss_story(tmp_path / "ws")
    pages = ["/", "/pipeline", "/pipeline?company=" + urllib.request.quote(PAYLOADS[0]),
             "/insights", "/health", "/import", "/contacts/xss-referred@example.org",
             *(f"/contacts/{e}" for e in emails)]
    with WebServer(story.config, now=AFTER_REPLY) as server:
        for width in (DESKTOP, PHONE):
            set_width(driver, width)
            for path in pages:
                driver.get(server.url + path)
                wait_for(lambda: driver.find_element(By.TAG_NAME, "h1"), f"{path} to render")
                for details in driver.find_elements(By.CSS_SELECTOR, "details"):
                    driver.execute_script("arguments[0].open = true", details)
                with pytest.raises(NoAlertPresentException):
                    driver.switch_to.alert.text  # noqa: B018 - raises when there is none
                found = driver.execute_script(NOTHING_RAN)
                assert found == {"xss": None, "scripts": 0, "iframes": 0, "handlers": []}, path
        # The payloads are shown as the text they are, not dropped.
        driver.get(server.url + "/contacts/xss0@example.org")
        assert PAYLOADS[0] in driver.find_element(By.TAG_NAME, "main").text
        driver.get(server.url + "/contacts/xss7@example.org")
        assert PAYLOADS[7] in driver.find_element(By.TAG_NAME, "main").text  # not "49"
        driver.get(server.url + "/")
        assert "Option 2 or option 3 works. <script>window.__xss=1</script>" in \
            driver.find_element(By.TAG_NAME, "main").text
