"""What every browser test shares: Debian's Chromium, a real server thread, users, tabs.

Browser tests run in CI; elsewhere they skip with the reason when Chromium or
Playwright is missing. Nothing is ever downloaded: Playwright drives the system's
Chromium (IVR_TEST_CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from ivr.migrations import upgrade
from tests.conftest import ADMIN_PASSWORD, AGENT_PASSWORD, Clock, make_app, shutdown

__all__ = ["ADMIN_PASSWORD", "AGENT_PASSWORD", "SKIP_WHY", "Server", "serve_dashboard"]

CHROMIUM = os.environ.get("IVR_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    return None


SKIP_WHY = _missing()
if SKIP_WHY and os.environ.get("CI"):
    raise RuntimeError(f"browser tests must run in CI: {SKIP_WHY}")


class Server:
    """The app served by werkzeug on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.http.shutdown()
        self.thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's) for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (its own cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(60_000)  # a hang guard: a busy machine draws pages slowly
    yield tab
    context.close()


def serve_dashboard(tmp_path: Path, clock: Clock, **settings: Any) -> Iterator[Server]:
    """The app on a temporary SQLite database, with an agent (alice) and an admin (root)."""
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    upgrade(url)
    app = make_app(url, tmp_path, clock, **settings)
    app.extensions["dashboard"].users.add_user("alice", AGENT_PASSWORD, "agent", clock())
    app.extensions["dashboard"].users.add_user("root", ADMIN_PASSWORD, "admin", clock())
    running = Server(app)
    yield running
    running.stop()
    shutdown(app)
