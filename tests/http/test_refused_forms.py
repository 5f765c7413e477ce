"""A keeper's form the server refuses comes back as sent: every value typed, ticked or chosen (never
a password or a file), the message beside the field at fault, and nothing stored."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.gifts.models import Gift
from kiosk.people.models import Team
from kiosk.points.models import PointsLine
from tests.conftest import csrf_token
from tests.http.test_keeper import field_errors, state


class _Values(HTMLParser):
    """What each form control of a page shows, by its id: an input's value (a box: whether ticked),
    a select's chosen option."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, object] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("id"):
            kind = a.get("type", "text")
            self.values[a["id"]] = "checked" in a if kind in ("checkbox", "radio") else a.get("value", "")
        elif tag == "select":
            self._select = a.get("id")
            self.values[self._select] = None
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def shown(page: str) -> dict:
    parser = _Values()
    parser.feed(page)
    return parser.values


def post(client, path, data, page):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def points_lines(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PointsLine))


@pytest.mark.parametrize("sent, field, message", [
    ({"amount": "abc", "reason": "帮忙搬桌子"}, "amount", "Please enter a whole number."),
    ({"amount": "15", "reason": ""}, "reason", "Please fill this in."),
    ({"amount": "-500", "reason": "兑换更正"}, "amount", "Not enough points"),
], ids=["not a number", "no reason", "more than the balance"])
def test_refused_points_keep_what_was_typed_beside_the_field(app, keeper, sent, field, message):
    page = "/keeper/volunteers/1"
    r = post(keeper, f"{page}/points", sent, page=page)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert any(e.startswith(message) for e in field_errors(text, field))
    values = shown(text)
    assert values["amount"] == sent["amount"] and values["reason"] == sent["reason"]
    assert points_lines(app) == 0


@pytest.mark.parametrize("at, message", [
    ("2026-11-22T10:00", "The check-in time cannot be in the future."),
    ("next tuesday", "Please enter a date and time"),
])
def test_a_refused_check_in_by_hand_keeps_the_time_typed(app, keeper, at, message):
    page = "/keeper/volunteers/1"
    before = state(app)
    r = post(keeper, f"{page}/check-in", {"at": at}, page=page)
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and any(e.startswith(message) for e in field_errors(text, "at"))
    assert shown(text)["at"] == at
    assert state(app) == before


def test_a_refused_gift_at_the_desk_keeps_the_gift_chosen_beside_the_message(app, keeper):
    for name in ("毛巾", "雨伞"):
        assert post(keeper, "/keeper/gifts", {"name": name, "points": "30", "stock": "2", "active": "y"},
                    page="/keeper/gifts").status_code == 303
    page = "/keeper/volunteers/1"
    r = post(keeper, f"{page}/gift", {"gift_id": "2"}, page=page)  # no points yet
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and field_errors(text, "gift_id")
    assert shown(text)["gift_id"] == "2"
    assert points_lines(app) == 0


def test_a_refused_team_name_comes_back_as_typed(app, keeper):
    with app.app_context():
        first, second = db.session.scalars(select(Team).where(Team.station_id == 1).order_by(Team.id).limit(2))
        first_id, taken = first.id, second.name
    before = state(app)
    added = post(keeper, "/keeper/teams", {"name": taken}, page="/keeper/teams")
    text = added.get_data(as_text=True)
    assert added.status_code == 422 and field_errors(text, "name") and shown(text)["new-team"] == taken
    renamed = post(keeper, f"/keeper/teams/{first_id}", {"name": taken}, page="/keeper/teams")
    text = renamed.get_data(as_text=True)
    assert renamed.status_code == 422 and shown(text)[f"name-{first_id}"] == taken
    assert state(app) == before


