"""Checking in as a volunteer does it: a barcode scanner, the tablet camera, a forgotten badge."""

import re

import pytest
from playwright.sync_api import expect

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.browser.conftest import LANDSCAPE, PORTRAIT, launch
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


@pytest.mark.parametrize("viewport, language, text", [
    (LANDSCAPE, "zh_Hans", "normal"), (LANDSCAPE, "en", "large"), (LANDSCAPE, "zh_Hant", "large"),
    (PORTRAIT, "zh_Hans", "large"), (PORTRAIT, "en", "normal"),
], ids=["landscape-zh_Hans-normal", "landscape-en-large", "landscape-zh_Hant-large", "portrait-zh_Hans-large",
        "portrait-en-normal"])
def test_the_names_found_for_a_forgotten_badge_are_whole_beside_their_numbers_and_in_sight(
        page, context, server, live_app, viewport, language, text):
    """Four volunteers answer to 0024 (one by number, three by their mobile's last digits). The
    names were squeezed ("王*" over "国", one character a line in large text) and, in large text on
    a landscape tablet, the names began at y 705 of 800 with the third out of sight: nothing scrolled."""
    from kiosk.core.models import Station
    from kiosk.people.volunteers import register_volunteer

    with live_app.app_context():
        station = db.session.get(Station, 1)
        for name, mobile in [("王建国", "13900000024"), ("李文华", "13700000024"), ("赵小明", "13600000024"),
                             ("李晓华", "13500000025")]:  # numbers 21-24
            register_volunteer(station, name=name, mobile=mobile)
        db.session.commit()
    context.add_cookies([{"name": "kiosk_lang", "value": language, "url": server.url},
                         {"name": "kiosk_text", "value": text, "url": server.url}])
    page.set_viewport_size(viewport)
    page.goto(server.url + "/checkin/forgot")
    page.locator("#entered").fill("0024")
    page.locator(".forgot-form button[type=submit]").click()
    matches = page.locator(".match")
    expect(matches).to_have_count(4)
    page.wait_for_timeout(100)  # the list is brought into view as it arrives
    for match in matches.all():
        name, number = match.locator(".match-name"), match.locator(".match-number")
        assert name.evaluate(LINES) == 1 and number.evaluate(LINES) == 1, \
            f"{match.inner_text()!r} breaks its name or number over lines ({language}, {text} text)"
        a, b = name.bounding_box(), number.bounding_box()
        assert b["y"] < a["y"] + a["height"] and a["y"] < b["y"] + b["height"], \
            f"{match.inner_text()!r}: the number is not beside the name ({language}, {text} text)"
        box = match.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], \
            f"{match.inner_text()!r} lies at y {box['y']:.0f}-{box['y'] + box['height']:.0f} of {viewport['height']}"
    title = page.locator(".matches-title").bounding_box()
    assert title["y"] >= 0, "the line above the names is scrolled off the top"


# How many lines the text inside an element takes.
LINES = """el => { const tops = new Set(); const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const r = document.createRange(); r.selectNodeContents(node);
    for (const box of r.getClientRects()) if (box.width > 0) tops.add(Math.round(box.top)); }
  return tops.size; }"""
