"""The keeper's Today screen, live beside the kiosk, and walk-in taps from the kiosk."""

from playwright.sync_api import expect
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.people.badges import badge_token
from kiosk.people.models import Keeper, Volunteer
from kiosk.walkins.models import WalkInVisit
from tests.browser.conftest import PORTRAIT


def sign_in(page, server, live_app):
    with live_app.app_context():
        db.session.scalar(select(Keeper)).set_password("keeper-pw")
        db.session.commit()
    page.goto(server.url + "/keeper/today")
    page.locator("#username").fill("keeper")
    page.locator("#password").fill("keeper-pw")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#today-live")).to_be_visible()


def scan_at_another_tablet(context, server, live_app, volunteer_id: int):
    """The volunteer checks in at the kiosk, a tablet of its own; its page."""
    kiosk = context.browser.new_context().new_page()
    kiosk.goto(server.url + "/checkin/")
    with live_app.app_context():
        token = badge_token(db.session.get(Volunteer, volunteer_id))
    kiosk.keyboard.type(token, delay=5)
    kiosk.keyboard.press("Enter")
    expect(kiosk.locator("#scan-result .outcome")).to_have_attribute("data-outcome", "checked_in")
    return kiosk


def test_a_scan_at_the_kiosk_appears_on_today_without_reload(context, server, live_app):
    keeper = context.new_page()
    keeper.set_viewport_size(PORTRAIT)
    sign_in(keeper, server, live_app)
    expect(keeper.locator("[data-total=volunteers]")).to_have_text("0")
    keeper.evaluate("window.__notReloaded = true")

    kiosk = scan_at_another_tablet(context, server, live_app, 5)

    expect(keeper.locator("[data-on-duty]")).to_contain_text("陈志强", timeout=6_000)
    expect(keeper.locator("[data-total=volunteers]")).to_have_text("1")
    assert keeper.evaluate("window.__notReloaded") is True
    kiosk.context.close()


def test_walk_in_taps_count_once_per_tap_and_show_on_today(context, server, live_app):
    kiosk = context.new_page()
    kiosk.goto(server.url + "/services/")
    water = kiosk.locator("button.tile-water")
    water.dblclick()
    expect(kiosk.locator("#service-tiles .outcome")).to_be_visible()
    kiosk.locator("button.tile-charging").click()
    expect(kiosk.locator("#service-tiles .outcome")).to_contain_text("充电")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WalkInVisit)) == 2

    keeper = context.browser.new_context().new_page()
    sign_in(keeper, server, live_app)
    expect(keeper.locator("[data-total=visitors]")).to_have_text("2")
    expect(keeper.locator("[data-service=water]")).to_have_text("1")
    keeper.context.close()


def test_a_keepers_typing_survives_a_language_switch_but_never_overwrites_a_change_made_meanwhile(
        context, server, live_app):
    keeper = context.new_page()
    sign_in(keeper, server, live_app)
    keeper.goto(server.url + "/keeper/volunteers/1/edit")
    keeper.locator("#name").fill("张晓华")  # unchanged
    keeper.locator("#skills").fill("剪纸和理发")
    keeper.locator("#birth_year").fill("1949")
    with live_app.app_context():  # another keeper saves a new birth year meanwhile
        db.session.get(Volunteer, 1).birth_year = 1957
        db.session.commit()
    keeper.get_by_role("button", name="English").click()
    expect(keeper.locator("html")).to_have_attribute("lang", "en")
    expect(keeper.locator("#skills")).to_have_value("剪纸和理发")
    expect(keeper.locator("#birth_year")).to_have_value("1957")


def test_today_left_open_past_midnight_turns_to_the_new_day(context, server, live_app):
    from datetime import UTC, datetime

    clock = live_app.extensions["kiosk_clock"]
    clock.set(datetime(2026, 12, 9, 15, 58, tzinfo=UTC))  # 23:58 in Shanghai
    keeper = context.new_page()
    keeper.set_viewport_size(PORTRAIT)
    sign_in(keeper, server, live_app)
    expect(keeper.locator("h1")).to_contain_text("2026年12月9日")
    clock.set(datetime(2026, 12, 9, 16, 1, tzinfo=UTC))  # 00:01 on the 10th: someone checks in at the kiosk
    kiosk = scan_at_another_tablet(context, server, live_app, 5)
    # The next poll brings the new day: heading, date buttons, totals and who is on duty.
    expect(keeper.locator("h1")).to_contain_text("2026年12月10日", timeout=8_000)
    expect(keeper.locator("[data-on-duty]")).to_contain_text("陈志强")
    expect(keeper.locator("[data-total=volunteers]")).to_have_text("1")
    expect(keeper.locator("#day")).to_have_attribute("max", "2026-12-10")
    kiosk.context.close()
