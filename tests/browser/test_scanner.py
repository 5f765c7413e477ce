"""A barcode scanner at the kiosk on a slow tablet (the CPU throttled 4× through Chromium's
DevTools): no scan is lost or garbled while the phone QR refreshes, when a badge is scanned twice,
or while the camera is decoding frames."""

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import KIOSK_STATION_COOKIE, kiosk_tablet_cookie
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.browser.conftest import LANDSCAPE, launch
from tests.browser.media import qr_video

SLOW_TABLET = 4  # Chromium CPU throttling rate: a cheap tablet


def tokens(app, count):
    with app.app_context():
        return [badge_token(v) for v in db.session.scalars(select(Volunteer).order_by(Volunteer.id).limit(count))]


def checked_in(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(select(ServiceSession.volunteer_id)))


def as_station_kiosk(context, app, server):
    with app.app_context():
        tablet = kiosk_tablet_cookie(db.session.scalar(select(Station)))
    context.add_cookies([{"name": KIOSK_STATION_COOKIE, "value": tablet, "url": server.url}])


def slow_down(page):
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": SLOW_TABLET})


class Scanner:
    """A USB badge scanner: it types a code a few milliseconds per key, and the operating system
    stamps each key with when it came. Sent through DevTools with those times, so that a slowed
    page sees the scanner's real rhythm (Playwright's own typing waits for the page between keys)."""

    GAP_S = 0.005

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.next_at = 0.0

    def scan(self, code: str, enter: bool = True, go_on: bool = False) -> None:
        """Type `code`; with go_on, as the rest of a scan already begun (the same rhythm)."""
        started = self.next_at if go_on else time.time()
        keys = [(ch, ch) for ch in code] + ([("Enter", "\r")] if enter else [])
        self.next_at = started + len(keys) * self.GAP_S
        for i, (key, text) in enumerate(keys):
            at = started + i * self.GAP_S
            self.cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": key, "text": text, "timestamp": at,
                                                     **({"code": "Enter", "windowsVirtualKeyCode": 13}
                                                        if key == "Enter" else {})})
            self.cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "timestamp": at,
                                                     **({"code": "Enter", "windowsVirtualKeyCode": 13}
                                                        if key == "Enter" else {})})


def outcomes(page):
    return page.locator("#scan-result .outcome")


def test_a_scan_arriving_while_the_phone_qr_refreshes_is_read_whole(page, server, live_app):
    first, second = tokens(live_app, 2)
    as_station_kiosk(page.context, live_app, server)
    page.goto(server.url + "/checkin/")
    slow_down(page)
    expect(page.locator(".station-qr")).to_be_visible()
    page.evaluate("""() => document.addEventListener('htmx:afterSwap', event => {
        if (event.detail.target.matches('.station-qr')) {
            window.refreshedWith = document.querySelector('[data-scanner-input]').value.length;
        }
    })""")
    scanner = Scanner(page)
    scanner.scan(first[:5], enter=False)  # too short to be taken for a whole code on its own
    # The QR's own refresh (the element's request, as its 20-second timer makes it) lands while the
    # scanner is still typing.
    page.evaluate("""() => {
        const qr = document.querySelector('.station-qr');
        htmx.ajax('GET', qr.getAttribute('hx-get'), { source: qr, target: qr, swap: 'outerHTML' });
    }""")
    scanner.scan(first[5:], enter=False, go_on=True)
    typed_when_refreshed = page.evaluate("window.refreshedWith")
    assert typed_when_refreshed is not None and 5 <= typed_when_refreshed < len(first), \
        f"the refresh did not land mid-scan ({typed_when_refreshed})"
    expect(outcomes(page)).to_have_attribute("data-outcome", "checked_in")
    assert checked_in(live_app) == [1]
    # And the refresh did not count as someone using the screen (see the idle reset).
    scanner.scan(second, enter=False)
    expect(outcomes(page)).to_contain_text("李*英")
    assert checked_in(live_app) == [1, 2]


def test_a_badge_scanned_twice_does_not_spoil_the_next_volunteers_scan(page, server, live_app):
    first, second = tokens(live_app, 2)
    page.goto(server.url + "/checkin/")
    slow_down(page)
    field = page.locator("[data-scanner-input]")
    scanner = Scanner(page)
    for _ in range(2):  # the same badge twice within a few seconds
        scanner.scan(first)
        expect(outcomes(page)).to_have_count(1)
        expect(field).to_have_value("")
    scanner.scan(second)
    expect(outcomes(page)).to_contain_text("李*英")
    expect(outcomes(page)).to_have_attribute("data-outcome", "checked_in")
    assert checked_in(live_app) == [1, 2]
    expect(field).to_have_value("")


