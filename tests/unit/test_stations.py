"""A new station gets every feature's standard lists in one place (core/stations.py set_up_station),
whether a keeper creates it or the demo loads it; a feature added later joins by registering."""

from datetime import date

import pytest
from sqlalchemy import select

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import (add_station, on_new_station, parse_day, parse_local_datetime, parse_month,
                                 station_for_kiosk)
from kiosk.people.demo import load_demo_station
from kiosk.suggest.models import STANDARD_SUGGESTION_CATEGORIES, SuggestionCategory
from kiosk.swap.models import STANDARD_CATEGORIES, SwapCategory
from kiosk.walkins.models import STANDARD_SERVICES, WalkInService
from tests.conftest import in_english


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


def test_looking_the_station_up_leaves_the_sessions_own_changed_station_alone(app, station):
    """A worker keeps a copy of each station it reads; the lookup must neither take the session's
    own object away from it nor keep a change that was never committed."""
    with app.test_request_context("/"):
        mine = db.session.get(Station, station)
        mine.name = "还没保存的名字"
        app.extensions.pop("kiosk_stations", None)
        assert station_for_kiosk("demo") is mine and mine in db.session
        db.session.rollback()
    with app.test_request_context("/"):
        assert station_for_kiosk("demo").name != "还没保存的名字"
    assert set(app.extensions["kiosk_stations"]) == {"demo"}
    with app.test_request_context("/"):
        kept = station_for_kiosk("demo")  # the kept copy, handed out again
        assert kept in db.session
        kept.name = "新名字"  # saves like any object a query returned
        db.session.commit()
    assert "kiosk_stations" not in app.extensions  # and this worker reads the station afresh
    with app.app_context():
        assert db.session.get(Station, station).name == "新名字"


# --- Dates typed in forms --------------------------------------------------------------------


OUT_OF_RANGE = "Please enter a date between 2000-01-01 and 2100-12-31."
NO_SUCH_DAY = "This day does not exist. Please check the date."


# Probe: 2026-02-29 was told "please write it like 2026-11-22": written right, but no such day.
@pytest.mark.parametrize("typed, said", [
    *[(typed, OUT_OF_RANGE) for typed in ["1990-01-01", "1900-01-01", "0001-01-01", "1999-12-31", "2101-01-01",
                                          "9999-12-31"]],
    *[(typed, NO_SUCH_DAY) for typed in ["2026-02-29", "2026-02-30", "2026-04-31", "2026-01-32", "2026-01-00"]],
])
def test_a_date_written_right_that_cannot_be_taken_says_why(app, station, typed, said):
    with in_english(app):
        zone = db.session.get(Station, station)
        with pytest.raises(DomainError) as day:
            parse_day(typed, "start")
        with pytest.raises(DomainError) as moment:
            parse_local_datetime(zone, typed + "T09:00", "checked_in_at")
        with pytest.raises(DomainError) as spaced:
            parse_local_datetime(zone, typed + " 09:00", "at")
    for refused in (day, moment, spaced):
        assert str(refused.value.message) == said
    assert (day.value.field, moment.value.field) == ("start", "checked_in_at")


@pytest.mark.parametrize("typed", ["tomorrow", "2026-13-01", "26-10-01", "2026-00-10"])
def test_a_date_written_wrong_is_told_how_to_write_it(app, station, typed):
    with in_english(app):
        zone = db.session.get(Station, station)
        with pytest.raises(DomainError, match="such as 2026-11-22"):
            parse_day(typed)
        with pytest.raises(DomainError, match="such as 2026-11-22 09:00"):
            parse_local_datetime(zone, typed + "T09:00", "at")


def test_the_first_and_last_days_are_allowed(app, station):
    with in_english(app):
        zone = db.session.get(Station, station)
        assert parse_day("2000-01-01").year == 2000 and parse_day("2100-12-31").year == 2100
        assert parse_local_datetime(zone, "2100-12-31T09:00", "at").year == 2100


@pytest.mark.parametrize("typed, first", [("2026-10", date(2026, 10, 1)), (" 2000-01 ", date(2000, 1, 1)),
                                          ("２０２６-１０", date(2026, 10, 1)), ("2100-12", date(2100, 12, 1))])
def test_a_month_is_its_first_day(typed, first):
    assert parse_month(typed) == first


@pytest.mark.parametrize("typed, words", [
    ("", "such as 2026-11"), ("2026-13", "such as 2026-11"), ("2026-1", "such as 2026-11"), ("October", "such as 2026-11"),
    ("2026-10-01", "such as 2026-11"), ("٢٠٢٦-١٠", "such as 2026-11"), ("1999-12", "between 2000-01 and 2100-12"),
    ("9999-01", "between 2000-01 and 2100-12"),
])
def test_a_month_written_wrong_or_out_of_range_is_refused_with_its_field(app, typed, words):
    with in_english(app), pytest.raises(DomainError, match=words) as caught:
        parse_month(typed, "when")
    assert caught.value.field == "when"


def test_a_station_setting_that_names_no_station_is_said_with_the_stations_there_are(app):
    """A mistyped KIOSK_STATION served the first station without a word: every kiosk recorded at
    the wrong station."""
    from kiosk.core.stations import configured_station_problem

    with app.app_context():
        app.config["STATION"] = "nanyuan"
        assert configured_station_problem() == (
            "KIOSK_STATION is 'nanyuan', but the database has no such station (it has no station yet). Correct the "
            "name, or add the station first: .venv/bin/flask --app kiosk create-station nanyuan NAME")
        load_demo_station()
        add_station("beiyuan", "北苑暖心驿站")
        db.session.commit()
        assert "(its stations: demo, beiyuan)" in configured_station_problem("STATION in instance/config.py")
        for named in ("", "demo", "beiyuan"):
            app.config["STATION"] = named
            assert configured_station_problem() is None
