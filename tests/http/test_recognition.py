"""Confirmed hours, points, stars and gifts through the pages: a volunteer scans in and out, a
keeper confirms the day, the phone page shows hours, points and stars, the volunteer picks a gift
at the kiosk and a keeper hands it over."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.gifts.models import Gift, Redemption
from kiosk.people.badges import badge_token
from kiosk.people.models import AuditEvent, Volunteer
from kiosk.points.ledger import balance
from kiosk.points.models import PointsLine
from kiosk.core.errors import DomainError
from tests.conftest import HX, csrf_token, in_english
from tests.http.conftest import sign_in


@pytest.fixture
def kiosk(app, station):
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    return client


def token(app, volunteer_id=1) -> str:
    with app.app_context():
        return badge_token(db.session.get(Volunteer, volunteer_id))


def scan(kiosk, code):
    return kiosk.post("/checkin/scan", data={"code": code, "method": "scanner",
                                             "csrf_token": csrf_token(kiosk, "/checkin/")}, headers=HX)


def post(client, path, data, page="/keeper/review"):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def a_shift(app, kiosk, clock, hours=3):
    """Volunteer 1 scans in, serves `hours`, scans out; returns the day."""
    day = clock.now().date()
    assert 'data-outcome="checked_in"' in scan(kiosk, token(app)).get_data(as_text=True)
    clock.advance(hours=hours)
    assert 'data-outcome="checked_out"' in scan(kiosk, token(app)).get_data(as_text=True)
    return day


def a_first_star(app, kiosk, keeper, clock):
    """With a short ladder (2, 4, 6, 8, 10 hours), volunteer 1 serves 3 hours and a keeper confirms
    the day: one star. Returns the day."""
    with app.app_context():
        db.session.get(Station, 1).star_hours = "2,4,6,8,10"
        db.session.commit()
    day = a_shift(app, kiosk, clock, hours=3)
    post(keeper, "/keeper/hours/confirm-day", {"day": day.isoformat()})
    return day


def test_a_keeper_confirms_a_day_with_one_tap_and_the_hours_earn_points(app, kiosk, keeper, clock):
    day = a_shift(app, kiosk, clock)
    page = keeper.get("/keeper/review").get_data(as_text=True)
    assert day.isoformat() in page and "Confirm this day" in page
    r = post(keeper, "/keeper/hours/confirm-day", {"day": day.isoformat()})
    assert r.status_code == 303
    assert "Confirmed 1 sessions" in keeper.get(r.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ServiceSession.confirmed_at)) is not None
        assert balance(1) == 30  # 3 h at the default 10 points an hour
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "hours.day_confirmed"
    again = post(keeper, "/keeper/hours/confirm-day", {"day": day.isoformat()})
    assert again.status_code == 422 and "Nothing left to confirm" in again.get_data(as_text=True)


@pytest.mark.parametrize("day", ["", "yesterday", "2026-13-40", "9999-01-01", "0001-01-01", "2026-11-22" * 50])
def test_a_wrong_day_gets_a_message_not_an_error_page(app, keeper, day):
    r = post(keeper, "/keeper/hours/confirm-day", {"day": day})
    assert r.status_code == 422
    assert "Please enter a date" in r.get_data(as_text=True) or "has not come yet" in r.get_data(as_text=True)


def test_the_check_in_confirmation_and_the_phone_page_show_stars_and_points(app, kiosk, keeper, clock):
    a_first_star(app, kiosk, keeper, clock)
    clock.advance(days=1)
    page = scan(kiosk, token(app)).get_data(as_text=True)
    assert "★☆☆☆☆ 1-star volunteer" in page
    # The volunteer's page for keepers, with points and stars.
    mine = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert re.search(r'id="points">Points: <span class="big-number">30<', mine)
    assert "1 stars" in mine


def test_the_phone_page_shows_points_and_the_next_star(app, kiosk, keeper, clock):
    from tests.http.test_phone import code_at, link_badge

    day = a_shift(app, kiosk, clock, hours=2)
    post(keeper, "/keeper/hours/confirm-day", {"day": day.isoformat()})
    phone = app.test_client()
    phone.set_cookie("kiosk_lang", "en")
    assert link_badge(phone, code_at(app, 1, clock.now()), token(app)).status_code == 303
    page = phone.get("/m/me").get_data(as_text=True)
    assert "Points: 20" in page and "98 more confirmed hours to the next star" in page


def test_a_volunteer_picks_a_gift_at_the_kiosk_and_a_keeper_hands_it_over(app, kiosk, keeper):
    r = post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "30", "stock": "2", "active": "y"}, page="/keeper/gifts")
    assert r.status_code == 303
    r = post(keeper, "/keeper/volunteers/1/points", {"amount": "50", "reason": "最美志愿者"}, page="/keeper/volunteers/1")
    assert r.status_code == 303
    assert kiosk.get("/gifts/").status_code == 200
    who = kiosk.post("/gifts/who", data={"code": token(app), "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    page = who.get_data(as_text=True)
    assert who.status_code == 200 and "Points: 50" in page and "张*华" in page and "张晓华" not in page
    choice = re.search(r'name="choice" value="([^"]+)"', page).group(1)
    gift_id = re.search(r'name="gift_id" value="(\d+)"', page).group(1)
    question = kiosk.post("/gifts/pick", data={"choice": choice, "gift_id": gift_id,
                                               "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    assert question.status_code == 200 and "Swap 30 points for 毛巾?" in question.get_data(as_text=True)
    once = re.search(r'name="once" value="([0-9a-f]{32})"', question.get_data(as_text=True)).group(1)
    picked = kiosk.post("/gifts/confirm", data={"choice": choice, "gift_id": gift_id, "once": once,
                                                "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    assert picked.status_code == 200 and "is set aside for you" in picked.get_data(as_text=True)
    assert "Points left: 20" in picked.get_data(as_text=True)
    # The volunteer walks this screen over to a keeper: it stays until the next scan or the kiosk's
    # idle return home, not a timer of its own (it vanished after 30 s).
    assert "data-reset-after" not in re.search(r'<div[^>]*data-redemption[^>]*>', picked.get_data(as_text=True)).group(0)
    waiting = keeper.get("/keeper/gifts").get_data(as_text=True)
    redemption_id = re.search(r'/keeper/redemptions/(\d+)/hand-over', waiting).group(1)
    assert post(keeper, f"/keeper/redemptions/{redemption_id}/hand-over", {}, page="/keeper/gifts").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Redemption.status)) == "handed"
        assert db.session.scalar(select(Gift.stock)) == 1
    # The same choice cannot be replayed into a second gift once it has run out of points: not
    # even asked, and a fresh answer (a new token) is refused too.
    again = kiosk.post("/gifts/pick", data={"choice": choice, "gift_id": gift_id,
                                            "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    assert again.status_code == 422 and "Not enough points: you have 20, this one needs 30." in again.get_data(as_text=True)
    again = kiosk.post("/gifts/confirm", data={"choice": choice, "gift_id": gift_id, "once": "0f" * 16,
                                               "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    assert again.status_code == 422 and "Not enough points: you have 20, this one needs 30." in again.get_data(as_text=True)
    assert "No gift this time" in again.get_data(as_text=True)  # not "Nothing was changed", a log's words


@pytest.mark.parametrize("data", [{"choice": "forged", "gift_id": "1"}, {"choice": "", "gift_id": "1"},
                                  {"choice": "x", "gift_id": "99999999999999999999"}, {"gift_id": "abc"}])
def test_a_forged_or_stale_choice_asks_for_the_badge_again(app, kiosk, data):
    r = kiosk.post("/gifts/pick", data={"csrf_token": csrf_token(kiosk, "/gifts/"), **data}, headers=HX)
    assert r.status_code == 422 and "Please scan your badge again." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0


def test_an_expired_choice_asks_for_the_badge_again(app, kiosk, keeper, monkeypatch):
    post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "1", "stock": "2", "active": "y"}, page="/keeper/gifts")
    post(keeper, "/keeper/volunteers/1/points", {"amount": "5", "reason": "奖励"}, page="/keeper/volunteers/1")
    page = kiosk.post("/gifts/who", data={"code": token(app), "csrf_token": csrf_token(kiosk, "/gifts/")},
                      headers=HX).get_data(as_text=True)
    choice = re.search(r'name="choice" value="([^"]+)"', page).group(1)
    monkeypatch.setattr("kiosk.gifts.redemptions.CHOICE_SECONDS", -1)
    r = kiosk.post("/gifts/pick", data={"choice": choice, "gift_id": "1", "csrf_token": csrf_token(kiosk, "/gifts/")},
                   headers=HX)
    # Nothing is wrong with the badge: it was a while ago, and scanning again keeps the points safe.
    assert r.status_code == 422 and "please scan your badge again." in r.get_data(as_text=True)
    assert "That was a while ago." in r.get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"name": "", "points": "1", "stock": "1"}, "Please fill this in."),
    ({"name": "毛巾", "points": "abc", "stock": "1"}, "Please enter a whole number."),
    ({"name": "毛巾", "points": "1.5", "stock": "1"}, "Please enter a whole number."),
    ({"name": "毛巾", "points": "1" * 30, "stock": "1"}, "This number is too large."),
    ({"name": "毛巾", "points": "1" * 20 + "x", "stock": "1"}, "Please enter a whole number."),
    ({"name": "毛巾", "points": "0", "stock": "1"}, "Points: a whole number from 1"),
    ({"name": "毛巾", "points": "5", "stock": "-1"}, "Stock: a whole number from 0"),
])
def test_a_wrong_gift_gets_a_message_and_stores_nothing(app, keeper, data, message):
    r = post(keeper, "/keeper/gifts", data, page="/keeper/gifts")
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Gift)) == 0


@pytest.mark.parametrize("data, message", [
    ({"amount": "abc", "reason": "x"}, "Please enter a whole number."),
    ({"amount": "", "reason": "x"}, "Please enter a whole number."),
    ({"amount": "10", "reason": ""}, "Please fill this in."),
    ({"amount": "0", "reason": "x"}, "not 0"),
    ({"amount": "-5", "reason": "x"}, "Not enough points: 0 left."),
    ({"amount": "99999999", "reason": "x"}, "between -10000 and 10000"),
])
def test_a_wrong_award_gets_a_message_and_stores_nothing(app, keeper, data, message):
    r = post(keeper, "/keeper/volunteers/1/points", data, page="/keeper/volunteers/1")
    assert r.status_code == 422 and message in r.get_data(as_text=True), r.get_data(as_text=True)[-2000:]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PointsLine)) == 0


def test_a_keeper_gives_a_gift_from_the_volunteer_page_and_cancels_it(app, keeper):
    post(keeper, "/keeper/gifts", {"name": "雨伞", "points": "20", "stock": "1", "active": "y"}, page="/keeper/gifts")
    post(keeper, "/keeper/volunteers/1/points", {"amount": "20", "reason": "奖励"}, page="/keeper/volunteers/1")
    with app.app_context():
        gift_id = db.session.scalar(select(Gift.id))
    r = post(keeper, "/keeper/volunteers/1/gift", {"gift_id": str(gift_id)}, page="/keeper/volunteers/1")
    assert r.status_code == 303
    with app.app_context():
        redemption = db.session.scalar(select(Redemption))
        assert (redemption.status, balance(1), db.session.get(Gift, gift_id).stock) == ("handed", 0, 0)
    assert post(keeper, f"/keeper/redemptions/{redemption.id}/cancel", {}, page="/keeper/gifts").status_code == 303
    with app.app_context():
        assert (db.session.scalar(select(Redemption.status)), balance(1), db.session.get(Gift, gift_id).stock) == (
            "cancelled", 20, 1)
    twice = post(keeper, f"/keeper/redemptions/{redemption.id}/cancel", {}, page="/keeper/gifts")
    assert twice.status_code == 422 and "already cancelled" in twice.get_data(as_text=True)


def test_a_gift_refused_at_the_keepers_desk_names_the_volunteer_not_you(app, keeper):
    """On a keeper's page the points are the volunteer's: "you have 45" spoke to the keeper. At the
    kiosk the volunteer reads it themselves, and "you" stays."""
    post(keeper, "/keeper/gifts", {"name": "保温杯", "points": "150", "stock": "2", "active": "y"}, page="/keeper/gifts")
    post(keeper, "/keeper/volunteers/1/points", {"amount": "45", "reason": "奖励"}, page="/keeper/volunteers/1")
    with app.app_context():
        gift_id = db.session.scalar(select(Gift.id))
        name = db.session.get(Volunteer, 1).name
    r = post(keeper, "/keeper/volunteers/1/gift", {"gift_id": str(gift_id)}, page="/keeper/volunteers/1")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and f"Not enough points: {name} has 45, this one needs 150." in page
    assert "you have" not in page  # the kiosk's own wording: test_a_volunteer_picks_a_gift_at_the_kiosk…
    with app.app_context():
        assert (balance(1), db.session.get(Gift, gift_id).stock) == (45, 2)


@pytest.mark.parametrize("path", ["/keeper/gifts", "/keeper/points", "/keeper/volunteers/1"])
def test_the_gifts_and_points_tables_are_cards_on_a_phone(app, keeper, path):
    """Read across on a 390 px phone they ran off the side, "+60" one character a line: each
    table is a card per row there (kiosk.css .phone-cards), each value after its column's name."""
    post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "30", "stock": "2", "active": "y"}, page="/keeper/gifts")
    post(keeper, "/keeper/volunteers/1/points", {"amount": "60", "reason": "奖励"}, page="/keeper/volunteers/1")
    post(keeper, "/keeper/volunteers/1/gift", {"gift_id": "1"}, page="/keeper/volunteers/1")
    page = keeper.get(path).get_data(as_text=True)
    if path == "/keeper/volunteers/1":  # the points' part of it (check-in's sessions are cards already)
        page = page.split('id="points"', 1)[1].split('id="gifts"', 1)[0]
    tables = re.findall(r"<table[^>]*>", page)
    assert tables and all('class="table phone-cards"' in t and 'role="table"' in t for t in tables), tables
    assert 'data-label="Points"' in page


