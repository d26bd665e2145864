"""Browser-test harness: a real ``automation web`` process and Debian's Chromium via Selenium.

- ``WebServer`` starts ``automation web`` on a free loopback port as a subprocess and waits
  (generously: CI shares two cores) until it answers; ``stop`` ends it by its pid.
- ``chrome`` opens Chromium headless through chromedriver with the flags that work on a
  closed network (no background networking, no component updates) and a fresh profile.
- ``axe`` runs axe-core (from the npm registry, ``tests/browser``) on the open page.
Screenshots go to ``var/screenshots/`` (git-ignored), named by page and width.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "var" / "screenshots"
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
PHONE, DESKTOP = 375, 1280
WAIT = 60.0  # seconds; conditions are polled, never slept on


def require_browser() -> None:
    """Skip (saying how to fix it) when Chromium, chromedriver or axe-core is missing; in CI
    (``CI_REQUIRE_BROWSER=1``, set by .ci/run) fail instead, so nothing is skipped silently."""
    problems = [f"no {p}: `apt-get install chromium chromium-driver` (.ci/run does it)"
                for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not AXE.exists():
        problems.append("no axe-core: `npm ci --prefix tests/browser` (make test does it)")
    if problems and os.environ.get("CI_REQUIRE_BROWSER") == "1":
        pytest.fail("; ".join(problems))
    if problems:
        pytest.skip("; ".join(problems))


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll ``condition`` until it returns something truthy; fail saying ``what`` if not."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - not ready yet (a connection refused, a stale node)
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class WebServer:
    """``automation --config CONFIG web --host HOST --port PORT`` in its own process."""

    def __init__(self, config: Path, *, host: str = "127.0.0.1", now: str | None = None,
                 log: Path | None = None) -> None:
        self.config, self.host, self.now = config, host, now
        self.port = free_port(host)
        self.log = log or config.with_name(f"web-{self.port}.log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "automation", "--config", str(self.config), "web",
                "--host", self.host, "--port", str(self.port)]

    def start(self) -> WebServer:
        env = {**os.environ}
        env.pop("AUTOMATION_CONFIG", None)
        if self.now:
            env["AUTOMATION_NOW"] = self.now
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                            env=env, cwd=REPO)
        wait_for(self._answers, f"automation web on {self.url} (log: {self.log})")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"automation web exited {self.process.returncode}: "
                                 f"{self.log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{self.url}/login", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=WAIT)

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def chrome(profile: Path) -> Any:
    """A headless Chromium driven by Debian's chromedriver (never one downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 f"--window-size={DESKTOP},900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.set_page_load_timeout(WAIT)
    return driver


def set_width(driver: Any, width: int) -> None:
    """Make the page's layout viewport ``width`` CSS pixels wide (as a phone of that width)."""
    height = 812 if width == PHONE else 900
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width == PHONE})


def screenshot(driver: Any, name: str, width: int) -> Path:
    """A full-page PNG of the open page in ``var/screenshots/NAME-WIDTH.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{width}.png"
    full = driver.execute_script("return document.documentElement.scrollHeight")
    height = 812 if width == PHONE else 900
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": max(int(full), height), "deviceScaleFactor": 1,
        "mobile": width == PHONE})
    data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})["data"]
    import base64

    path.write_bytes(base64.b64decode(data))
    set_width(driver, width)
    return path


def axe(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the open page (each with ``id``, ``impact``, ``nodes``)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(WAIT)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical',"
        " nodes: [], help: String(e)}]));")
    return list(result)

