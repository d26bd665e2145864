"""The dashboard in a real browser: Debian's Chromium, driven by Selenium, against a real
``automation web`` process on loopback that each test module starts and stops.

Every wait is on a condition with a generous timeout (CI shares two cores). Screenshots of
each page at phone and desktop width land in ``var/screenshots/``.
"""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.support.webkit import (
    DESKTOP,
    PHONE,
    WebServer,
    axe,
    chrome,
    require_browser,
    screenshot,
    set_width,
    wait_for,
)
from tests.support.webscenario import AFTER_REPLY, PRIYA, Story, flagged_reply

PAGES = {"today": "/", "pipeline": "/pipeline", "contact": f"/contacts/{PRIYA}",
         "import": "/import", "insights": "/insights", "health": "/health"}


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_browser()
    browser = chrome(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def story(tmp_path: Path) -> Story:
    """A fresh story for a test that books."""
    return flagged_reply(tmp_path / "ws")


@pytest.fixture
def server(story: Story) -> Iterator[WebServer]:
    with WebServer(story.config, now=AFTER_REPLY) as web:
        yield web


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Story, WebServer]]:
    """One story and server for the tests that only read (or only add contacts)."""
    story = flagged_reply(tmp_path_factory.mktemp("shared") / "ws")
    with WebServer(story.config, now=AFTER_REPLY) as web:
        yield story, web


def notice(driver: Any) -> str:
    return str(wait_for(lambda: driver.find_element(By.CSS_SELECTOR, ".notice").text,
                        "the action's notice"))


def book_button(driver: Any, option: int) -> Any:
    return wait_for(lambda: next(b for b in driver.find_elements(By.CSS_SELECTOR, "button")
                                 if b.text.startswith(f"Book option {option}:")),
                    f"the 'Book option {option}' button")


def test_today_book_option_2_writes_the_event_and_the_confirmation(
        driver: Any, story: Story, server: WebServer) -> None:
    """Today shows the flagged reply with its offered slots; "Book option 2" books it."""
    set_width(driver, DESKTOP)
    driver.get(server.url + "/")
    card = driver.find_element(By.ID, "attention-1")
    assert "Priya Raman" in card.text and "Option 2 or option 3" in card.text
    offered = story.json("show", PRIYA)["offered"]
    assert story.events() == [] and story.invites_to(PRIYA) == []

    book_button(driver, 2).click()

    assert notice(driver).startswith("Booked Priya Raman")
    (event_file,) = wait_for(story.events, "the event file")
    (vevent,) = Calendar.from_ical(event_file.read_bytes()).walk("VEVENT")
    assert vevent.decoded("DTSTART") == datetime.fromisoformat(offered[1]["start"])
    (confirmation,) = story.invites_to(PRIYA)
    assert "confirm" in str(confirmation["Subject"]).lower() or \
        str(confirmation["Subject"]).startswith("Re:")
    shown = story.json("show", PRIYA)
    assert shown["status"] == "scheduled" and shown["needs_attention"] is None
    assert any("via web" in e["cause"] for e in shown["timeline"])


def test_a_double_click_books_once(driver: Any, story: Story, server: WebServer) -> None:
    """Two clicks on "Book option 2" in a row make one event and one confirmation."""
    set_width(driver, DESKTOP)
    driver.get(server.url + "/")
    ActionChains(driver).double_click(book_button(driver, 2)).perform()
    assert notice(driver).startswith(("Booked Priya Raman", "Already booked"))
    assert len(story.events()) == 1
    assert len(story.invites_to(PRIYA)) == 1
    booked = [e for e in story.json("show", PRIYA)["timeline"] if e["new_status"] == "scheduled"]
    assert len(booked) == 1