def volunteer_form(keeper, action: str) -> dict:
    """The hidden fields of one form on volunteer 1's page (its CSRF and one-time token)."""
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    form = re.search(rf'<form[^>]*action="/keeper/volunteers/1/{action}"[^>]*>(.*?)</form>', page, re.S)
    assert 'autocomplete="off"' in form.group(0)  # Back shows it empty, not ready to send again
    return dict(re.findall(r'<input[^>]*name="(csrf_token|once)"[^>]*value="([^"]*)"', form.group(1)))


# Probe: a keeper's bonus and a gift at the desk said nothing when saved, and the same form sent
# again (a double tap, Back and tap) gave the points or the gift a second time.
def test_the_points_form_sent_twice_adds_one_line_and_says_it_was_saved(app, keeper):
    hidden = volunteer_form(keeper, "points")
    assert re.fullmatch(r"[0-9a-f]{32}", hidden["once"])
    for _ in range(2):
        r = keeper.post("/keeper/volunteers/1/points", data={**hidden, "amount": "7", "reason": "首周奖励"})
        assert r.status_code == 303 and r.headers["Location"].endswith("/keeper/volunteers/1#points")
    with app.app_context():
        assert [(line.amount, line.reason) for line in db.session.scalars(select(PointsLine))] == [(7, "首周奖励")]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "points.awarded")) == 1
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    said = page.split('id="points"')[1]
    assert "Saved: +7 points, 首周奖励." in said and page.count("Saved: +7 points") == 1
    assert "Saved: +7 points" not in keeper.get("/keeper/volunteers/1").get_data(as_text=True)  # said once
    # A fresh page is a fresh form: a second bonus on purpose is a second line.
    r = keeper.post("/keeper/volunteers/1/points", data={**volunteer_form(keeper, "points"), "amount": "3", "reason": "再奖"})
    assert r.status_code == 303 and balance_of(app) == 10
    bad = keeper.post("/keeper/volunteers/1/points", data={**volunteer_form(keeper, "points"), "once": "x' or 1=1",
                                                            "amount": "3", "reason": "再奖"})
    assert bad.status_code == 422 and balance_of(app) == 10


