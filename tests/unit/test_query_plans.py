"""The queries that run on every keeper poll and check-in read the small partial indexes, not the
station's whole history: after years of sessions they must cost what they cost on day one.
Checked on the plan each database makes, SQLite (which keeps no statistics) and PostgreSQL."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, text

from kiosk.checkin.attendance import forgotten_sessions
from kiosk.checkin.hours import days_to_confirm
from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from tests.conftest import START


def years_of_history(station_id: int, count: int = 3000) -> None:
    """Closed, confirmed sessions going back years, and one open and one unconfirmed today."""
    rows = [{"station_id": station_id, "volunteer_id": 1 + i % 20, "checked_in_at": START - timedelta(hours=8 * (i + 2)),
             "checked_out_at": START - timedelta(hours=8 * (i + 2) - 2), "check_in_method": "scanner",
             "auto_closed": False, "needs_review": False, "edited": False, "confirmed_at": START,
             "updated_at": START} for i in range(count)]
    db.session.execute(insert(ServiceSession), rows)
    db.session.add(ServiceSession(station_id=station_id, volunteer_id=1, checked_in_at=START - timedelta(hours=1),
                                  check_in_method="scanner", updated_at=START))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE service_session"))
        db.session.commit()


def statements_sent(run, wanted) -> list[tuple[str, object]]:
    """The statements (with their parameters) that `run` sends and `wanted` picks."""
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if wanted(statement) and not statement.startswith("EXPLAIN"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def plan_of(run) -> str:
    """The plan the database makes for the (last) service_session query that `run` sends."""
    return explain(*statements_sent(run, lambda statement: "FROM service_session" in statement)[-1])


def explain(statement: str, parameters) -> str:
    """The plan the database makes for one statement, its steps joined by " | "."""
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return " | ".join(row[-1] for row in rows)
    # PostgreSQL would scan a table this small whatever the indexes: ask which index it would use.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return " | ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters).all())


# Partial indexes that hold only open (or unconfirmed) sessions. PostgreSQL, which has statistics,
# may take either open-session index: both are as small; what matters is that neither query walks
# the station's whole history (ix_service_session_station_in) or the table.
OPEN = ("ix_service_session_station_open", "uq_service_session_one_open")
UNCONFIRMED = ("ix_service_session_station_unconfirmed",)


@pytest.mark.parametrize("query, indexes", [
    (lambda station, now: forgotten_sessions(station, now), OPEN),
    (lambda station, now: days_to_confirm(station), UNCONFIRMED),
], ids=["open sessions (every keeper poll)", "days to confirm"])
def test_the_query_reads_the_small_partial_index(app, station, query, indexes):
    with app.app_context():
        years_of_history(station)
        st = db.session.get(Station, station)
        plan = plan_of(lambda: query(st, START))
        assert any(index in plan for index in indexes), plan
        assert "ix_service_session_station_in" not in plan, plan


# The tables that grow with every day of history: a report must reach their rows for its period
# by an index, never by reading the table through.
GROWING = ("service_session", "points_line", "suggestion", "swap_item", "walk_in_visit", "redemption")


def plans_of_every_query(run) -> list[tuple[str, str]]:
    def growing(statement):
        return statement.lstrip().upper().startswith("SELECT") and any(f"FROM {t}" in statement for t in GROWING)

    return [(statement, explain(statement, parameters)) for statement, parameters in statements_sent(run, growing)]


def full_scans(plan: str) -> list[str]:
    if db.engine.dialect.name == "sqlite":  # "SCAN service_session" without "USING … INDEX"
        return [t for t in GROWING for step in plan.split(" | ")
                if step.startswith(f"SCAN {t}") and "INDEX" not in step]
    return [t for t in GROWING if f"Seq Scan on {t}" in plan]


def test_reports_read_their_period_by_index(app, station):
    from kiosk.reports.figures import district_figures, station_figures
    from kiosk.reports.periods import month, year

    with app.app_context(), app.test_request_context():
        years_of_history(station)
        st = db.session.get(Station, station)
        for period in (month(2026, 10), year(2025)):
            plans = plans_of_every_query(lambda: (station_figures(st, period, START), district_figures([st], period, START)))
            assert len(plans) >= 10
            for statement, plan in plans:
                assert not full_scans(plan), (statement, plan)


def years_of_activities(station_id: int, count: int = 1500) -> None:
    """An activity every day going back years, each with a sign-up, and a few cancelled."""
    from kiosk.activities.models import Activity, Signup

    rows = [{"station_id": station_id, "name": f"活动{i}", "place": "", "content": "", "recurring": False,
             "starts_at": START - timedelta(days=i), "ends_at": START - timedelta(days=i) + timedelta(hours=2),
             "person_in_charge": "", "organiser": "", "cancelled": i % 50 == 0, "created_at": START}
            for i in range(count)]
    db.session.execute(insert(Activity), rows)
    db.session.flush()
    db.session.execute(insert(Signup), [{"activity_id": i + 1, "volunteer_id": 1 + i % 20, "at": START}
                                        for i in range(count)])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE activity"))
        db.session.execute(text("ANALYZE signup"))
        db.session.commit()


def test_activity_lists_read_a_bounded_stretch_of_the_index(app, station):
    """A month of the keeper's list, what is coming up and what a volunteer should know was
    cancelled: each reads the station's start index between two times, never its whole history."""
    from kiosk.activities.schedule import cancelled_sign_ups, held_in_month, recent, upcoming
    from kiosk.people.models import Volunteer

    with app.app_context():
        years_of_activities(station)
        st = db.session.get(Station, station)
        volunteer = db.session.get(Volunteer, 1)
        assert len(held_in_month(st, START.date().replace(year=2024, day=1))) == 30
        for run in (lambda: held_in_month(st, START.date().replace(year=2024, day=1)), lambda: upcoming(st, START),
                    lambda: recent(st, START, with_cancelled=True), lambda: cancelled_sign_ups(st, volunteer, START)):
            plan = explain(*statements_sent(run, lambda statement: "FROM activity" in statement)[-1])
            assert "ix_activity_station_starts" in plan, plan
            if db.engine.dialect.name == "sqlite":
                assert "starts_at>?" in plan, plan  # from a bounded time back, not from the first day
                assert not re.search(r"SCAN (activity|signup)(?! USING)", plan), plan
            else:
                assert "Seq Scan" not in plan, plan
