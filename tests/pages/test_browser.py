"""The public pages in a real browser: Debian's chromium, driven by Playwright.

Each page is loaded at a phone's and a desktop's width, its links followed, the
console watched for errors, and the basics of accessibility checked (landmarks,
heading order, alt text, labels, the contrast of the status colours computed here,
a visible keyboard focus). Screenshots go to ``artifacts/pages/`` (git-ignored; CI
keeps them): look at them before landing a change to the pages.

Playwright's sync API runs on a thread of its own while the bot's event loop serves
the pages. ``playwright install`` is never needed: the browser is the system's
``chromium`` (``.ci/run`` installs it). Without one these tests skip, except in CI,
where they fail.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
import simcord
from playwright.sync_api import BrowserContext
from playwright.sync_api import Page
from playwright.sync_api import Playwright
from playwright.sync_api import sync_playwright

from bot import i18n
from bot.devtools.testing import World
from bot.paths import ROOT
from tests.pages.conftest import base_url
from tests.pages.conftest import Data
from tests.pages.conftest import populate

# populate() has the extension watch check the whole list (about 70 requests on
# loopback) while simcord waits: more than the default five real seconds when loaded.
pytestmark = pytest.mark.simcord(settle_timeout=60)

ARTIFACTS = ROOT / "artifacts" / "pages"
PUBLIC_URL = "https://community.example.org"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
#: WCAG AA for normal text.
CONTRAST = 4.5
STATUSES = ("healthy", "watch", "at_risk", "needs_caretakers", "unknown")

T = TypeVar("T")


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium in CI: .ci/run installs Debian's chromium")
        pytest.skip("no chromium on PATH: apt-get install chromium (Debian's package)")
    return path


class Browser:
    """Chromium with an empty profile, driven from one thread of its own."""

    def __init__(self, executable: str, profile: Path) -> None:
        self._executable = executable
        self._profile = profile
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="browser")
        self._playwright: Playwright | None = None
        self._contexts: list[BrowserContext] = []

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, work, *args)

    def start(self) -> None:
        self._playwright = sync_playwright().start()

    def context(self, name: str, **options: Any) -> BrowserContext:
        """A fresh context on an empty user-data-dir (``timezone_id``, ...)."""
        assert self._playwright is not None
        context = self._playwright.chromium.launch_persistent_context(
            str(self._profile / name),
            executable_path=self._executable,
            headless=True,
            args=CHROMIUM_ARGS,
            locale="en-US",
            **options,
        )
        self._contexts.append(context)
        return context

    def stop(self) -> None:
        for context in self._contexts:
            context.close()
        if self._playwright is not None:
            self._playwright.stop()

    async def close(self) -> None:
        await self.run(self.stop)
        self._thread.shutdown()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium()
    with tempfile.TemporaryDirectory(prefix="pallets-chromium-") as profile:
        browser = Browser(executable, Path(profile))
        await browser.run(browser.start)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def site(simcord_env: simcord.Env, world: World) -> tuple[str, Data]:
    data = await populate(simcord_env, world)
    return base_url(simcord_env) + f"/{world.guild.id}/", data


# -- what the browser reads ----------------------------------------------------------------
class Watched:
    """A page whose console errors and failed requests are collected."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "requestfailed",
            lambda request: self.errors.append(f"failed: {request.url}"),
        )


AUDIT = """() => {
  const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  return {
    lang: document.documentElement.lang,
    title: document.title,
    main: document.querySelectorAll("main").length,
    banner: document.querySelectorAll("body > header").length,
    contentinfo: document.querySelectorAll("body > footer").length,
    navs: [...document.querySelectorAll("nav")].map((n) => n.getAttribute("aria-label")),
    headings: [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
      .filter(visible).map((h) => Number(h.tagName[1])),
    imagesWithoutAlt: [...document.querySelectorAll("img")]
      .filter((i) => !i.hasAttribute("alt")).length,
    unlabelled: [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((i) => !(i.labels && i.labels.length) && !i.getAttribute("aria-label")).length,
    emptyLinks: [...document.querySelectorAll("a")]
      .filter((a) => !a.textContent.trim()).length,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  };
}"""


def audit(page: Page, name: str) -> dict[str, Any]:
    """Landmarks, heading order, alt text, labels, no sideways scrolling."""
    found: dict[str, Any] = page.evaluate(AUDIT)
    assert found["lang"] and found["title"], name
    assert found["main"] == 1, f"{name}: one main landmark"
    assert found["banner"] == 1 and found["contentinfo"] == 1, name
    # The sections and the language switch, each named (in the page's language).
    assert len(found["navs"]) >= 2 and all(found["navs"]), f"{name}: {found['navs']}"
    levels = found["headings"]
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"{name}: {levels}"
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"{name}: heading h{before} then h{after}"
    assert found["imagesWithoutAlt"] == 0, name
    assert found["unlabelled"] == 0, name
    assert found["emptyLinks"] == 0, name
    assert found["overflow"] <= 0, f"{name}: scrolls sideways by {found['overflow']}px"
    return found