def test_a_points_forms_token_sent_for_another_volunteer_is_refused_and_adds_nothing(app, keeper):
    """A token already used for one volunteer, sent with another's form (a hand-made request): refused
    in words, not a server error, and nothing added to either."""
    hidden = volunteer_form(keeper, "points")
    assert keeper.post("/keeper/volunteers/1/points", data={**hidden, "amount": "7", "reason": "奖励"}).status_code == 303
    r = keeper.post("/keeper/volunteers/2/points", data={**hidden, "amount": "5", "reason": "奖励"})
    assert r.status_code == 422 and "not saved" in r.get_data(as_text=True)
    with app.app_context():
        assert [(line.volunteer_id, line.amount) for line in db.session.scalars(select(PointsLine))] == [(1, 7)]


def test_a_gift_forms_token_sent_for_another_volunteer_gives_nothing(app, keeper):
    post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "15", "stock": "3", "active": "y"}, page="/keeper/gifts")
    for volunteer_id in (1, 2):
        post(keeper, f"/keeper/volunteers/{volunteer_id}/points", {"amount": "40", "reason": "奖励"},
             page=f"/keeper/volunteers/{volunteer_id}")
    with app.app_context():
        gift_id = db.session.scalar(select(Gift.id))
    hidden = volunteer_form(keeper, "gift")
    assert keeper.post("/keeper/volunteers/1/gift", data={**hidden, "gift_id": str(gift_id)}).status_code == 303
    r = keeper.post("/keeper/volunteers/2/gift", data={**hidden, "gift_id": str(gift_id)})
    assert r.status_code == 422
    with app.app_context():
        assert [(r.volunteer_id, r.status) for r in db.session.scalars(select(Redemption))] == [(1, "handed")]
        assert (balance(2), db.session.get(Gift, gift_id).stock) == (40, 2)


