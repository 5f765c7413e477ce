"""Pages a resident or a volunteer opens on a small phone (360 px wide) in 长辈模式: nothing may run
off the side, in any language. A page that scrolls sideways hides its last button (非常满意 on the
rating page) or half a code (a tracking code cut as "S-" / "RUEX5N")."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.activities.models import Activity
from kiosk.checkin.phone import remember_token
from kiosk.core.extensions import db
from kiosk.people.models import Volunteer
from kiosk.suggest.models import Suggestion
from tests.browser.test_phone import station_link

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture(params=["zh_Hans", "zh_Hant", "en"])
def phone(request, browser, server, live_app):
    """A small phone in large-text mode, reading the language (cookies as the switches set them),
    linked to volunteer 3; the station has a recent activity with a long name to rate."""
    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        now = clock.now()
        db.session.add(Activity(station_id=1, name="重阳节敬老包饺子联欢会 Double Ninth dumplings party", place="驿站二楼",
                                starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1), created_at=now))
        phone_cookie = remember_token(db.session.get(Volunteer, 3))
        db.session.commit()
    context = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_cookies([{"name": name, "value": value, "url": server.url} for name, value in
                         (("kiosk_lang", request.param), ("kiosk_text", "large"), ("kiosk_phone", phone_cookie))])
    page = context.new_page()
    page.language = request.param
    yield page
    context.close()


def assert_fits(page, what):
    assert page.locator("html.large-text").count() == 1, "the page should be in large-text mode"
    # A mobile browser widens its window to content that runs off (innerWidth grows with it), so
    # both are held to the phone's own width.
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert max(wide, window) <= SMALL_PHONE["width"], \
        f"{what} in {page.language} scrolls sideways: {wide} px wide, window {window} px, on a 360 px phone"


def test_the_rating_page_fits_and_its_faces_take_their_own_taps(phone, browser, server, live_app):
    link = station_link(browser.new_page(), server, live_app)
    station = link.split("station=")[1].split("&")[0]
    phone.goto(f"{server.url}/activities/rate?station={station}")
    faces = phone.locator(".face-button")
    expect(faces).to_have_count(5)
    assert_fits(phone, "the rating page")
    for i in range(5):  # every face is on screen and nothing lies over it
        face = faces.nth(i)
        face.scroll_into_view_if_needed()
        box = face.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]
        hit = phone.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('.face-button') !== null",
                             [box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 20)])
        assert hit, f"face {i + 1} should take a tap at its middle"


def test_the_phone_check_in_result_fits(phone, browser, server, live_app):
    phone.goto(station_link(browser.new_page(), server, live_app))
    phone.locator(".phone-go").click()
    expect(phone.locator(".outcome")).to_be_visible()
    assert_fits(phone, "the phone check-in result")


def test_the_suggestion_receipt_and_tracking_page_fit_with_the_code_on_one_line(phone, server, live_app):
    phone.goto(server.url + "/suggest/phone")
    phone.locator(".choice").first.click()
    phone.locator("#text").fill("三号楼楼道的灯坏了")
    phone.locator("form button[type=submit]").last.click()
    code = phone.locator(".receipt-code")
    expect(code).to_be_visible()
    assert_fits(phone, "the suggestion receipt")
    lines = code.evaluate("el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))")
    assert lines == 1, "the tracking code should stay on one line"
    with live_app.app_context():
        tracking = db.session.scalar(select(Suggestion.tracking_code))
    phone.goto(f"{server.url}/s/{tracking}")
    assert_fits(phone, "the tracking page")


def test_the_swap_receipt_and_label_fit(phone, server):
    phone.goto(server.url + "/swap/bring")
    phone.locator(".choice").first.click()
    phone.locator("#title").fill("儿童绘本 5 本 children's picture books")
    phone.locator("form button[type=submit]").last.click()
    expect(phone.locator(".swap-label")).to_be_visible()
    assert_fits(phone, "the swap receipt")
    phone.goto(server.url + "/swap/items/J-0001/label")
    assert_fits(phone, "the swap label")


@pytest.mark.parametrize("where", ["check-in", "my hours"])
def test_the_header_leaves_a_small_phone_to_the_page_in_large_text(phone, browser, server, live_app, where):
    # The header took 43 % of a 360 × 740 screen (the station name on two lines, the switches on
    # three rows): an elder saw the check-in button only after scrolling.
    phone.goto(station_link(browser.new_page(), server, live_app) if where == "check-in" else server.url + "/m/me")
    assert_fits(phone, f"the {where} page")
    header = phone.locator("header.topbar").bounding_box()
    assert header["height"] <= SMALL_PHONE["height"] * 0.25, \
        f"the header takes {header['height']} px of {SMALL_PHONE['height']} in {phone.language}"
    # The station name keeps to one line, and every switch shares one row below it.
    name = phone.locator(".topbar-home").bounding_box()
    assert name["height"] <= 60, f"the station name wraps: {name['height']} px"
    buttons = phone.locator(".text-size-button, .language-button")
    boxes = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
    assert max(b["y"] for b in boxes) < min(b["y"] + b["height"] for b in boxes), \
        f"the switches wrap onto more than one row in {phone.language}"
    assert all(b["height"] >= 48 and b["width"] >= 48 for b in boxes)  # still a finger's target each
    # The page itself begins in the first third of the screen.
    heading = phone.locator("main h1").bounding_box()
    assert heading["y"] <= SMALL_PHONE["height"] / 3, f"the page's heading starts at {heading['y']} px"


@pytest.mark.parametrize("where", ["check-in", "my hours"])
def test_the_volunteers_name_and_number_each_stay_whole_on_a_small_phone(phone, browser, server, live_app, where):
    # "王建国，您 / 好 编号 0003": the greeting broke in the middle to keep the number beside it.
    phone.goto(station_link(browser.new_page(), server, live_app) if where == "check-in" else server.url + "/m/me")
    lines = phone.evaluate("""() => {
        const h1 = document.querySelector("main h1");
        const walker = document.createTreeWalker(h1, NodeFilter.SHOW_TEXT);
        const out = [];
        while (walker.nextNode()) {
            const node = walker.currentNode;
            if (!node.textContent.trim()) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            out.push([node.textContent, new Set([...range.getClientRects()].map(r => Math.round(r.top))).size]);
        }
        return out;
    }""")
    assert [text for text, _ in lines] and all(count == 1 for _, count in lines), \
        f"a part of the heading is broken over lines in {phone.language}: {lines}"
