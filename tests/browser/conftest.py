"""Playwright driving Debian's Chromium against the app served on a loopback port.

Without /usr/bin/chromium the browser tests skip on a developer's machine; under CI=true they fail."""

import os
import shutil
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from kiosk.core.extensions import db
from tests.conftest import demo_station_in, make_app

CHROMIUM = os.environ.get("KIOSK_CHROMIUM", "/usr/bin/chromium")
# Flags that keep Chromium from phoning home on a machine (or a station) with no internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PORTRAIT = {"width": 800, "height": 1280}
LANDSCAPE = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_driver():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required under CI but {CHROMIUM} is missing")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(playwright_driver, extra_args=()):
    return playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args))


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = launch(playwright_driver)
    yield browser
    browser.close()


class LiveServer:
    def __init__(self, app, ssl_context=None):
        self.app = app
        # ssl_context: (certificate, key) files to serve HTTPS, as `make run HTTPS=1` does.
        self.server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
        # Closing waits for requests still being answered (a camera page sends scans until its
        # browser closes): the database must not be torn down under one of them.
        self.server.daemon_threads = False
        self.server.block_on_close = True
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_app(tmp_path):
    """The app for a live server, with the demo station loaded."""
    app = make_app(tmp_path, IDLE_SECONDS=60, IDLE_WARNING_SECONDS=20)
    demo_station_in(app)
    return app


@pytest.fixture
def server(live_app):
    with LiveServer(live_app) as live:
        yield live


@pytest.fixture
def context(browser, server):
    """A fresh browser profile that records every request and fails the test on any other origin."""
    ctx = browser.new_context(viewport=LANDSCAPE, locale="zh-CN", has_touch=True)
    foreign = []
    own = urlsplit(server.url).netloc

    def note(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob"):
            return
        if parts.netloc != own:
            foreign.append(request.url)

    ctx.on("request", note)
    ctx.foreign_requests = foreign
    yield ctx
    ctx.close()
    assert foreign == [], f"pages loaded from other hosts: {foreign}"


@pytest.fixture
def page(context):
    page = context.new_page()
    # A 422 is how the server hands back a form with a message beside the field: expected, not a fault.
    page.expected_errors = ["status of 422"]  # a test that means to land on an error page adds to this
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    unexpected = [e for e in errors if not any(expected in e for expected in page.expected_errors)]
    assert unexpected == [], f"the page reported errors: {unexpected}"
