"""Debian's Chromium driven by Playwright, with no route off the servers a test names.

Nothing is downloaded at test time: Playwright launches ``/usr/bin/chromium`` (the
``chromium`` package; CI installs it), never a browser of its own. Every request the page
makes to an origin the test did not allow is answered with an abort and recorded, so a
test can assert that none happened: the pages work with no internet route.
"""

import os
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import BrowserContext, Route, async_playwright

CHROMIUM = Path(os.environ.get("REUSEGRAPH_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT_DIR = "REUSEGRAPH_SCREENSHOT_DIR"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's `chromium` package (CI does)",
)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Browsing:
    """What a test's pages did: every request, those refused, and console errors (CSP reports
    among them)."""

    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@asynccontextmanager
async def browser_context(allowed: Iterable[str]) -> AsyncIterator[tuple[BrowserContext, Browsing]]:
    """A fresh context (no cookies, no storage) whose requests may reach only ``allowed``."""
    allowed_origins = {origin(url) for url in allowed}
    seen = Browsing()

    async def guard(route: Route) -> None:
        url = route.request.url
        seen.requests.append(url)
        if url.startswith(("data:", "blob:")) or origin(url) in allowed_origins:
            await route.continue_()
        else:
            seen.refused.append(url)
            await route.abort("blockedbyclient")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            await context.route("**/*", guard)
            context.on(
                "console",
                lambda message: (
                    seen.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            yield context, seen
        finally:
            await browser.close()


def screenshot_path(name: str) -> Path:
    """Where a page's screenshot goes: REUSEGRAPH_SCREENSHOT_DIR (docs/screenshots for the
    README), else a temporary directory that outlives the test as its artefact."""
    chosen = os.environ.get(SCREENSHOT_DIR)
    folder = Path(chosen) if chosen else Path(tempfile.gettempdir()) / "reusegraph-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"