def balance_of(app) -> int:
    with app.app_context():
        return balance(1)


def test_the_gift_form_sent_twice_gives_one_gift_and_says_it_was_given(app, keeper):
    post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "15", "stock": "3", "active": "y"}, page="/keeper/gifts")
    post(keeper, "/keeper/volunteers/1/points", {"amount": "40", "reason": "奖励"}, page="/keeper/volunteers/1")
    with app.app_context():
        gift_id = db.session.scalar(select(Gift.id))
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert re.search(r'<select id="gift_id" name="gift_id"[^>]*>\s*<option value="">', page)  # nothing chosen yet
    hidden = volunteer_form(keeper, "gift")
    for _ in range(2):
        r = keeper.post("/keeper/volunteers/1/gift", data={**hidden, "gift_id": str(gift_id)})
        assert r.status_code == 303
    with app.app_context():
        assert [r.status for r in db.session.scalars(select(Redemption))] == ["handed"]
        assert (balance(1), db.session.get(Gift, gift_id).stock) == (25, 2)
    said = keeper.get("/keeper/volunteers/1").get_data(as_text=True).split('id="gifts"')[1]
    assert "Given: 毛巾, 15 points spent." in said
    # Sent with no gift chosen (the form as Back shows it): refused, nothing given.
    r = keeper.post("/keeper/volunteers/1/gift", data={**volunteer_form(keeper, "gift"), "gift_id": ""})
    assert r.status_code == 422 and balance_of(app) == 25


