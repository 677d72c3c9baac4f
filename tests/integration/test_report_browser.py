"""The HTML report in a real browser: Debian's headless Chromium opens the file, offline.

It asserts every section and chart is there and visible, the screenshot is not blank, no console
error and no network request (anything but the file itself is recorded and aborted), one figure
per section against a plain computation, no sideways overflow on a phone, and sections kept in
print. A fresh machine gets Chromium from its package manager here (as root: `apt-get install
chromium`); only where there is none is the module skipped, loudly. Playwright drives it
(`executable_path`); its own browser downloads are never used.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, sync_playwright

from tests.integration.html_portal import (
    CHARTS,
    NASTY_COMPANY,
    SECTIONS,
    Report,
    build_report,
    expected,
    show,
)

CHROMIUM = Path("/usr/bin/chromium")
# Chromium's own background connections (updates, sync, QUIC probes) are refused on this machine.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _say(config: pytest.Config | None, text: str) -> None:
    """Print past pytest's output capture, so the line shows while the suite runs."""
    capture = config.pluginmanager.getplugin("capturemanager") if config else None
    if capture is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        print(text, flush=True)


def _loud_skip(reason: str, config: pytest.Config | None = None) -> NoReturn:
    message = f"BROWSER TEST SKIPPED: {reason}"
    _say(config, f"\n{'!' * 78}\n{message}\n{'!' * 78}")
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # the suite turns warnings into errors; this one must only be seen
        warnings.warn(message, UserWarning, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium(pytestconfig: pytest.Config) -> Path:
    """Debian's chromium, installed from the package manager when missing (root, or passwordless sudo)."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        _loud_skip(
            f"{CHROMIUM} is missing and there is no apt-get to install it (install chromium by hand)", pytestconfig
        )
    sudo: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            pytest.fail(f"{CHROMIUM} is missing and installing it needs root: run `apt-get install chromium` as root")
        sudo = ["sudo", "-n"]
    _say(
        pytestconfig,
        f"\n{CHROMIUM} is missing: installing Debian's chromium (apt-get update; apt-get install chromium)",
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in ([*sudo, apt, "update"], [*sudo, apt, "install", "-y", "--no-install-recommends", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    assert CHROMIUM.exists(), f"apt-get installed chromium but {CHROMIUM} is not there"
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """One headless Chromium for the module."""
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def report(make_module_sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The backfilled portal's HTML report (same portal as test_report_html.py)."""
    return build_report(make_module_sandbox, tmp_path_factory.mktemp("browser-report"))


@dataclass
class Watched:
    """A page with everything it logged or tried to fetch."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def _open(browser: Browser, html: Path, **context: Any) -> Watched:
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    watched = Watched(page)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            watched.errors.append(f"console: {msg.text}")

    def on_request(request: Request) -> None:
        if not request.url.startswith(("file://", "data:")):
            watched.requests.append(request.url)

    def route(r: Route) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            r.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: watched.errors.append(f"pageerror: {exc}"))
    page.on("request", on_request)
    page.route("**/*", route)
    page.goto(html.resolve().as_uri(), wait_until="load")
    return watched


@pytest.fixture(scope="module")
def desktop(browser: Browser, report: Report) -> Iterator[Watched]:
    """The report open at 1100 x 900."""
    watched = _open(browser, report.html, viewport={"width": 1100, "height": 900})
    yield watched
    watched.page.context.close()


def _visible(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return page.locator(selector).is_visible() and box is not None and box["width"] > 0 and box["height"] > 0


def _cell(page: Page, table: str, row: str, column: int) -> str:
    """The text of a body row's cell (0 = the row's heading) in a table, by the row's heading."""
    cells = page.locator(f"#{table} tbody tr").filter(has=page.locator(f"th:text-is('{row}'), td:text-is('{row}')"))
    return cells.first.locator("th, td").nth(column).inner_text().strip()


