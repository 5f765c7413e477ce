"""A new station gets every feature's standard lists in one place (core/stations.py set_up_station),
whether a keeper creates it or the demo loads it; a feature added later joins by registering."""

from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station, on_new_station
from kiosk.people.demo import load_demo_station
from kiosk.suggest.models import STANDARD_SUGGESTION_CATEGORIES, SuggestionCategory
from kiosk.swap.models import STANDARD_CATEGORIES, SwapCategory
from kiosk.walkins.models import STANDARD_SERVICES, WalkInService


def standard_lists(station: Station) -> dict[str, list[str]]:
    def codes(model):
        return list(db.session.scalars(select(model.code).where(model.station_id == station.id)
                                       .order_by(model.position)))
    return {"services": codes(WalkInService), "swap": codes(SwapCategory), "suggest": codes(SuggestionCategory)}


EXPECTED = {"services": list(STANDARD_SERVICES), "swap": list(STANDARD_CATEGORIES),
            "suggest": list(STANDARD_SUGGESTION_CATEGORIES)}


def test_a_new_station_and_the_demo_station_start_with_every_feature_s_lists(app):
    with app.app_context():
        demo, _keeper, _password = load_demo_station()
        other = add_station("nanyuan", "南苑暖心驿站")
        assert standard_lists(demo) == EXPECTED
        assert standard_lists(other) == EXPECTED


def test_a_feature_registers_what_a_new_station_needs(app):
    seen = []
    on_new_station(app, lambda station: seen.append(station.slug))
    with app.app_context():
        add_station("beiyuan", "北苑暖心驿站")
        load_demo_station()
    assert seen == ["beiyuan", "demo"]