def test_the_star_ladder_and_points_setting_are_checked(app, keeper):
    r = post(keeper, "/keeper/stars/ladder", {"star_hours": "100, 200, 500, 800, 1000"}, page="/keeper/stars")
    assert r.status_code == 303
    bad = post(keeper, "/keeper/stars/ladder", {"star_hours": "1000, 200"}, page="/keeper/stars")
    assert bad.status_code == 422 and "five numbers of hours" in bad.get_data(as_text=True)
    assert post(keeper, "/keeper/points", {"points_per_hour": "5"}, page="/keeper/points").status_code == 303
    bad = post(keeper, "/keeper/points", {"points_per_hour": "-1"}, page="/keeper/points")
    assert bad.status_code == 422
    with app.app_context():
        station = db.session.get(Station, 1)
        assert (station.star_hours, station.points_per_hour) == ("100,200,500,800,1000", 5)
    for year in ("1999", "abc", "2027", "9" * 100):
        r = keeper.get("/keeper/stars", query_string={"year": year})
        page = r.get_data(as_text=True)
        # This year's list, saying that year cannot be shown: never a dead end.
        assert r.status_code == 422 and "New star volunteers in 2026" in page
        assert "That year cannot be shown." in page and "keeper-nav" in page


def test_a_rate_changed_on_the_points_page_counts_from_then_on(app, kiosk, keeper, clock):
    """The probe's steps through the pages: a day confirmed at 10 an hour, the rate set to 20 on
    /keeper/points, another day confirmed on /keeper/review, the rate set back to 10, a third day:
    each day earns its own day's rate and no line re-rates the days already paid. A correction of
    the first day afterwards is priced at its 10 an hour and reads as changed hours."""
    def confirm(hours):
        day = a_shift(app, kiosk, clock, hours=hours)
        assert post(keeper, "/keeper/hours/confirm-day", {"day": day.isoformat()}).status_code == 303

    def hours_lines():
        with app.app_context():
            return [(line.amount, line.per_hour, line.reason) for line in db.session.scalars(
                select(PointsLine).where(PointsLine.kind == "hours").order_by(PointsLine.id))]

    confirm(3)
    assert post(keeper, "/keeper/points", {"points_per_hour": "20"}, page="/keeper/points").status_code == 303
    clock.advance(days=1)
    confirm(2)
    assert post(keeper, "/keeper/points", {"points_per_hour": "10"}, page="/keeper/points").status_code == 303
    clock.advance(days=1)
    confirm(1)
    assert hours_lines() == [(30, 10, None), (40, 20, None), (10, 10, None)]
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    page = keeper.get("/keeper/points").get_data(as_text=True)
    assert page.count('data-label="事由">确认时长</td>') == 3 and "时长有改动" not in page
    with app.app_context():
        first = db.session.scalar(select(ServiceSession.id).order_by(ServiceSession.id))
    edit = f"/keeper/sessions/{first}/edit"
    assert post(keeper, edit, {"checked_in_at": "2026-11-22T09:00", "checked_out_at": "2026-11-22T11:00"},
                page=edit).status_code == 303
    assert hours_lines()[3:] == [(-10, 10, "changed")]
    page = keeper.get("/keeper/points").get_data(as_text=True)
    assert 'data-label="积分">-10</td>' in page and page.count("确认时长 · 时长有改动") == 1
    with app.app_context():
        assert balance(1) == 30 + 40 + 10 - 10


def test_a_ladder_changed_on_the_keeper_page_shows_on_the_very_next_scan(app, kiosk, keeper):
    """Each worker keeps its station for a moment; a keeper's change through the keeper page, in
    another tab or on another tablet served by the same worker, must not wait for that moment."""
    first = scan(kiosk, token(app)).get_data(as_text=True)
    assert "100 more confirmed hours to your first star" in first
    assert post(keeper, "/keeper/stars/ladder", {"star_hours": "2, 4, 6, 8, 10"}, page="/keeper/stars").status_code == 303
    assert "2 more confirmed hours to your first star" in scan(kiosk, token(app, 2)).get_data(as_text=True)


# --- A problem found by a volunteer (随手拍) -------------------------------------------------


