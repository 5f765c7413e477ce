"""A volunteer's round at tablet size: scanned in to the activity they signed up for, scanned
out, a keeper confirms the day, the volunteer's phone shows hours, points and stars, they pick a
gift at the kiosk and the keeper hands it over."""

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.activities.models import Activity, Signup
from kiosk.checkin.models import ServiceSession
from kiosk.checkin.phone import remember_token
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.gifts.models import Redemption
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.browser.conftest import PORTRAIT
from tests.browser.test_today import sign_in


def scan_at_kiosk(page, token):
    page.locator("[data-scanner-input]").focus()
    page.keyboard.type(token, delay=5)
    page.keyboard.press("Enter")


def test_scan_in_to_an_activity_confirm_see_points_and_stars_and_redeem_a_gift(context, server, live_app):
    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        station = db.session.get(Station, 1)
        station.star_hours = "2,4,6,8,10"  # a short ladder, so three hours make a star
        now = clock.now()
        lesson = Activity(station_id=1, name="爱心课堂", place="驿站二楼", content="陪孩子写作业", starts_at=now,
                          ends_at=now + timedelta(hours=3), created_at=now)
        db.session.add(lesson)
        db.session.flush()
        db.session.add(Signup(activity_id=lesson.id, volunteer_id=1, at=now))
        volunteer = db.session.get(Volunteer, 1)
        token, phone_cookie = badge_token(volunteer), remember_token(volunteer)
        db.session.commit()

    kiosk = context.new_page()
    kiosk.goto(server.url + "/checkin/")
    scan_at_kiosk(kiosk, token)
    expect(kiosk.locator("#scan-result .outcome")).to_have_attribute("data-outcome", "checked_in")
    expect(kiosk.locator("#scan-result")).to_contain_text("爱心课堂")
    clock.advance(hours=3)
    kiosk.wait_for_timeout(600)  # the kiosk ignores the same code read twice within a moment
    kiosk.goto(server.url + "/checkin/")
    scan_at_kiosk(kiosk, token)
    expect(kiosk.locator("#scan-result .outcome")).to_have_attribute("data-outcome", "checked_out")

    keeper = context.browser.new_context(viewport=PORTRAIT, locale="zh-CN").new_page()
    sign_in(keeper, server, live_app)
    keeper.goto(server.url + "/keeper/review")
    keeper.get_by_role("button", name="确认这一天").click()
    expect(keeper.locator("#confirm-hours")).to_contain_text("已确认")
    with live_app.app_context():
        assert db.session.scalar(select(ServiceSession.confirmed_at)) is not None

    phone_context = context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    phone_context.add_cookies([{"name": "kiosk_phone", "value": phone_cookie, "url": server.url}])
    phone = phone_context.new_page()
    phone.goto(server.url + "/m/me?station=demo")
    expect(phone.locator("body")).to_contain_text("3")  # hours
    expect(phone.locator("body")).to_contain_text("积分：30")
    expect(phone.locator(".stars-line")).to_contain_text("1 星志愿者")

    keeper.goto(server.url + "/keeper/gifts")
    keeper.locator("#new-name").fill("环保袋")
    keeper.locator("#new-points").fill("20")
    keeper.locator("#new-stock").fill("3")
    keeper.get_by_role("button", name="添加").click()
    expect(keeper.locator("#name-1")).to_have_value("环保袋")

    kiosk.goto(server.url + "/gifts/")
    scan_at_kiosk(kiosk, token)
    expect(kiosk.locator("#gift-result")).to_contain_text("积分：30")
    kiosk.get_by_role("button", name="我要这个").click()
    expect(kiosk.locator("#gift-result")).to_contain_text("用 20 积分换 环保袋？")
    kiosk.get_by_role("button", name="换", exact=True).click()
    expect(kiosk.locator("#gift-result")).to_contain_text("已为您留好")
    expect(kiosk.locator("#gift-result")).to_contain_text("剩余积分：10")

    keeper.goto(server.url + "/keeper/gifts")
    keeper.get_by_role("button", name="已领取").click()
    expect(keeper.locator("body")).to_contain_text("没有人在等领礼品")
    with live_app.app_context():
        assert db.session.scalar(select(Redemption.status)) == "handed"
    phone.reload()
    expect(phone.locator("body")).to_contain_text("积分：10")
    phone_context.close()
    keeper.context.close()