def test_the_same_form_posted_twice_at_once_runs_once(driver: Any, story: Story,
                                                      server: WebServer) -> None:
    """The one-time token: the same submitted form twice, concurrently, notes once, and both
    answers send the browser to the same result."""
    driver.get(server.url + f"/contacts/{PRIYA}")
    form = driver.find_element(By.CSS_SELECTOR, f"form[action='/contacts/{PRIYA}/note']")
    fields = {i.get_attribute("name"): i.get_attribute("value")
              for i in form.find_elements(By.CSS_SELECTOR, "input[type=hidden]")}
    fields["text"] = "the advice on public-health internships"
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                         _NoRedirect())
    for cookie in driver.get_cookies():
        opener.addheaders.append(("Cookie", f"{cookie['name']}={cookie['value']}"))
    body = urllib.parse.urlencode(fields).encode()
    answers: list[tuple[int, str]] = []

    def post() -> None:
        request = urllib.request.Request(server.url + f"/contacts/{PRIYA}/note", data=body)
        try:
            opener.open(request, timeout=60)
        except urllib.error.HTTPError as exc:
            answers.append((exc.code, exc.headers.get("Location", "")))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [code for code, _ in answers] == [303, 303]
    assert answers[0][1] == answers[1][1] and "done=" in answers[0][1]
    notes = [e for e in story.json("show", PRIYA)["timeline"] if e["event"] == "note"]
    assert len(notes) == 1 and notes[0]["cause"].endswith("(via web)")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_pipeline_columns_match_contacts_json(driver: Any,
                                              shared: tuple[Story, WebServer]) -> None:
    """Each column holds exactly the contacts `contacts --json` lists in that status."""
    story, server = shared
    driver.get(server.url + "/pipeline")
    expected: dict[str, set[str]] = {}
    for row in story.json("contacts"):
        expected.setdefault(row["status"], set()).add(row["email"])
    driver.find_element(By.CSS_SELECTOR, ".side-exits summary").click()
    columns = driver.find_elements(By.CSS_SELECTOR, "section.column")
    assert len(columns) == 12
    for column in columns:
        status = column.get_attribute("data-status")
        cards = {c.get_attribute("data-email") for c in
                 column.find_elements(By.CSS_SELECTOR, "article[data-email]")}
        count = int(column.find_element(By.CSS_SELECTOR, "[data-count]").text)
        assert cards == expected.get(status, set()), status
        assert count == len(expected.get(status, set())), status


def test_import_a_csv_through_the_page(driver: Any, shared: tuple[Story, WebServer],
                                       tmp_path: Path) -> None:
    """The upload gives the CLI's per-row report, and the contacts are there afterwards."""
    story, server = shared
    source = tmp_path / "classmates.csv"
    source.write_text("First Name,Last Name,Email,Company,Title\n"
                      "Ana,Silva,ana.silva@example.org,Clinic One,Nurse\n"
                      "No,Address,,Nowhere,None\n"
                      "Ben,Okoro,ben.okoro@example.org,Lab Two,Analyst\n", encoding="utf-8")
    driver.get(server.url + "/import")
    driver.find_element(By.ID, "file").send_keys(str(source))
    driver.find_element(By.ID, "tags").send_keys("classmates")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit].primary").click()
    report = notice(driver)
    assert "classmates.csv line 3" in report
    assert "2 imported" in report and "1 skipped" in report
    rows = {r["email"]: r for r in story.json("contacts")}
    assert rows["ana.silva@example.org"]["tags"] == ["classmates"]
    assert "ben.okoro@example.org" in rows
    assert not list(story.root.glob(".import-*")), "the uploaded file must not stay behind"


def test_every_page_fits_a_phone_and_passes_axe(driver: Any,
                                                shared: tuple[Story, WebServer]) -> None:
    """At 375 px nothing scrolls sideways and every control is at least 44 px tall; axe-core
    finds no serious or critical violation at either width. Screenshots of each page at both
    widths are kept in var/screenshots/."""
    _story, server = shared
    for width in (PHONE, DESKTOP):
        set_width(driver, width)
        for name, path in PAGES.items():
            driver.get(server.url + path)
            wait_for(lambda: driver.find_element(By.TAG_NAME, "h1"), f"{name} to render")
            for details in driver.find_elements(By.CSS_SELECTOR, "details"):
                driver.execute_script("arguments[0].open = true", details)
            if width == PHONE:
                assert driver.execute_script(
                    "return document.documentElement.scrollWidth") <= PHONE, name
                small = driver.execute_script(SMALL_TARGETS)
                assert small == [], f"{name}: tap targets under 44 px: {small}"
            serious = [(v["id"], v.get("help"), len(v["nodes"])) for v in axe(driver)
                       if v["impact"] in ("serious", "critical")]
            assert serious == [], f"{name} at {width}px: {serious}"
            for details in driver.find_elements(By.CSS_SELECTOR, "details"):
                driver.execute_script("arguments[0].open = false", details)
            assert screenshot(driver, name, width).stat().st_size > 0


#: Controls a thumb must hit (inline links inside sentences are exempt, as in WCAG 2.5.8).
SMALL_TARGETS = """
return [...document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, summary, nav a, a.button, h3 > a')]
  .filter(e => e.offsetParent !== null)
  .map(e => [e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 30),
             e.getBoundingClientRect()])
  .filter(([_, r]) => r.height < 44 || r.width < 44)
  .map(([what, r]) => what + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
"""