def test_a_lead_from_a_volunteers_phone_earns_points_once(app, keeper, clock):
    from kiosk.suggest.models import Suggestion
    from tests.http.test_phone import code_at, link_badge
    from tests.http.test_suggestions import receipt, suggest

    phone = app.test_client()
    phone.set_cookie("kiosk_lang", "en")
    assert link_badge(phone, code_at(app, 1, clock.now()), token(app)).status_code == 303
    code, _svg = receipt(suggest(phone, path="/suggest/phone?station=demo"))
    anonymous, _svg = receipt(suggest(phone, text="井盖松了", path="/suggest/phone?station=demo", anonymous=True))
    with app.app_context():
        found = {s.tracking_code: s.volunteer_id for s in db.session.scalars(select(Suggestion))}
    assert found == {code: 1, anonymous: None}
    page = keeper.get(f"/keeper/suggestions/{code}").get_data(as_text=True)
    assert "Found by a volunteer" in page and "张晓华" in page
    assert "Found by a volunteer" not in keeper.get(f"/keeper/suggestions/{anonymous}").get_data(as_text=True)
    bad = post(keeper, f"/keeper/suggestions/{code}/reward", {"amount": "abc"}, page=f"/keeper/suggestions/{code}")
    assert bad.status_code == 422 and "Please enter a whole number." in bad.get_data(as_text=True)
    r = post(keeper, f"/keeper/suggestions/{code}/reward", {"amount": "20"}, page=f"/keeper/suggestions/{code}")
    assert r.status_code == 303
    with app.app_context():
        assert balance(1) == 20 and db.session.scalar(select(PointsLine.kind)) == "lead"
    twice = post(keeper, f"/keeper/suggestions/{code}/reward", {"amount": "20"}, page=f"/keeper/suggestions/{code}")
    assert twice.status_code == 422 and "earned its points already" in twice.get_data(as_text=True)
    none = post(keeper, f"/keeper/suggestions/{anonymous}/reward", {"amount": "20"},
                page=f"/keeper/suggestions/{anonymous}")
    assert none.status_code == 422 and "Only a suggestion sent from a volunteer" in none.get_data(as_text=True)
    with app.app_context():
        assert balance(1) == 20
    assert "Rewarded with 20 points" in keeper.get(f"/keeper/suggestions/{code}").get_data(as_text=True)


def test_today_tells_the_keeper_a_gift_is_waiting(app, keeper):
    post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "10", "stock": "2", "active": "y"}, page="/keeper/gifts")
    post(keeper, "/keeper/volunteers/1/points", {"amount": "10", "reason": "奖励"}, page="/keeper/volunteers/1")
    assert "waiting to be handed over" not in keeper.get("/keeper/today").get_data(as_text=True)
    with app.app_context():
        from kiosk.gifts.redemptions import ask_for_gift

        ask_for_gift(db.session.get(Station, 1), db.session.get(Volunteer, 1), db.session.scalar(select(Gift.id)),
                     app.extensions["kiosk_clock"].now())
        db.session.commit()
    assert "1 gifts are waiting to be handed over." in keeper.get("/keeper/today").get_data(as_text=True)


def test_a_keeper_reverses_a_bonus_from_the_volunteer_page_once_even_from_two_tabs(app, keeper):
    page = "/keeper/volunteers/1"
    post(keeper, f"{page}/points", {"amount": "40", "reason": "给错了人"}, page=page)
    html = keeper.get(page).get_data(as_text=True)
    action = re.search(r'action="(/keeper/points/\d+/reverse)"', html).group(1)
    token = csrf_token(keeper, page)
    first = keeper.post(action, data={"csrf_token": token, "reason": "给错了人"})
    assert first.status_code == 303
    second = keeper.post(action, data={"csrf_token": token, "reason": "again"})  # the other tab, not reloaded
    assert second.status_code == 422 and "reversed already" in second.get_data(as_text=True)
    with app.app_context():
        assert balance(1) == 0 and len(db.session.scalars(select(PointsLine)).all()) == 2
    assert "/reverse" not in keeper.get(page).get_data(as_text=True)


def a_gift_given(app, keeper):
    """Volunteer 1 is given 20 points and, at the keeper's desk, a 20-point umbrella."""
    post(keeper, "/keeper/gifts", {"name": "雨伞", "points": "20", "stock": "1", "active": "y"}, page="/keeper/gifts")
    post(keeper, "/keeper/volunteers/1/points", {"amount": "20", "reason": "奖励"}, page="/keeper/volunteers/1")
    with app.app_context():
        gift_id = db.session.scalar(select(Gift.id))
    post(keeper, "/keeper/volunteers/1/gift", {"gift_id": str(gift_id)}, page="/keeper/volunteers/1")
    return gift_id


def test_a_gifts_points_cannot_be_reversed_from_the_volunteer_page(app, keeper):
    gift_id = a_gift_given(app, keeper)
    with app.app_context():
        spent = db.session.scalar(select(PointsLine.id).where(PointsLine.kind == "gift"))
    assert f"/keeper/points/{spent}/reverse" not in keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    r = post(keeper, f"/keeper/points/{spent}/reverse", {"reason": "x"}, page="/keeper/volunteers/1")
    assert r.status_code == 422 and "when the gift is cancelled" in r.get_data(as_text=True)
    with app.app_context():
        assert balance(1) == 0 and db.session.get(Gift, gift_id).stock == 0


