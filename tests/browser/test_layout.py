"""Nothing runs off sideways: the kiosk's pages on a small phone in large text, a suggestion or a
reply typed as one long run with no spaces, and keeper tables whose times and buttons never break
inside ("15:3/7", "更/正") on a portrait tablet."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.activities.models import Activity
from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.suggest.models import SuggestionCategory
from tests.browser.conftest import PORTRAIT
from tests.browser.test_elder import sign_in
from tests.browser.test_phone_layout import SMALL_PHONE, assert_fits, phone  # noqa: F401 - phone is a fixture

KIOSK_PAGES = ["/", "/services/", "/checkin/", "/checkin/forgot", "/swap/", "/swap/take", "/swap/bring", "/gifts/",
               "/suggest/", "/suggest/done", "/suggest/find?code=S-ZZZZZZ"]


def test_every_kiosk_page_fits_a_small_phone_in_large_text(phone, server):
    for path in KIOSK_PAGES:
        phone.goto(server.url + path)
        assert_fits(phone, path)


RUN = "a" * 300
LINK = "https://example.com/" + "x" * 200


def wide(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.fixture
def resolved_long_run(live_app):
    """A suggestion typed as one long run, resolved with a reply that is one long link."""
    from kiosk.suggest.box import change, submit

    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        from kiosk.core.models import Station
        from kiosk.people.models import Keeper

        station = db.session.get(Station, 1)
        category = db.session.scalar(select(SuggestionCategory.id).where(SuggestionCategory.station_id == 1))
        s = submit(station, category_id=category, text=RUN, photo=None, contact=None, anonymous=True, source="kiosk",
                   device_id="layout-test", now=clock.now())
        change(db.session.scalar(select(Keeper)), s, status="resolved", public_reply="请看 " + LINK, now=clock.now())
        db.session.commit()
        return s.tracking_code


@pytest.mark.parametrize("viewport", [PORTRAIT, SMALL_PHONE], ids=["kiosk", "phone"])
def test_a_suggestion_and_reply_with_no_spaces_wrap_instead_of_widening_the_page(browser, server, live_app,
                                                                                 resolved_long_run, viewport):
    page = browser.new_page(viewport=viewport)
    for path in ["/", "/suggest/done", f"/s/{resolved_long_run}"]:
        page.goto(server.url + path)
        expect(page.locator("body")).to_contain_text("aaaa")
        assert wide(page) <= 0, f"{path} runs {wide(page)} px off the side"
    page.close()


def test_the_keepers_suggestion_page_wraps_a_long_run(browser, server, live_app, resolved_long_run):
    page = browser.new_page(viewport=PORTRAIT)
    sign_in(page, server, live_app, f"/keeper/suggestions/{resolved_long_run}")
    expect(page.locator("[data-text]")).to_contain_text("aaaa")
    assert wide(page) <= 0
    page.close()


# How many lines the text inside an element takes (its text, not the boxes around it).
LINES = """el => { const tops = new Set(); const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const r = document.createRange(); r.selectNodeContents(node);
    for (const box of r.getClientRects()) if (box.width > 0) tops.add(Math.round(box.top)); }
  return tops.size; }"""


@pytest.mark.parametrize("path", ["/keeper/review", "/keeper/volunteers/1"])
def test_times_dates_and_buttons_in_a_keepers_table_never_break_inside(browser, server, live_app, path):
    from datetime import timedelta

    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        now = clock.now()
        for day in range(1, 4):  # forgotten sessions, closed by the system: they wait under To review
            start = now - timedelta(days=day, hours=1, minutes=23)
            db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=start, check_in_method="scanner",
                                          checked_out_at=start + timedelta(hours=4, minutes=37), check_out_method="auto",
                                          auto_closed=True, needs_review=True))
        db.session.commit()
    context = browser.new_context(viewport=PORTRAIT, locale="zh-CN")
    context.add_cookies([{"name": "kiosk_text", "value": "large", "url": server.url}])
    page = context.new_page()
    sign_in(page, server, live_app, path)
    cells = page.locator("table td").filter(has_text=re.compile(r"^\s*(\d{1,2}:\d\d|\d{4}-\d\d-\d\d)\s*$"))
    assert cells.count() >= 6
    for i in range(cells.count()):
        assert cells.nth(i).evaluate(LINES) == 1, f"{cells.nth(i).inner_text()!r} breaks across lines"
    buttons = page.locator("table .button")
    assert buttons.count() >= 3
    for i in range(buttons.count()):
        assert buttons.nth(i).evaluate(LINES) == 1, f"the button {buttons.nth(i).inner_text()!r} breaks"
    assert wide(page) <= 0
    context.close()


def large_portrait(browser, server, language="zh_Hant"):
    context = browser.new_context(viewport=PORTRAIT, locale="zh-CN")
    context.add_cookies([{"name": "kiosk_text", "value": "large", "url": server.url},
                         {"name": "kiosk_lang", "value": language, "url": server.url}])
    return context


def test_suggestion_codes_and_statuses_stay_whole_in_the_keepers_list(browser, server, live_app, resolved_long_run):
    context = large_portrait(browser, server)
    page = context.new_page()
    sign_in(page, server, live_app, "/keeper/suggestions")
    code = page.locator("table td").filter(has_text=resolved_long_run)
    assert code.evaluate(LINES) == 1
    status = code.locator("xpath=following-sibling::td[last()]")
    assert status.evaluate(LINES) == 1, status.inner_text()
    context.close()


def test_the_star_ladder_field_shows_all_five_numbers(browser, server, live_app):
    context = large_portrait(browser, server)
    page = context.new_page()
    sign_in(page, server, live_app, "/keeper/stars")
    field = page.locator("#star_hours")
    field.fill("100, 300, 600, 1000, 1500")
    assert field.evaluate("el => el.scrollWidth <= el.clientWidth"), "the ladder is cut off in its field"
    context.close()


LAST_TWO_ON_ONE_LINE = """el => { const text = el.firstChild; const n = text.length; const r = document.createRange();
  r.setStart(text, n - 1); r.setEnd(text, n); const last = r.getBoundingClientRect().top;
  r.setStart(text, n - 2); r.setEnd(text, n - 1); return Math.abs(r.getBoundingClientRect().top - last) < 2; }"""


def test_todays_heading_never_leaves_one_character_alone_on_a_line(browser, server, live_app):
    context = large_portrait(browser, server, "zh_Hans")
    page = context.new_page()
    sign_in(page, server, live_app, "/keeper/today")
    assert page.locator("h1 .muted").evaluate(LAST_TWO_ON_ONE_LINE)
    context.close()


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_a_certificates_check_page_on_a_phone_keeps_serial_and_dates_whole(browser, server, live_app, language):
    from datetime import date, timedelta

    from kiosk.certificates.register import issue_certificate
    from kiosk.core.models import Station
    from kiosk.people.models import Keeper, Volunteer

    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        start = clock.now() - timedelta(days=3)
        db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=start, check_in_method="scanner",
                                      checked_out_at=start + timedelta(hours=3), confirmed_at=clock.now()))
        station = db.session.get(Station, 1)
        station.person_in_charge, station.contact = "王主任", "010-65123456"  # printed on every certificate
        certificate = issue_certificate(db.session.scalar(select(Keeper)), station,
                                        db.session.get(Volunteer, 1), date(2026, 1, 1), date(2026, 11, 21), clock.now())
        db.session.commit()
        token, serial = certificate.verify_token, certificate.serial
    context = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "kiosk_lang", "value": language, "url": server.url},
                         {"name": "kiosk_text", "value": "large", "url": server.url}])
    page = context.new_page()
    page.goto(f"{server.url}/v/{token}")
    expect(page.locator("[data-serial]")).to_have_text(serial)
    assert page.locator("[data-serial]").evaluate(LINES) == 1
    for part in page.locator(".certificate-facts .nowrap").all():
        assert part.evaluate(LINES) == 1, part.inner_text()
    wide_by, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert max(wide_by, window) <= SMALL_PHONE["width"]
    # What to match on the paper ("…the same as below") comes before the figures it is about.
    assert page.evaluate("""() => { const note = document.querySelector('.certificate-check [data-how-to-match]');
        return !!(note.compareDocumentPosition(document.querySelector('.certificate-facts'))
                  & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    context.close()


def test_the_activity_board_with_an_activity_on_now_fits_a_small_phone_in_large_text(phone, server, live_app):
    """An activity on now is on the board twice, coming up and to rate: its faces, its words box and
    its day and hours ("12/8 03:00–06:00") once ran 40 px off a phone in 大字 (繁體, English)."""
    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        now = clock.now()
        db.session.add(Activity(station_id=1, name="愛心課堂", place="活動室", starts_at=now - timedelta(hours=1),
                                ends_at=now + timedelta(hours=2), created_at=now))
        db.session.commit()
    phone.goto(server.url + "/activities/")
    expect(phone.locator(".rate-form")).to_have_count(2)  # this one, and the phone fixture's recent one
    expect(phone.locator(".activities-board .activity-row").first).to_contain_text("愛心課堂")
    assert_fits(phone, "the activity board")
