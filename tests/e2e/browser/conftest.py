"""Browser tests: Python Playwright driving Debian's chromium against a local stack of their own.

Screenshots of each step go to test-artifacts/screenshots/<test name>/ (git-ignored; CI keeps them).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 20_000  # generous: a loaded 2-core machine must pass; every wait is on a condition
expect.set_options(timeout=TIMEOUT_MS)  # assertions too (their default is 5 s)


@pytest.fixture(scope="session")
def web_stack(start_stack) -> dict:
    """A stack of the browser tests' own, so the demo tenant's calendars are theirs."""
    return start_stack().info


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, name: str) -> None:
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def __call__(self, page: Page, step: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)


@pytest.fixture
def shots(request) -> Shots:
    return Shots(request.node.name)


@pytest.fixture
def new_page(browser):
    """Factory: new_page(**context options) -> a Page in a fresh context, closed after the test."""
    contexts = []

    def make(**options) -> Page:
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def agent_api(web_stack):
    with httpx.Client(
        base_url=web_stack["api_url"], headers={"X-Api-Key": web_stack["keys"]["agent"]}, timeout=30
    ) as client:
        yield client