def test_a_deactivated_volunteers_badge_shows_no_gifts(app, kiosk):
    with app.app_context():
        db.session.get(Volunteer, 1).active = False
        db.session.commit()
    r = kiosk.post("/gifts/who", data={"code": token(app), "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "cannot be used here" in page and 'name="choice"' not in page


def test_a_choice_from_another_station_is_refused(app, kiosk, keeper):
    from kiosk.core.stations import add_station
    from kiosk.gifts.redemptions import choose_by_badge, volunteer_of_choice

    post(keeper, "/keeper/volunteers/1/points", {"amount": "5", "reason": "奖励"}, page="/keeper/volunteers/1")
    with in_english(app):
        station = db.session.get(Station, 1)
        other = add_station("nanyuan", "南苑暖心驿站")
        choice = choose_by_badge(station, badge_token(db.session.get(Volunteer, 1)))
        assert (choice.points, volunteer_of_choice(station, choice.token).id) == (5, 1)
        with pytest.raises(DomainError, match="scan your badge again"):
            volunteer_of_choice(other, choice.token)
        db.session.rollback()


def test_a_keeper_changes_a_gift_and_hides_it_from_the_kiosk(app, keeper, kiosk):
    post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "30", "stock": "2", "active": "y"}, page="/keeper/gifts")
    with app.app_context():
        gift_id = db.session.scalar(select(Gift.id))
    bad = post(keeper, f"/keeper/gifts/{gift_id}", {"name": "毛巾", "points": "0", "stock": "2"}, page="/keeper/gifts")
    assert bad.status_code == 422 and "Points: a whole number from 1" in bad.get_data(as_text=True)
    r = post(keeper, f"/keeper/gifts/{gift_id}", {"name": "纯棉毛巾", "points": "25", "stock": "5"}, page="/keeper/gifts")
    assert r.status_code == 303  # no "active" ticked: no longer offered
    with app.app_context():
        gift = db.session.get(Gift, gift_id)
        assert (gift.name, gift.points, gift.stock, gift.active) == ("纯棉毛巾", 25, 5, False)
    assert "纯棉毛巾" not in kiosk.get("/gifts/").get_data(as_text=True)


def gift_row(page: str, gift_id: int) -> dict:
    """The fields of one gift's row on the keeper's Gifts page, as it sends them."""
    form = re.search(rf'<form[^>]*action="/keeper/gifts/{gift_id}"[^>]*>(.*?)</form>', page, re.S).group(1)
    return dict(re.findall(r'<input[^>]*name="(csrf_token|seen|name|points|stock)"[^>]*value="([^"]*)"', form))


