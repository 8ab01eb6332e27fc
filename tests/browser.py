"""Chromium through Playwright for the web page's tests: Debian's /usr/bin/chromium, never a downloaded browser.

Under CI=true a missing Chromium (or Playwright) fails the tests that need it; locally they skip with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_binary() -> str | None:
    for candidate in (os.environ.get("GIPTEMPLATE_CHROMIUM", ""), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _missing(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true requires it)")
    pytest.skip(message)


def launch(playwright: Any) -> Any:
    """A headless Chromium; skips locally, fails under CI=true, when it is not installed."""
    binary = chromium_binary()
    if binary is None:
        _missing("Chromium (/usr/bin/chromium) is not installed: browser test not run")
    return playwright.chromium.launch(executable_path=binary, args=list(CHROMIUM_ARGS), headless=True)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        _missing("Playwright for Python is not installed: browser test not run")
    return start()
