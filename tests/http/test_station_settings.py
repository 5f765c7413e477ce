"""The station's settings through the keeper's pages, and what a keeper sees after saving one.

A station box runs two gunicorn workers, each keeping the stations it read for a moment
(core/stations.py): here two apps on one database stand for them."""

import re

import pytest

from kiosk.core.extensions import db
from kiosk.core.models import Station
from tests.conftest import csrf_token, make_app


def post(client, path, data, page):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


@pytest.fixture
def other_worker(app, tmp_path, keeper):
    """The station box's second worker: the same database and secret key, and the keeper's browser
    (its cookies) sending some of its requests there."""
    other = make_app(tmp_path / "other", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    browser = other.test_client()
    for name in ("session", "kiosk_lang"):
        browser.set_cookie(name, keeper.get_cookie(name).value)
    return browser


def points_rate_shown(page: str) -> str:
    return re.search(r'id="points_per_hour" [^>]*value="([^"]*)"', page).group(1)


def test_a_setting_saved_on_one_worker_shows_saved_on_the_other(app, keeper, other_worker):
    """The answer to a saved form is a redirect, and the browser's next request may go to the other
    worker, whose kept copy of the station is from a moment before the change."""
    assert points_rate_shown(other_worker.get("/keeper/points").get_data(as_text=True)) == "10"  # it keeps the station
    assert post(keeper, "/keeper/points", {"points_per_hour": "15"}, page="/keeper/points").status_code == 303
    page = other_worker.get("/keeper/points?saved=1").get_data(as_text=True)
    assert "Saved." in page and points_rate_shown(page) == "15"
    ladder = post(keeper, "/keeper/stars/ladder", {"star_hours": "100, 200, 500, 800, 1000", "min_rating": "0"},
                  page="/keeper/stars")
    assert ladder.status_code == 303
    assert 'value="100, 200, 500, 800, 1000"' in other_worker.get("/keeper/stars?saved=1").get_data(as_text=True)


def test_a_keepers_change_starts_from_the_station_as_it_is_not_as_a_worker_kept_it(app, keeper, other_worker):
    """Saving the value the other worker's old copy holds must still be saved (a change made on the
    old copy would look like no change at all) and audited from what it really was."""
    other_worker.get("/keeper/points")  # kept there: 10 points an hour
    assert post(keeper, "/keeper/points", {"points_per_hour": "15"}, page="/keeper/points").status_code == 303
    # Back to 10, sent to the second worker, whose copy says 10 still.
    assert post(other_worker, "/keeper/points", {"points_per_hour": "10"}, page="/keeper/points").status_code == 303
    with app.app_context():
        from sqlalchemy import select

        from kiosk.people.models import AuditEvent

        assert db.session.get(Station, 1).points_per_hour == 10
        last = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "points.setting")
                                  .order_by(AuditEvent.id.desc())).first()
        assert (last.before, last.after) == ({"points_per_hour": 15}, {"points_per_hour": 10})
