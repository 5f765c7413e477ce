"""Limits hold under concurrency, on SQLite and on PostgreSQL: many requests at once for the last
few uses of an allowance, and exactly the allowance gets through."""

import threading
from datetime import timedelta

import pytest

from kiosk.core.extensions import db
from kiosk.core.limits import TooMany, check_and_count
from kiosk.core.models import RateEvent
from tests.conftest import START

LIMIT = 5


def use(app, outcomes, start):
    with app.test_request_context("/", method="POST"):
        start.wait()
        try:
            check_and_count("test", [("addr:10.0.0.1", LIMIT)], timedelta(minutes=10), START, "slow down")
            db.session.commit()
            outcomes.append("ok")
        except TooMany:
            db.session.rollback()
            outcomes.append("refused")
        finally:
            db.session.remove()


def test_twenty_at_once_for_five_places_let_exactly_five_through(app):
    outcomes, start = [], threading.Barrier(20)
    threads = [threading.Thread(target=use, args=(app, outcomes, start)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["ok"] * LIMIT + ["refused"] * (20 - LIMIT)
    with app.app_context():
        assert db.session.query(RateEvent).count() == LIMIT


def test_the_window_moves_on_and_old_uses_are_cleared(app):
    with app.test_request_context("/", method="POST"):
        for _ in range(LIMIT):
            check_and_count("test", [("k", LIMIT)], timedelta(minutes=10), START, "slow down")
        with pytest.raises(TooMany):
            check_and_count("test", [("k", LIMIT)], timedelta(minutes=10), START, "slow down")
        check_and_count("test", [("other key", LIMIT)], timedelta(minutes=10), START, "slow down")
        later = START + timedelta(minutes=11)
        check_and_count("test", [("k", LIMIT)], timedelta(minutes=10), later, "slow down")
        assert db.session.query(RateEvent).count() == 1  # the six old ones are gone, whatever their key
        db.session.rollback()
