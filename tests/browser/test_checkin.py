"""Checking in as a volunteer does it: a barcode scanner, the tablet camera, a forgotten badge."""

import re

from playwright.sync_api import expect

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.browser.conftest import PORTRAIT, launch
from tests.browser.media import qr_video


def token_of(app, volunteer_id=1):
    with app.app_context():
        return badge_token(db.session.get(Volunteer, volunteer_id))


def sessions(app):
    with app.app_context():
        return db.session.query(ServiceSession).order_by(ServiceSession.id).all()


def test_scanner_keystrokes_check_in_then_out_after_the_window(page, server, live_app):
    token = token_of(live_app)
    page.clock.install()
    page.goto(server.url + "/checkin/")
    scanner = page.locator("[data-scanner-input]")
    expect(scanner).to_be_focused()
    # A scanner types the whole code in milliseconds and, like many, sends no Enter.
    page.keyboard.type(token, delay=5)
    outcome = page.locator("#scan-result .outcome")
    expect(outcome).to_have_attribute("data-outcome", "checked_in")
    expect(outcome).to_contain_text("张*华")
    expect(scanner).to_have_value("")
    [session] = sessions(live_app)
    assert session.check_in_method == "scanner" and session.checked_out_at is None

    # Three and a half hours later on the server's clock (moved, not slept), this time with Enter.
    live_app.extensions["kiosk_clock"].advance(hours=3, minutes=30)
    page.clock.fast_forward(21_000)  # the station's result time: 20 s by default
    expect(outcome).to_have_count(0)  # the screen cleared itself for the next volunteer
    page.keyboard.type(token, delay=5)
    page.keyboard.press("Enter")
    expect(outcome).to_have_attribute("data-outcome", "checked_out")
    expect(outcome).to_contain_text("3.5")
    [session] = sessions(live_app)
    assert session.checked_out_at is not None and session.check_out_method == "scanner"


def test_a_person_typing_slowly_is_not_taken_for_a_scanner(page, server, live_app):
    page.goto(server.url + "/checkin/")
    page.keyboard.type(token_of(live_app)[:10], delay=150)
    page.wait_for_timeout(400)
    expect(page.locator("#scan-result .outcome")).to_have_count(0)
    assert sessions(live_app) == []


def test_unknown_code_is_refused_in_plain_words(page, server, live_app):
    page.goto(server.url + "/checkin/")
    page.keyboard.type("HELLO-WORLD-123", delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-result .outcome-error")).to_be_visible()
    expect(page.locator("#scan-result [role=alert]")).to_contain_text("这次没有记上")  # a scan that did not check anyone in
    assert sessions(live_app) == []


def test_forgotten_badge_at_portrait_size(page, server, live_app):
    page.set_viewport_size(PORTRAIT)
    page.goto(server.url + "/checkin/")
    page.get_by_role("link", name=re.compile("忘带胸卡")).click()
    page.locator("#entered").fill("8001")
    page.get_by_role("button", name=re.compile("找")).click()
    page.get_by_role("button", name=re.compile(r"张\*华")).click()
    expect(page.locator(".outcome")).to_have_attribute("data-outcome", "checked_in")
    assert sessions(live_app)[0].check_in_method == "manual"


def test_camera_checks_a_volunteer_in_with_no_tap(playwright_driver, server, live_app, tmp_path):
    video = qr_video(token_of(live_app), tmp_path / "badge.y4m")
    browser = launch(playwright_driver, [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ])
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, permissions=["camera"])
        page = context.new_page()
        page.goto(server.url + "/checkin/")
        outcome = page.locator("#scan-result .outcome")
        expect(outcome).to_have_attribute("data-outcome", "checked_in", timeout=15_000)
        expect(outcome).to_contain_text("张*华")
        [session] = sessions(live_app)
        assert session.check_in_method == "camera"
        context.close()
    finally:
        browser.close()


def test_refused_camera_is_explained(playwright_driver, server, live_app):
    browser = launch(playwright_driver, ["--use-fake-device-for-media-stream", "--deny-permission-prompts"])
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(server.url + "/checkin/")
        status = page.locator("[data-camera-status]")
        expect(status).to_have_text(status.get_attribute("data-msg-denied") or "never", timeout=10_000)
        context.close()
    finally:
        browser.close()


def test_the_names_found_for_a_forgotten_badge_stay_up_across_a_language_switch(page, server, live_app):
    """An older volunteer found their name, then switched to 繁體 to read it: the digits came back but
    the list of names was gone, to be looked up again."""
    page.goto(server.url + "/checkin/forgot")
    page.locator("#entered").fill("8001")
    page.get_by_role("button", name=re.compile("找")).click()
    expect(page.get_by_role("button", name=re.compile(r"张\*华"))).to_be_visible()
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("#entered")).to_have_value("8001")
    page.get_by_role("button", name=re.compile(r"张\*华")).click()
    expect(page.locator(".outcome")).to_have_attribute("data-outcome", "checked_in")
    assert len(sessions(live_app)) == 1


def test_a_scan_sent_with_a_token_that_no_longer_holds_says_to_scan_again_and_the_next_one_counts(
        page, server, live_app, context):
    """The tablet's session was renewed or lost: the scan is not recorded, its answer says so in the
    scan's own place (not the whole screen replaced), and the next scan is recorded."""
    page.expected_errors += ["status of 400"]
    token = token_of(live_app)
    page.goto(server.url + "/checkin/")
    context.clear_cookies()
    page.keyboard.type(token, delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-result .outcome-error")).to_contain_text("刚才的没有存上")
    expect(page.locator("[data-scanner-input]")).to_be_visible()
    assert sessions(live_app) == []
    page.keyboard.type(token, delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-result .outcome")).to_have_attribute("data-outcome", "checked_in")
    assert len(sessions(live_app)) == 1
