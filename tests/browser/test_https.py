"""The camera on a station LAN (issue 13): served over HTTPS with the station's own certificate, the
check-in page opens the camera with no certificate warning, by a LAN name that only HTTPS makes a
secure context.

Chromium trusts the station's root the way a mini PC does after `certutil -A` (the set-up page's
own instructions): a fresh NSS database in a temporary HOME with the root added as a trusted CA.
No --ignore-certificate-errors of any kind. certutil comes from Debian's libnss3-tools (`make
browser` installs it as root); without it these tests skip on a developer's machine and fail under
CI=true."""

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from kiosk.core.extensions import db
from kiosk.tablets.certificates import (CA_CERT, SERVER_CERT, SERVER_KEY, Names, ensure_station_certificates,
                                        tls_folder)
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LANDSCAPE, LiveServer
from tests.conftest import make_app

# A name the station's certificate covers and that is not loopback: over plain HTTP it is not a
# secure context, so only the trusted certificate can make the camera open. Chromium resolves it to
# the test server on 127.0.0.1.
STATION_NAME = "kiosk-station.local"
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
               f"--host-resolver-rules=MAP {STATION_NAME} 127.0.0.1"]


@pytest.fixture
def station_app(tmp_path):
    """The demo station, with its certificates made as `flask station-certificate` makes them."""
    from kiosk.people.demo import load_demo_station

    app = make_app(tmp_path, IDLE_SECONDS=600)
    with app.app_context():
        _station, _keeper, password = load_demo_station()
        db.session.commit()
    app.keeper_password = password
    folder = tls_folder(app.instance_path)
    ensure_station_certificates(folder, Names.of(["localhost", "kiosk-station", STATION_NAME],
                                                 ["127.0.0.1", "192.0.2.10"]), now=datetime.now(UTC))
    app.tls = folder
    return app


@pytest.fixture
def https_server(station_app):
    with LiveServer(station_app, ssl_context=(str(station_app.tls / SERVER_CERT),
                                              str(station_app.tls / SERVER_KEY))) as live:
        live.station_url = live.url.replace("127.0.0.1", STATION_NAME)
        yield live


def nss_home(tmp_path, ca_pem=None):
    """A HOME whose NSS database (~/.pki/nssdb, where Chromium on Linux looks) trusts `ca_pem`."""
    certutil = shutil.which("certutil")
    if certutil is None:
        if os.environ.get("CI") == "true":
            pytest.fail("certutil (libnss3-tools) is required under CI")
        pytest.skip("no certutil: install Debian's libnss3-tools to run the HTTPS browser tests")
    home = tmp_path / ("home-trusting" if ca_pem else "home-plain")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, capture_output=True)
    if ca_pem:
        subprocess.run([certutil, "-A", "-d", f"sql:{nssdb}", "-t", "C,,", "-n", "warm-heart-station",
                        "-i", str(ca_pem)], check=True, capture_output=True)
    return home


def chromium(playwright_driver, home, camera=FAKE_CAMERA):
    return playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + camera,
                                             env={**os.environ, "HOME": str(home)})


def open_setup_page(page, base_url, password):
    """Sign in as the demo keeper and open "Set up a tablet" (in 简体中文, the tablet's language)."""
    page.goto(base_url + "/keeper/login")
    page.locator("#username").fill("keeper")
    page.locator("#password").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/keeper/today"))
    page.goto(base_url + "/keeper/tablet")
    return page.locator("[data-camera-check-result]")


def watched_page(context):
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    return page


def test_over_https_with_the_station_root_the_camera_opens_with_no_warning(playwright_driver, https_server,
                                                                         station_app, tmp_path):
    browser = chromium(playwright_driver, nss_home(tmp_path, station_app.tls / CA_CERT))
    try:
        context = browser.new_context(viewport=LANDSCAPE, locale="zh-CN", permissions=["camera"])
        page = watched_page(context)
        # A certificate Chromium did not trust would stop this navigation with net::ERR_CERT_….
        response = page.goto(https_server.station_url + "/checkin/")
        assert response.ok
        assert page.evaluate("location.protocol") == "https:"
        assert page.evaluate("window.isSecureContext") is True
        status = page.locator("[data-camera-status]")
        expect(status).to_have_text(status.get_attribute("data-msg-ready"), timeout=15_000)
        assert page.evaluate("document.querySelector('[data-camera]').srcObject.getVideoTracks()[0].readyState") \
            == "live"

        # The keeper's own check on "Set up a tablet" says the same in plain words.
        result = open_setup_page(page, https_server.station_url, station_app.keeper_password)
        expect(result).to_have_attribute("data-result", "secure")
        page.get_by_role("button", name="试一试摄像头").click()
        expect(result).to_have_attribute("data-result", "ok", timeout=10_000)
        expect(result).to_have_text("摄像头好用了，这台平板可以用了。")
        assert page.errors == []
        context.close()
    finally:
        browser.close()


def test_without_the_station_root_chromium_refuses_and_over_plain_http_the_camera_stays_shut(
        playwright_driver, https_server, station_app, tmp_path):
    """The control: the same browser without the root stops at the certificate, and the same page
    by the same LAN name over plain HTTP is not a secure context, so the camera cannot open."""
    browser = chromium(playwright_driver, nss_home(tmp_path))
    try:
        context = browser.new_context(viewport=LANDSCAPE, locale="zh-CN", permissions=["camera"])
        page = context.new_page()
        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
            page.goto(https_server.station_url + "/checkin/")
        page.close()
        page = context.new_page()
        with LiveServer(station_app) as plain:
            page.goto(plain.url.replace("127.0.0.1", STATION_NAME) + "/checkin/")
            assert page.evaluate("window.isSecureContext") is False
            status = page.locator("[data-camera-status]")
            expect(status).to_have_text(status.get_attribute("data-msg-absent"), timeout=10_000)
            # "Set up a tablet" says why, in plain words, before and after the tap.
            result = open_setup_page(page, plain.url.replace("127.0.0.1", STATION_NAME), station_app.keeper_password)
            expect(result).to_have_attribute("data-result", "insecure")
            page.get_by_role("button", name="试一试摄像头").click()
            expect(result).to_have_text(re.compile("不是安全网页"))
            expect(page.locator("[data-camera-check-video]")).to_be_hidden()
        context.close()
    finally:
        browser.close()


def test_a_refused_camera_is_said_plainly_on_the_setup_page(playwright_driver, https_server, station_app, tmp_path):
    browser = chromium(playwright_driver, nss_home(tmp_path, station_app.tls / CA_CERT),
                       camera=["--use-fake-device-for-media-stream", "--deny-permission-prompts",
                               f"--host-resolver-rules=MAP {STATION_NAME} 127.0.0.1"])
    try:
        context = browser.new_context(viewport=LANDSCAPE, locale="zh-CN")
        page = watched_page(context)
        result = open_setup_page(page, https_server.station_url, station_app.keeper_password)
        expect(result).to_have_attribute("data-result", "secure")
        page.get_by_role("button", name="试一试摄像头").click()
        expect(result).to_have_attribute("data-result", "denied", timeout=10_000)
        expect(result).to_have_text(re.compile("没被允许"))
        assert page.errors == []
        context.close()
    finally:
        browser.close()
