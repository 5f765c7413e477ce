"""Two sweeps over the whole app, found from its URL map and links rather than a hand-kept list:
no public page of a seeded station shows a volunteer's mobile or full name, and a keeper of one
station reaches none of another station's records through any keeper route."""

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from kiosk.checkin.attendance import scan_badge
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station
from kiosk.people.badges import badge_token
from kiosk.people.demo import VOLUNTEERS, load_demo_station
from kiosk.gifts.models import Gift, Redemption
from kiosk.gifts.redemptions import add_gift, ask_for_gift
from kiosk.honor.roll import pick
from kiosk.people.models import Keeper, Volunteer
from kiosk.points.ledger import award
from kiosk.points.models import PointsLine
from kiosk.suggest.box import categories as suggestion_categories
from kiosk.suggest.box import change, submit
from kiosk.suggest.models import SuggestionCategory
from kiosk.swap.models import SwapCategory
from kiosk.swap.shelf import bring_item, categories
from kiosk.walkins.models import WalkInService
from tests.conftest import START
from tests.http.conftest import add_keeper, PASSWORD
from tests.http.test_hostile_input import snapshot

HREF = re.compile(r'(?:href|src|hx-get|data-[a-z-]*url)="([^"#]+)"')


@pytest.fixture
def busy_station(app):
    """The demo station on a working day: check-ins, an item with its giver's mobile, a resolved
    suggestion that left a contact."""
    with app.test_request_context("/", method="POST"):
        station, keeper, _password = load_demo_station()
        keeper.set_password(PASSWORD)
        volunteers = db.session.scalars(select(Volunteer).order_by(Volunteer.id)).all()
        for v in volunteers[:5]:
            scan_badge(station, badge_token(v), "scanner", START)
        bring_item(station, title="儿童绘本", category_id=categories(station)[0].id, condition="good", photo=None,
                   contact=VOLUNTEERS[6][1], now=START)
        suggestion = submit(station, category_id=suggestion_categories(station)[0].id, text="楼道灯坏了",
                            photo=None, contact=VOLUNTEERS[7][1], anonymous=False, source="kiosk", device_id="t",
                            now=START)
        change(keeper, suggestion, status="resolved", public_reply="已经修好了", now=START)
        award(keeper, station, volunteers[0], 100, "最美志愿者", START)
        towel = add_gift(keeper, station, "毛巾", 30, 5, START)
        ask_for_gift(station, volunteers[0], towel.id, START)
        # A keeper's words on the honor roll, naming volunteers (one in 繁體) and giving a mobile.
        pick(keeper, station, volunteers[3].number, f"刘淑芬阿姨热心肠，电话{VOLUNTEERS[3][1]}，楊秀蘭也常来", START)
        db.session.commit()
        return station.id


def public_paths(app) -> set[str]:
    """Every GET page without a path argument that is not a keeper's."""
    return {rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
            and not rule.rule.startswith("/keeper")}


def test_no_public_page_shows_a_mobile_or_a_full_name(app, client, busy_station):
    full_names = [name for name, _mobile, _born in VOLUNTEERS if len(name) >= 2] + ["楊秀蘭"]
    mobiles = [mobile for _name, mobile, _born in VOLUNTEERS]
    with app.app_context():
        from kiosk.suggest.models import Suggestion

        code = db.session.scalar(select(Suggestion.tracking_code))
    # Pages reached from a printed receipt or by a district system rather than a link.
    start = sorted(public_paths(app)) + [f"/s/{code}", f"/api/v1/open311/requests/{code}.json", "/swap/items/J-0001"]
    seen, queue, checked = set(), deque(start), 0
    while queue and len(seen) < 300:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype.startswith(("text/", "application/json")):
            continue
        body = response.get_data(as_text=True)
        checked += 1
        for secret in full_names + mobiles:
            assert secret not in body, f"{path} shows {secret}"
        for link in HREF.findall(body):
            target = urlsplit(urljoin(path, link.replace("&amp;", "&")))
            if not target.netloc and not target.path.startswith(("/keeper", "/static")):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert checked >= 10  # the home screen, check-in, shelf, suggestion box, tracking page, Open311 …


@pytest.fixture
def other_keeper(app, busy_station):
    """Station B, with a keeper of its own."""
    with app.app_context():
        other = add_station("nanyuan", "南苑暖心驿站")
        add_keeper("nanyuan", "南苑站长", other)
        db.session.commit()
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/keeper/login").get_data(as_text=True))
    assert client.post("/keeper/login", data={"username": "nanyuan", "password": PASSWORD,
                                              "csrf_token": token.group(1)}).status_code == 303
    return client


def station_a_values(app, busy_station) -> dict[str, dict]:
    """For each keeper blueprint, path values that name one of station A's records."""
    with app.app_context():
        def first(model):
            return db.session.scalar(select(model.id).where(model.station_id == busy_station).order_by(model.id))
        from kiosk.checkin.models import ServiceSession
        from kiosk.suggest.models import Suggestion
        from kiosk.swap.models import SwapItem

        suggestion = db.session.scalar(select(Suggestion).where(Suggestion.station_id == busy_station))
        return {
            "volunteer_id": first(Volunteer), "session_id": first(ServiceSession),
            "choice_id": {"walkins_keeper": first(WalkInService), "swap_keeper": first(SwapCategory),
                          "suggest_keeper": first(SuggestionCategory)},
            "code": {"suggest_keeper": suggestion.tracking_code, "swap_keeper": None},
            "name": "0" * 32 + ".jpg",
            "item": db.session.scalar(select(SwapItem.id)),
            "line_id": first(PointsLine), "gift_id": first(Gift), "redemption_id": first(Redemption),
            "keeper_id": first(Keeper),
        }


def test_a_keeper_of_another_station_reaches_none_of_its_records(app, other_keeper, busy_station):
    values = station_a_values(app, busy_station)
    walked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/keeper") or not rule.arguments:
            continue
        blueprint = rule.endpoint.split(".")[0]
        args = {}
        for arg in rule.arguments:
            value = values.get(arg)
            args[arg] = value.get(blueprint) if isinstance(value, dict) else value
        if any(v is None for v in args.values()):
            continue  # swap labels are numbered per station: B's J-0001 is B's own
        path = rule.rule
        for arg, value in args.items():
            path = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(value), path)
        if "GET" in rule.methods:
            assert other_keeper.get(path).status_code == 404, path
        if "POST" in rule.methods:
            before = snapshot(app)
            token = re.search(r'name="csrf_token" value="([^"]+)"',
                              other_keeper.get("/keeper/volunteers/new").get_data(as_text=True)).group(1)
            response = other_keeper.post(path, data={"csrf_token": token, "active": "0", "name": "改名",
                                                     "status": "resolved", "public_reply": "x"})
            assert response.status_code == 404, path
            assert snapshot(app) == before, path
        walked += 1
    assert walked >= 20
    with app.app_context():
        assert db.session.get(Station, busy_station).name  # station A untouched, still there