def taken_at_the_kiosk(app, kiosk, gift_id: int) -> None:
    """Volunteer 1 scans their badge at the gift kiosk, taps the gift and says 换."""
    who = kiosk.post("/gifts/who", data={"code": token(app), "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    choice = re.search(r'name="choice" value="([^"]+)"', who.get_data(as_text=True)).group(1)
    question = kiosk.post("/gifts/pick", data={"choice": choice, "gift_id": str(gift_id),
                                               "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    once = re.search(r'name="once" value="([0-9a-f]{32})"', question.get_data(as_text=True)).group(1)
    picked = kiosk.post("/gifts/confirm", data={"choice": choice, "gift_id": str(gift_id), "once": once,
                                                "csrf_token": csrf_token(kiosk, "/gifts/")}, headers=HX)
    assert picked.status_code == 200 and "is set aside for you" in picked.get_data(as_text=True)


@pytest.mark.parametrize("where", ["desk", "kiosk"])
def test_a_gifts_row_saved_from_a_page_opened_before_one_was_given_is_refused_and_the_stock_stays(
        app, keeper, kiosk, where):
    """A keeper opens the Gifts page (5 in stock); one is given at another keeper's desk or taken at
    the kiosk (4); the first keeper changes only the price on the page they opened. Saving its 5
    would put a gift already handed out back in stock."""
    post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "30", "stock": "5", "active": "y"}, page="/keeper/gifts")
    post(keeper, "/keeper/volunteers/1/points", {"amount": "100", "reason": "奖励"}, page="/keeper/volunteers/1")
    with app.app_context():
        gift_id = db.session.scalar(select(Gift.id))
    opened = gift_row(keeper.get("/keeper/gifts").get_data(as_text=True), gift_id)
    if where == "desk":
        other = app.test_client()
        other.set_cookie("kiosk_lang", "en")
        assert sign_in(other).status_code == 303
        assert post(other, "/keeper/volunteers/1/gift", {"gift_id": str(gift_id)},
                    page="/keeper/volunteers/1").status_code == 303
    else:
        taken_at_the_kiosk(app, kiosk, gift_id)
    stale = keeper.post(f"/keeper/gifts/{gift_id}", data={**opened, "points": "25", "active": "y"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else changed this record" in page
    with app.app_context():
        gift = db.session.get(Gift, gift_id)
        assert (gift.points, gift.stock) == (30, 4)
    now = gift_row(page, gift_id)  # the row as it is now, to change again
    assert (now["points"], now["stock"]) == ("30", "4") and now["seen"] != opened["seen"]
    again = keeper.post(f"/keeper/gifts/{gift_id}", data={**now, "points": "25", "active": "y"})
    assert again.status_code == 303
    with app.app_context():
        gift = db.session.get(Gift, gift_id)
        assert (gift.points, gift.stock) == (25, 4)


def test_the_yearly_star_list_shows_who_moved_up(app, keeper, kiosk, clock):
    day = a_first_star(app, kiosk, keeper, clock)
    page = keeper.get("/keeper/stars").get_data(as_text=True)
    assert "张晓华" in page and "1 stars" in page and "data-print" in page
    last_year = keeper.get(f"/keeper/stars?year={day.year - 1}").get_data(as_text=True)
    assert "Nobody reached a new level in this year." in last_year


def test_shortening_a_session_whose_points_were_spent_stops_at_zero_and_says_so(app, kiosk, keeper, clock):
    day = a_shift(app, kiosk, clock, hours=3)
    post(keeper, "/keeper/hours/confirm-day", {"day": day.isoformat()})
    assert post(keeper, "/keeper/volunteers/1/points", {"amount": "-25", "reason": "更正"},
                page="/keeper/volunteers/1").status_code == 303
    with app.app_context():
        session_id = db.session.scalar(select(ServiceSession.id))
        assert balance(1) == 5
    r = post(keeper, f"/keeper/sessions/{session_id}/edit",
             {"checked_in_at": f"{day.isoformat()}T09:00", "checked_out_at": f"{day.isoformat()}T10:00"},
             page=f"/keeper/sessions/{session_id}/edit")
    assert r.status_code == 303
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert re.search(r'Points: <span class="big-number">0</span>', page)
    assert "Not taken back: the points were already spent" in page
    with app.app_context():
        assert balance(1) == 0
        assert sorted(db.session.scalars(select(PointsLine.amount).where(PointsLine.kind.in_(("hours", "waived"))))) \
            == [-20, 15, 30]


@pytest.mark.parametrize("lang, reads", [("zh_Hans", "撤销 · 礼品已取消"), ("zh_Hant", "撤銷 · 禮品已取消"),
                                         ("en", "Reversal · gift cancelled")])
def test_a_cancelled_gifts_points_line_reads_in_the_keepers_language(app, keeper, lang, reads):
    a_gift_given(app, keeper)
    with app.app_context():
        redemption_id = db.session.scalar(select(Redemption.id))
    assert post(keeper, f"/keeper/redemptions/{redemption_id}/cancel", {}, page="/keeper/gifts").status_code == 303
    # A line written before reasons were codes reads the same.
    with app.app_context():
        refund = db.session.scalar(select(PointsLine).where(PointsLine.kind == "reversal"))
        db.session.add(PointsLine(station_id=1, volunteer_id=1, amount=0, kind="reversal", reason="cancelled",
                                  at=refund.at))
        db.session.commit()
    keeper.set_cookie("kiosk_lang", lang)
    for path in ("/keeper/volunteers/1", "/keeper/points"):
        page = keeper.get(path).get_data(as_text=True)
        assert page.count(reads) == 2, path
        if lang != "en":
            assert "cancelled" not in page, path


def test_the_offered_checkbox_on_the_gifts_page_is_a_full_size_touch_target(app, keeper):
    """Each catalogue row's 可兑换 checkbox label was 93×33 px: it now takes the house's checkbox
    style, at least 48 px tall like every other control."""
    assert post(keeper, "/keeper/gifts", {"name": "毛巾", "points": "30", "stock": "2", "active": "y"},
                page="/keeper/gifts").status_code == 303
    page = keeper.get("/keeper/gifts").get_data(as_text=True)
    labels = re.findall(r'<label([^>]*)><input type="checkbox" name="active"', page)
    assert labels and all('class="checkbox"' in attrs for attrs in labels)
    css = (Path(app.root_path) / "static" / "css" / "kiosk.css").read_text()
    rule = re.search(r"^\.checkbox \{([^}]*)\}", css, re.M).group(1)
    assert int(re.search(r"min-height: (\d+)px", rule).group(1)) >= 44


def test_refused_points_for_a_lead_keep_the_number_typed_beside_it(app, keeper, clock):
    from tests.http.test_phone import code_at, link_badge
    from tests.http.test_suggestions import receipt, suggest

    phone = app.test_client()
    assert link_badge(phone, code_at(app, 1, clock.now()), token(app)).status_code == 303
    code, _svg = receipt(suggest(phone, path="/suggest/phone?station=demo"))
    page = f"/keeper/suggestions/{code}"
    for typed in ("abc", "999999"):
        r = post(keeper, f"{page}/reward", {"amount": typed}, page=page)
        text = r.get_data(as_text=True)
        assert r.status_code == 422
        assert re.search(r'<input id="lead-amount" name="amount"[^>]*value="%s"[^>]*aria-describedby="lead-amount-error"'
                         % typed, text)
        assert '<p class="field-error" id="lead-amount-error" role="alert">' in text
    with app.app_context():
        assert balance(1) == 0
