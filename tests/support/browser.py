"""Debian's Chromium, headless, for the browser tests (the web chat's and the console's).

CI installs Chromium (``apt-get install chromium``); without it these tests fail, they never skip.
conftest.py registers this module as a plugin.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from bot.runtime import Runtime
from bot.web import create_app

from support.local_server import LocalServer

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@contextmanager
def console_served(make_runtime: Callable[[str], Runtime], name: str = "console") -> Iterator[tuple[Runtime, str]]:
    """The app on a port of its own, for a real browser: ``make_runtime(url)`` makes the runtime
    once the port is known (its PUBLIC_BASE_URL is the server's, as webhooks are signed for it).
    Yields (runtime, url)."""
    app: list = []
    server = LocalServer(lambda environ, start_response: app[0](environ, start_response), name=name).start()
    try:
        runtime = make_runtime(server.url)
        app.append(create_app(runtime))
        yield runtime, server.url
    finally:
        server.stop()
