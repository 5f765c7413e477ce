"""A volunteer checks in on their own phone: scan the kiosk's QR, link the phone once, press the button."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.checkin.models import ServiceSession
from kiosk.checkin.phone import issue_phone_code
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import KIOSK_STATION_COOKIE, kiosk_tablet_cookie
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.browser.conftest import launch
from tests.browser.media import qr_video

PHONE = {"width": 390, "height": 844}


def station_link(page, server, live_app):
    """The link in the station QR of a tablet a keeper set up as the station's kiosk."""
    with live_app.test_request_context():
        tablet = kiosk_tablet_cookie(db.session.scalar(select(Station)))
    page.context.add_cookies([{"name": KIOSK_STATION_COOKIE, "value": tablet, "url": server.url}])
    page.goto(server.url + "/checkin/")
    return page.locator(".station-qr").get_attribute("data-station-link")


def test_phone_links_with_keeper_code_then_checks_in(browser, server, live_app):
    with live_app.app_context():
        code = issue_phone_code(db.session.get(Volunteer, 3), live_app.extensions["kiosk_clock"].now())
        db.session.commit()
    kiosk = browser.new_page()
    link = station_link(kiosk, server, live_app)
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN").new_page()
    phone.goto(link)
    phone.locator("#number").fill("3")
    phone.locator("#code").fill(code)
    phone.get_by_role("button", name="确认是我").click()
    phone.get_by_role("button", name=re.compile("签到")).click()
    expect(phone.locator(".outcome")).to_have_attribute("data-outcome", "checked_in")
    expect(phone.locator(".outcome")).to_contain_text("王建国")  # their own phone: the name in full
    phone.get_by_role("link", name="我的服务时长").click()
    expect(phone.locator("h1")).to_contain_text("王建国")
    with live_app.app_context():
        assert db.session.query(ServiceSession).one().check_in_method == "phone"


def test_phone_links_by_scanning_the_badge_with_its_camera(playwright_driver, browser, server, live_app, tmp_path):
    with live_app.app_context():
        token = badge_token(db.session.get(Volunteer, 2))
    # The kiosk is another device, without the phone's camera pointed at the badge.
    link = station_link(browser.new_page(), server, live_app)
    video = qr_video(token, tmp_path / "badge.y4m")
    phone_browser = launch(playwright_driver, ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                               f"--use-file-for-fake-video-capture={video}"])
    try:
        phone = phone_browser.new_context(viewport=PHONE, is_mobile=True, permissions=["camera"],
                                          locale="zh-CN").new_page()
        phone.goto(link)
        # No tap: the camera reads the badge and the page comes back ready to check in.
        expect(phone.get_by_role("heading", name=re.compile("李桂英"))).to_be_visible(timeout=15_000)
        phone.get_by_role("button", name=re.compile("签到")).click()
        expect(phone.locator(".outcome")).to_have_attribute("data-outcome", "checked_in")
    finally:
        phone_browser.close()


def test_the_station_qr_is_hidden_once_no_fresh_code_came_while_it_held(page, server, live_app):
    """The station computer out of reach: the tablet's QR for phones is not left up after the
    station stops taking its code (phones would be refused); it says to use the badge, and comes back
    with the next fresh code."""
    page.clock.install()
    station_link(page, server, live_app)
    qr = page.locator(".station-qr")
    expect(qr.locator(".station-qr-code")).to_be_visible()
    page.expected_errors += ["htmx:sendError", "ERR_INTERNET_DISCONNECTED", "htmx:afterRequest"]
    page.route("**/checkin/station-code", lambda route: route.abort("internetdisconnected"))
    page.clock.run_for(45_000)  # two refreshes missed: the code still holds
    expect(qr.locator(".station-qr-code")).to_be_visible()
    page.clock.run_for(10_000)
    expect(qr.locator(".station-qr-code")).to_be_hidden()
    expect(qr.locator(".station-qr-stale-note")).to_have_text("手机签到码暂时用不了，请先用胸卡签到。")
    expect(qr.locator(".station-qr-stale-note")).to_be_visible()
    page.unroute("**/checkin/station-code")
    page.clock.run_for(20_000)
    expect(page.locator(".station-qr .station-qr-code")).to_be_visible()
    expect(page.locator(".station-qr-stale-note")).to_be_hidden()


def _linked_phone(page, server, live_app, volunteer_id=3, **cookies):
    from kiosk.checkin.phone import remember_token

    with live_app.app_context():
        token = remember_token(db.session.get(Volunteer, volunteer_id))
    page.context.add_cookies([{"name": name, "value": value, "url": server.url}
                              for name, value in {"kiosk_phone": token, **cookies}.items()])


def test_signing_up_on_the_phone_with_the_station_computer_unreachable_says_it_was_not_saved(page, server, live_app):
    """Probe: the buttons on /m/me were plain forms, so a restarting server left the phone on the
    browser's own "This site can't be reached" page."""
    from datetime import timedelta

    from kiosk.activities.models import Activity

    with live_app.app_context():
        now = live_app.extensions["kiosk_clock"].now()
        db.session.add(Activity(station_id=1, name="爱心课堂", place="驿站二楼", capacity=5, created_at=now,
                                starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=4)))
        db.session.commit()
    page.set_viewport_size(PHONE)
    _linked_phone(page, server, live_app)
    page.goto(server.url + "/m/me")
    page.expected_errors += ["htmx:sendError", "ERR_INTERNET_DISCONNECTED", "htmx:afterRequest"]
    page.route("**/m/activities/**", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="我要报名").click()
    expect(page.locator("[data-offline]")).to_contain_text("刚才的没有存上")
    assert page.url.startswith(server.url + "/m/me")  # still the page, not the browser's own
    page.unroute("**/m/activities/**")
    page.get_by_role("button", name="我要报名").click()
    expect(page.locator("#phone-activities .flash")).to_contain_text("爱心课堂")
    expect(page.locator("[data-offline]")).to_have_count(0)
    # Giving the place up asks first; the answer says it was given up.
    withdraw = page.locator(".phone-withdraw button")
    expect(withdraw).to_be_hidden()
    page.get_by_text("我去不了了").click()
    withdraw.click()
    expect(page.get_by_role("button", name="我要报名")).to_be_visible()
    expect(page.locator("#phone-activities .flash")).to_contain_text("爱心课堂")
    with live_app.app_context():
        from kiosk.activities.models import Signup

        assert db.session.query(Signup).count() == 0


def test_not_you_on_a_small_phone_in_large_text_lands_on_the_sign_out(browser, server, live_app):
    """Probe: "不是您？ 在这部手机上退出" led to the top of /m/me, the button ~5,800 px further down."""
    link = station_link(browser.new_page(), server, live_app)
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    phone = context.new_page()
    _linked_phone(phone, server, live_app, kiosk_text="large")
    phone.goto(link)
    expect(phone.get_by_role("link", name="我的服务时长")).to_be_visible()  # before any tap
    phone.get_by_role("link", name="在这部手机上退出").click()
    sign_out = phone.locator("#sign-out > summary")
    expect(sign_out).to_be_in_viewport()
    sign_out.click()
    phone.get_by_role("button", name="确定，在这部手机上退出").click()
    expect(phone.locator("h1")).to_have_text("我的服务时长")
    context.close()