@pytest.mark.parametrize("path", ["/keeper/swap-categories", "/keeper/services", "/keeper/suggestion-categories"])
def test_a_refused_name_in_a_stations_list_comes_back_as_typed(app, keeper, path):
    assert post(keeper, path, {"name": "旧书角"}, page=path).status_code == 303
    again = post(keeper, path, {"name": "旧书角"}, page=path)
    text = again.get_data(as_text=True)
    assert again.status_code == 422 and field_errors(text, "name") and shown(text)["new-name"] == "旧书角"
    first_id = int(re.search(r'id="name-(\d+)"', text).group(1))
    renamed = post(keeper, f"{path}/{first_id}", {"name": "旧书角"}, page=path)
    text = renamed.get_data(as_text=True)
    assert renamed.status_code == 422 and shown(text)[f"name-{first_id}"] == "旧书角"
    assert keeper.get(path).get_data(as_text=True).count('value="旧书角"') == 1  # only the one added


@pytest.mark.parametrize("sent, field", [
    ({"name": "大毛巾", "points": "lots", "stock": "4"}, "points"),
    ({"name": "大毛巾", "points": "40", "stock": "-1"}, "stock"),
    ({"name": "雨伞", "points": "40", "stock": "4"}, "name"),  # the other gift's name
], ids=["points not a number", "stock below zero", "name taken"])
def test_a_refused_gift_change_keeps_that_rows_values_beside_the_message(app, keeper, sent, field):
    for name in ("毛巾", "雨伞"):
        assert post(keeper, "/keeper/gifts", {"name": name, "points": "30", "stock": "2", "active": "y"},
                    page="/keeper/gifts").status_code == 303
    with app.app_context():
        gift_id = db.session.scalar(select(Gift.id).where(Gift.name == "毛巾"))
    r = post(keeper, f"/keeper/gifts/{gift_id}", sent, page="/keeper/gifts")  # "Offered" unticked
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    values = shown(text)
    assert {k: values[f"{k}-{gift_id}"] for k in sent} == sent
    assert re.search(rf'aria-describedby="{field}-{gift_id}-error"', text)
    assert re.search(rf'<p class="field-error" id="{field}-{gift_id}-error" role="alert">', text)
    assert 'name="active" value="y" >' in text  # unticked, as sent
    with app.app_context():
        gift = db.session.get(Gift, gift_id)
        assert (gift.name, gift.points, gift.stock, gift.active) == ("毛巾", 30, 2, True)


@pytest.mark.parametrize("typed, message", [("abc", "Please enter a whole number."), ("5000", "Please enter a whole number from 0")])
def test_a_refused_points_rate_keeps_what_was_typed_beside_it(app, keeper, typed, message):
    with app.app_context():
        rate = db.session.get(Station, 1).points_per_hour
    r = post(keeper, "/keeper/points", {"points_per_hour": typed}, page="/keeper/points")
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and shown(text)["points_per_hour"] == typed
    assert [e for e in field_errors(text, "points_per_hour") if e.startswith(message)] and text.count(message) == 1
    with app.app_context():
        assert db.session.get(Station, 1).points_per_hour == rate


@pytest.mark.parametrize("sent, field", [
    ({"star_hours": "100, 50, 600, 1000, 1500", "min_rating": "4"}, "star_hours"),
    ({"star_hours": "100, 300, 600, 1000, 1500", "min_rating": "9"}, "min_rating"),
])
def test_a_refused_star_ladder_keeps_both_values_and_says_beside_which(app, keeper, sent, field):
    with app.app_context():
        ladder = (db.session.get(Station, 1).star_hours, db.session.get(Station, 1).star_min_rating)
    r = post(keeper, "/keeper/stars/ladder", sent, page="/keeper/stars")
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    other = "min_rating" if field == "star_hours" else "star_hours"
    assert field_errors(text, field) and not field_errors(text, other)
    values = shown(text)
    assert values["star_hours"] == sent["star_hours"] and values["min_rating"] == sent["min_rating"]
    with app.app_context():
        assert (db.session.get(Station, 1).star_hours, db.session.get(Station, 1).star_min_rating) == ladder