class TestInChromium:
    def test_every_section_and_chart_is_visible(self, desktop: Watched) -> None:
        """Seven sections with their headings and three charts, each rendered with a non-zero box."""
        page = desktop.page
        for key in SECTIONS:
            assert _visible(page, f"section#{key}"), key
            assert _visible(page, f"section#{key} > h2"), key
        charts = page.locator("figure svg")
        assert charts.count() == CHARTS
        for i in range(CHARTS):
            box = charts.nth(i).bounding_box()
            assert charts.nth(i).is_visible()
            assert box is not None
            assert box["width"] > 200
            assert box["height"] > 100
        assert page.locator("figure figcaption").count() == CHARTS

    def test_the_screenshot_is_not_blank(self, desktop: Watched) -> None:
        """A full-page screenshot has many colours and plenty of non-white pixels."""
        shot = Image.open(io.BytesIO(desktop.page.screenshot(full_page=True))).convert("RGB")
        colours = shot.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50
        white = sum(count for count, rgb in colours if rgb == (255, 255, 255))
        assert white < 0.97 * shot.width * shot.height
        assert shot.height > 2000  # every section laid out, not one screen of nothing

    def test_no_console_error_and_no_network_request(self, desktop: Watched) -> None:
        """Nothing logged as an error, nothing fetched but the file (the routes abort anything else)."""
        desktop.page.wait_for_load_state("networkidle")
        assert desktop.errors == []
        assert desktop.requests == []

    def test_one_figure_per_section_matches_a_plain_computation(self, desktop: Watched, report: Report) -> None:
        """As the browser shows them: portal NPS, last month's trend, a distribution bar, at-risk companies,
        a segment's NPS, portal CSAT, follow-ups."""
        page, want = desktop.page, expected(report)
        assert page.locator("#portal-nps").inner_text() == show(want["portal_nps"])
        assert _cell(page, "trend-table", want["trend_last_month"], 1) == show(want["trend_last_nps"])
        top = max(range(11), key=lambda s: (want["distribution"].get(s, 0), s))
        assert _cell(page, "distribution-table", "Contacts", top + 1) == str(want["distribution"][top])
        assert page.locator("#at-risk-table tbody tr").count() == len(want["at_risk"])
        assert page.locator("#at-risk-table a", has_text=NASTY_COMPANY).count() == 1
        assert _cell(page, "segments-table", "Software", 2) == show(want["software_nps"])
        assert _cell(page, "satisfaction-table", "(all)", 1) == show(want["portal_csat"])
        assert page.locator("#closed-loop-followups").inner_text() == str(want["followups"])

    def test_a_phone_has_no_sideways_overflow(self, browser: Browser, report: Report) -> None:
        """390 x 844: the page is no wider than the screen; wide tables scroll inside their own box."""
        phone = _open(browser, report.html, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        try:
            page = phone.page
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], width
            for key in SECTIONS:
                assert _visible(page, f"section#{key}"), key
            scrolls = page.evaluate(
                "() => { const w = document.querySelector('#segments-table').parentElement;"
                " return [w.scrollWidth > w.clientWidth, getComputedStyle(w).overflowX]; }"
            )
            assert scrolls == [True, "auto"]
            box = page.locator("figure svg").first.bounding_box()
            assert box is not None
            assert box["width"] <= 390
            assert phone.errors == []
            assert phone.requests == []
        finally:
            page.context.close()

    def test_print_keeps_every_section(self, browser: Browser, report: Report) -> None:
        """Print media: every section and chart still visible, the navigation left out."""
        printed = _open(browser, report.html, viewport={"width": 800, "height": 1100})
        try:
            page = printed.page
            page.emulate_media(media="print")
            assert page.evaluate("() => matchMedia('print').matches")
            for key in SECTIONS:
                assert _visible(page, f"section#{key}"), key
            assert page.locator("figure svg").count() == CHARTS
            assert all(page.locator("figure svg").nth(i).is_visible() for i in range(CHARTS))
            assert not page.locator("nav").is_visible()
        finally:
            page.context.close()
