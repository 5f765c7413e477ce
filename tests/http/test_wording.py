"""What the volunteers read in Chinese, as a native speaker at a community station says it (issues
W1, W4–W6 of the first-use probe): what the catalogs say, seen on the pages that say it."""

import re

import pytest
from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.gifts.redemptions import add_gift
from kiosk.people.badges import badge_token
from kiosk.people.models import Keeper, Volunteer
from kiosk.points.ledger import award
from tests.conftest import HX, START, csrf_token


def reading(app, language: str):
    client = app.test_client()
    client.set_cookie("kiosk_lang", language)
    return client


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def badge(app, volunteer_id=1) -> str:
    with app.app_context():
        return badge_token(db.session.get(Volunteer, volunteer_id))


@pytest.mark.parametrize("language, said", [
    ("zh_Hans", "再服务满 100 小时（经站长确认）就能得到第一颗星"),
    ("zh_Hant", "再服務滿 100 小時（經站長確認）就能得到第一顆星"),
])
def test_the_first_star_is_so_many_hours_of_service_away_not_of_confirming(app, station, language, said):
    kiosk = reading(app, language)
    r = kiosk.post("/checkin/scan", data={"code": badge(app), "csrf_token": csrf_token(kiosk, "/checkin/")},
                   headers=HX)
    assert said in text(r)


@pytest.fixture
def gifts(app, station):
    """保温杯 (150 points) and 毛巾 (30); volunteer 1 has 100 points."""
    with app.test_request_context("/", method="POST"):
        keeper = db.session.scalar(select(Keeper))
        here = db.session.get(Station, station)
        award(keeper, here, db.session.get(Volunteer, 1), 100, "奖励", START)
        cup = add_gift(keeper, here, "保温杯", 150, 2, START).id
        towel = add_gift(keeper, here, "毛巾", 30, 2, START).id
        db.session.commit()
        return cup, towel


def test_gift_points_say_what_they_have_what_it_needs_and_how_to_collect(app, gifts):
    cup, towel = gifts
    kiosk = reading(app, "zh_Hans")
    token = csrf_token(kiosk, "/gifts/")
    page = kiosk.post("/gifts/who", data={"code": badge(app), "csrf_token": token}, headers=HX)
    assert re.search(r"保温杯 150 积分 还差 50 积分", text(page))  # how far off, not only "not enough"
    choice = re.search(r'name="choice" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    refused = kiosk.post("/gifts/pick", data={"choice": choice, "gift_id": str(cup), "csrf_token": token}, headers=HX)
    assert "积分不够：您现在有 100 积分，这件要 150 积分" in text(refused)
    question = kiosk.post("/gifts/pick", data={"choice": choice, "gift_id": str(towel), "csrf_token": token},
                          headers=HX).get_data(as_text=True)
    once = re.search(r'name="once" value="([0-9a-f]{32})"', question).group(1)
    done = kiosk.post("/gifts/confirm", data={"choice": choice, "gift_id": str(towel), "once": once,
                                              "csrf_token": token}, headers=HX)
    assert "请把这个画面给值班人员看，就能领取。剩余积分：70" in text(done)