def luminance(colour: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"[\d.]+", colour)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (luminance(foreground), luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


COLOURS = """(selectors) => {
  const backgroundOf = (e) => {
    for (let node = e; node; node = node.parentElement) {
      const bg = getComputedStyle(node).backgroundColor;
      if (bg && bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent") return bg;
    }
    return "rgb(255, 255, 255)";
  };
  const out = [];
  for (const selector of selectors) {
    for (const e of document.querySelectorAll(selector)) {
      out.push([selector, getComputedStyle(e).color, backgroundOf(e)]);
    }
  }
  return out;
}"""

STATUS_BADGES = """(statuses) => {
  const holder = document.createElement("p");
  for (const status of statuses) {
    const badge = document.createElement("span");
    badge.className = "status status-" + status;
    badge.textContent = status;
    holder.append(badge);
  }
  document.querySelector("main").append(holder);
}"""


def check_contrast(page: Page, name: str) -> list[tuple[str, float]]:
    """Every text colour the pages use, against what is behind it."""
    if not page.query_selector(".status"):
        # The status colours, on any page: the extension pages use them.
        page.evaluate(STATUS_BADGES, list(STATUSES))
    selectors = [
        "body",
        "main a",
        "nav a",
        ".lead",
        ".meta",
        ".tag",
        ".flag",
        ".button",
        "footer.site",
        ".status",
    ]
    measured = []
    for selector, colour, background in page.evaluate(COLOURS, selectors):
        ratio = contrast(colour, background)
        measured.append((selector, ratio))
        assert ratio >= CONTRAST, (
            f"{name}: {selector} {colour} on {background}: {ratio:.2f}"
        )
    assert any(selector == ".status" for selector, _ in measured)
    return measured


def visit(context: BrowserContext, url: str, name: str) -> dict[str, Any]:
    """Load ``url`` at each width: audit it, screenshot it, collect its links."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    links: set[str] = set()
    status = 0
    for label, (width, height) in WIDTHS.items():
        watched = Watched(context.new_page())
        page = watched.page
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(url)
        assert response is not None
        status = response.status
        found = audit(page, f"{name} ({label})")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        check_contrast(page, name)
        errors = watched.errors
        if status == 404:
            # Chromium reports the page's own 404 status on the console.
            errors = [e for e in errors if "status of 404" not in e]
        assert errors == [], f"{name} ({label}): {errors}"
        links.update(found["links"])
        page.close()
    return {"status": status, "links": sorted(links)}


def follow(context: BrowserContext, links: list[str], origin: str) -> dict[str, int]:
    """Every link of the server's own pages answers (the calendar file included)."""
    statuses = {}
    local = urlsplit(origin)
    for link in links:
        parts = urlsplit(link)
        if parts.netloc == urlsplit(PUBLIC_URL).netloc and parts.scheme == "https":
            # The public address: the reverse proxy would send it here.
            link = parts._replace(scheme=local.scheme, netloc=local.netloc).geturl()
        elif parts.netloc != local.netloc:
            continue
        statuses[link] = context.request.get(link).status
    return statuses


# -- the tests ---------------------------------------------------------------------------------
async def test_every_page_loads_cleanly_at_phone_and_desktop_widths(
    browser: Browser, site: tuple[str, Data]
) -> None:
    root, data = site
    pages = {
        "home": root,
        "upcoming": root + "upcoming",
        "questions": root + "questions",
        "question": root + f"questions/{data.question_id}",
        "search": root + "questions?q=blueprint",
        "extensions": root + "extensions",
        "extensions-by-name": root + "extensions?sort=name",
        "extension": root + "extensions/flask-cors",
        "extension-fr": root + "extensions/flask-security?lang=fr",
        "extension-needs-caretakers": root + "extensions/flask-mail",
        "home-de": root + "?lang=de",
        "question-pt_BR": root + f"questions/{data.question_id}?lang=pt_BR",
        "not-found": root + "no-such-page",
    }

    def walk() -> dict[str, Any]:
        context = browser.context("walk")
        seen = {name: visit(context, url, name) for name, url in pages.items()}
        links = sorted(
            {
                link.split("#")[0]
                for page in seen.values()
                for link in page["links"]
                if "no-such-page" not in link
            }
        )
        return {"pages": seen, "links": follow(context, links, root)}

    found = await browser.run(walk)
    statuses = {name: page["status"] for name, page in found["pages"].items()}
    assert statuses == {name: 404 if name == "not-found" else 200 for name in pages}
    broken = {link: status for link, status in found["links"].items() if status >= 400}
    assert broken == {}
    # The walk reached every section and the calendar feed from the pages' own links.
    followed = " ".join(found["links"])
    for part in (
        "/upcoming",
        "/questions/",
        "lang=fr",
        "/calendar/",
        "/extensions/",
        "extensions.atom",
        "extensions.json",
    ):
        assert part in followed, part
    for name in (
        "home",
        "question",
        "extensions",
        "extension",
        "extension-needs-caretakers",
    ):
        for label in WIDTHS:
            assert (ARTIFACTS / f"{name}-{label}.png").stat().st_size > 1000


async def test_the_language_switch_and_links_keep_the_language(
    browser: Browser, site: tuple[str, Data]
) -> None:
    root, _ = site

    def switch() -> list[tuple[str, str, str]]:
        page = Watched(browser.context("switch").new_page())
        page.page.goto(root)
        steps = []
        page.page.get_by_role("navigation", name="Language").get_by_text(
            "Deutsch"
        ).click()
        steps.append(
            (
                page.page.url,
                page.page.evaluate("document.documentElement.lang"),
                page.page.locator("h1").inner_text(),
            )
        )
        page.page.get_by_role("navigation", name="Bereiche").get_by_text(
            "Gelöste Fragen"
        ).click()
        steps.append(
            (
                page.page.url,
                page.page.evaluate("document.documentElement.lang"),
                page.page.locator("h1").inner_text(),
            )
        )
        page.page.get_by_role("link", name="Français").click()
        steps.append(
            (
                page.page.url,
                page.page.evaluate("document.documentElement.lang"),
                page.page.locator("h1").inner_text(),
            )
        )
        page.page.get_by_role("link", name="English").click()
        steps.append(
            (
                page.page.url,
                page.page.evaluate("document.documentElement.lang"),
                page.page.locator("h1").inner_text(),
            )
        )
        assert page.errors == []
        return steps

    steps = await browser.run(switch)
    assert steps[0][0].endswith("?lang=de") and steps[0][1] == "de"
    with i18n.use_language("de"):
        assert steps[0][2] == i18n._("{server} community", server="Pallets")
    assert (
        steps[1][0].endswith("/questions?lang=de") and steps[1][2] == "Gelöste Fragen"
    )
    assert steps[2][0].endswith("/questions?lang=fr") and steps[2][1] == "fr"
    assert steps[2][2] == "Questions résolues"
    assert steps[3][0].endswith("/questions") and steps[3][1] == "en"


async def test_times_show_in_the_readers_zone_and_in_utc_without_scripts(
    browser: Browser, site: tuple[str, Data]
) -> None:
    root, _ = site

    def read() -> tuple[str, str, str]:
        tokyo = browser.context("tokyo", timezone_id="Asia/Tokyo").new_page()
        tokyo.goto(root + "upcoming")
        local = tokyo.locator("time").first
        plain = browser.context("no-scripts", java_script_enabled=False).new_page()
        plain.goto(root + "upcoming")
        return (
            local.inner_text(),
            local.get_attribute("title") or "",
            plain.locator("time").first.inner_text(),
        )

    local, title, utc = await browser.run(read)
    # The first chat: Thursday 8 January 2026, 17:00 in Paris, 16:00 UTC, 01:00 in Tokyo.
    assert local == "Fri, Jan 9, 2026, 1:00 AM GMT+9", local
    assert title.endswith("UTC") and "Jan 8" in title
    assert utc.endswith("UTC") and "Jan 8, 2026" in utc


async def test_search_works_without_scripts(
    browser: Browser, site: tuple[str, Data]
) -> None:
    root, _ = site

    def search() -> tuple[str, str]:
        page = browser.context("search", java_script_enabled=False).new_page()
        page.goto(root + "questions?lang=es")
        page.get_by_label("Buscar en las preguntas resueltas").fill("loop index")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        return page.url, page.locator("main").inner_text()

    url, text = await browser.run(search)
    assert "q=loop+index" in url and "lang=es" in url
    assert "Jinja loop index" in text and "Blueprint" not in text


async def test_the_keyboard_focus_is_always_visible(
    browser: Browser, site: tuple[str, Data]
) -> None:
    root, _ = site
    focus = """() => {
      const e = document.activeElement;
      const style = getComputedStyle(e);
      const box = e.getBoundingClientRect();
      return {
        tag: e.tagName, text: e.textContent.trim().slice(0, 40),
        outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
        onScreen: box.top >= 0 && box.bottom <= window.innerHeight && box.width > 0,
      };
    }"""

    def tab_through() -> list[dict[str, Any]]:
        page = browser.context("keyboard").new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(root + "questions")
        stops = []
        for _ in range(14):
            page.keyboard.press("Tab")
            stops.append(page.evaluate(focus))
        page.keyboard.press("Shift+Tab")
        return stops

    stops = await browser.run(tab_through)
    assert stops[0]["text"] == "Skip to the content" and stops[0]["onScreen"]
    for stop in stops:
        assert stop["outline"] != "none" and stop["width"] >= 2, stop
    assert {stop["tag"] for stop in stops} >= {"A", "INPUT", "BUTTON"}