def test_two_badges_scanned_back_to_back_are_both_recorded(page, server, live_app):
    first, second = tokens(live_app, 2)
    page.goto(server.url + "/checkin/")
    slow_down(page)
    held = []  # the first scan's answer is held back until the second badge has been scanned
    page.route("**/checkin/scan", lambda route: held.append(route) if not held else route.continue_())
    scanner = Scanner(page)
    scanner.scan(first)
    page.wait_for_timeout(200)
    assert len(held) == 1
    scanner.scan(second)  # while the first is still being answered
    expect(page.locator("[data-scanner-input]")).to_have_value("")
    held[0].continue_()
    expect(outcomes(page)).to_contain_text("李*英")
    assert checked_in(live_app) == [1, 2]


@pytest.mark.parametrize("enter", [True, False], ids=["with Enter", "without Enter"])
def test_the_scanner_is_answered_while_the_camera_decodes_on_a_slow_tablet(playwright_driver, server, live_app,
                                                                             tmp_path, enter):
    # The camera sees a QR code all the time (not a badge: too short to send), so the decoder
    # reads every frame it is given: the heaviest load the camera puts on the tablet.
    video = qr_video("QR", tmp_path / "other.y4m", width=1280, height=720)
    browser = launch(playwright_driver, ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                         f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(viewport=LANDSCAPE, permissions=["camera"])
        page = context.new_page()
        page.goto(server.url + "/checkin/")
        status = page.locator("[data-camera-status]")
        expect(status).to_have_text(status.get_attribute("data-msg-ready"), timeout=15_000)
        slow_down(page)
        # While the camera runs, the page's own thread stays free for keystrokes and taps: no
        # decoder runs in it (jsQR did, holding it 110-140 ms at a time at this speed); frames go
        # to the decoder's worker. That the worker reads badges, the camera check-in tests show.
        assert page.evaluate("typeof window.jsQR === 'undefined' && typeof window.ZXingWASM === 'undefined'")
        # The worker's script may still be arriving when the camera says it is ready: wait for it.
        # (Polled from here: wait_for_function evaluates a string, which the page's CSP forbids.)
        for _ in range(50):
            if page.evaluate("performance.getEntriesByType('resource').some(r => r.name.includes('decoder-worker.js'))"):
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError("the decoder's worker never loaded")
        page.wait_for_timeout(1000)  # the camera and its decoder at work while the scanner types
        badges = tokens(live_app, 6)
        scanner = Scanner(page)
        # Every scan read whole and recorded; how long it takes is the benchmark's to measure.
        for number, token in enumerate(badges, start=1):
            scanner.scan(token, enter=enter)
            answer = page.locator("#scan-result .outcome:not([data-seen])")
            expect(answer).to_have_attribute("data-outcome", "checked_in")
            answer.evaluate("element => { element.dataset.seen = '1'; }")
            assert checked_in(live_app) == list(range(1, number + 1))
        context.close()
    finally:
        browser.close()


def test_the_check_in_screen_goes_home_when_idle_although_its_phone_qr_refreshes(page, server, live_app):
    as_station_kiosk(page.context, live_app, server)
    page.clock.install()
    page.goto(server.url + "/checkin/")
    expect(page.locator(".station-qr")).to_be_visible()
    warning = page.locator("#idle-warning")
    for _ in range(3):  # the QR refreshes every 20 s: three times in the idle minute
        with page.expect_response(lambda response: "/checkin/station-code" in response.url):
            page.clock.run_for(20_000)
        expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.clock.run_for(2_000)
    expect(warning).to_be_visible()
    page.clock.run_for(31_000)
    page.wait_for_url(re.compile(r"/$"))
    page.wait_for_load_state("networkidle")  # nothing still in flight when the server stops


def test_a_keeper_page_left_open_on_the_kiosk_signs_out_and_goes_home(page, server, live_app):
    from tests.http.conftest import PASSWORD

    with live_app.app_context():
        from kiosk.people.models import Keeper

        db.session.scalar(select(Keeper)).set_password(PASSWORD)
        db.session.commit()
    as_station_kiosk(page.context, live_app, server)
    page.clock.install()
    page.goto(server.url + "/keeper/login")
    page.locator("#username").fill("keeper")
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.goto(server.url + "/keeper/volunteers")
    expect(page.locator("#idle-warning")).to_be_hidden()
    page.clock.run_for(61_000)  # the browser tests' station: 60 s idle, then 20 s of warning
    expect(page.locator("#idle-warning")).to_be_visible()
    page.clock.run_for(21_000)
    page.wait_for_url(re.compile(r"/$"))
    page.goto(server.url + "/keeper/volunteers")
    page.wait_for_url(re.compile(r"/keeper/login"))  # this tablet is signed out
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("focus_on", ["page", "button"], ids=["after a tap on the page", "a button has the focus"])
def test_a_scan_without_enter_is_recorded_when_the_field_lost_the_focus(page, server, live_app, focus_on):
    """A tap elsewhere, or the idle warning's "still here" button, takes the focus: the scanner's
    first key lands on the page, and the rest of the scan must still count as one scan."""
    first, = tokens(live_app, 1)
    page.goto(server.url + "/checkin/")
    slow_down(page)
    if focus_on == "page":
        page.evaluate("document.activeElement.blur()")
    else:
        page.locator("a.button, button:not(.visually-hidden)").first.focus()
    scanner = Scanner(page)
    scanner.scan(first, enter=False)
    expect(outcomes(page)).to_have_attribute("data-outcome", "checked_in")
    assert checked_in(live_app) == [1]


def test_stray_keys_before_a_scan_do_not_spoil_it(page, server, live_app):
    first, = tokens(live_app, 1)
    page.goto(server.url + "/checkin/")
    slow_down(page)
    scanner = Scanner(page)
    scanner.scan("qwe", enter=False)  # a few keys pressed on the scanner's keyboard by mistake
    page.wait_for_timeout(400)
    scanner.scan(first)
    expect(outcomes(page)).to_have_attribute("data-outcome", "checked_in")
    assert checked_in(live_app) == [1]


def test_a_label_code_typed_by_hand_is_found(page, server, live_app):
    from tests.browser.test_swap import on_the_shelf

    code = on_the_shelf(live_app, "象棋")
    page.goto(server.url + "/swap/take")
    field = page.locator("[data-scanner-input]")
    field.click()
    page.keyboard.type(code, delay=250)  # a person, key by key
    expect(field).to_have_value(code)
    page.get_by_role("button", name="查找").click()
    expect(page.locator('#take-found [data-outcome="found"]')).to_contain_text("象棋")
    # A short code typed and sent with Enter is answered, not silently dropped.
    field.fill("")
    page.keyboard.type("J-3", delay=250)
    page.keyboard.press("Enter")
    expect(page.locator("#take-found")).to_contain_text("货架上没有这个编号的物品")


def test_a_scanner_stalling_after_its_first_key_is_read_whole(page, server, live_app):
    """A Bluetooth scanner (or a busy tablet) may pause after the first key of a badge: the rest
    still belongs to it, not to a new scan that drops the first key."""
    first, = tokens(live_app, 1)
    page.goto(server.url + "/checkin/")
    slow_down(page)
    scanner = Scanner(page)
    scanner.scan(first[:1], enter=False)
    page.wait_for_timeout(300)
    scanner.scan(first[1:])
    expect(outcomes(page)).to_have_attribute("data-outcome", "checked_in")
    assert checked_in(live_app) == [1]


def test_a_stray_key_that_starts_like_a_badge_does_not_spoil_the_scan(page, server, live_app):
    first, = tokens(live_app, 1)
    page.goto(server.url + "/checkin/")
    slow_down(page)
    scanner = Scanner(page)
    scanner.scan(first[:1], enter=False)  # the badge's first letter, pressed by mistake
    page.wait_for_timeout(1500)
    scanner.scan(first)
    expect(outcomes(page)).to_have_attribute("data-outcome", "checked_in")
    assert checked_in(live_app) == [1]


def test_a_slow_answer_shows_one_moment_and_an_unreachable_station_says_so(page, server, live_app):
    """On a slow Wi-Fi the screen stayed as it was for seconds after a scan, and with the station
    computer out of reach it never answered at all."""
    first, second = tokens(live_app, 2)
    page.goto(server.url + "/checkin/")
    held = []
    page.route("**/checkin/scan", lambda route: held.append(route))
    Scanner(page).scan(first)
    expect(outcomes(page)).to_have_attribute("role", "status")
    expect(outcomes(page)).to_contain_text("请稍候")
    held[0].continue_()
    expect(outcomes(page)).to_have_attribute("data-outcome", "checked_in")
    page.unroute("**/checkin/scan")
    page.route("**/checkin/scan", lambda route: route.abort("internetdisconnected"))
    page.expected_errors += ["htmx:afterRequest", "htmx:sendError", "ERR_INTERNET_DISCONNECTED"]  # htmx logs it
    Scanner(page).scan(second)
    expect(outcomes(page)).to_contain_text("没有回应")
    expect(outcomes(page)).to_have_attribute("role", "alert")
    assert checked_in(live_app) == [1]


def test_two_volunteers_scanning_one_after_the_other_each_see_their_answer(page, server, live_app):
    first, second = tokens(live_app, 2)
    page.goto(server.url + "/checkin/")
    page.evaluate("""() => { window.__answers = [];
        document.addEventListener('htmx:afterSwap', () => {
            const o = document.querySelector('#scan-result .outcome[data-outcome]');
            if (o) window.__answers.push([o.textContent.replace(/\\s+/g, ' ').trim(), performance.now()]); }); }""")
    held = []
    page.route("**/checkin/scan", lambda route: held.append(route) if not held else route.continue_())
    scanner = Scanner(page)
    scanner.scan(first)
    page.wait_for_timeout(200)
    scanner.scan(second)  # the next volunteer, while the first is still being answered
    held[0].continue_()
    expect(outcomes(page)).to_contain_text("李*英")
    answers = page.evaluate("window.__answers")
    assert len(answers) == 2 and "张*华" in answers[0][0]
    assert answers[1][1] - answers[0][1] >= 1400, "the first answer was replaced before it could be read"
    assert checked_in(live_app) == [1, 2]
