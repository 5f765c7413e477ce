"""`flask db upgrade` builds exactly the schema the models describe, from an empty file."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from kiosk import create_app
from kiosk.core.extensions import db
from tests.databases import database_url


def app_on_an_empty_database(tmp_path, name: str):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                       "SQLALCHEMY_DATABASE_URI": database_url(tmp_path, name, empty=True)})


def demo_station_at(app, revision: str) -> None:
    """The schema as it was at `revision`, with the demo station in it (inside an app context).
    The demo is seeded by today's models, which describe the newest schema, so it goes in there
    and the database then steps back (each step back keeps the data: tested below)."""
    upgrade()
    seeded = app.test_cli_runner().invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    downgrade(revision=revision)


def test_upgrade_from_empty_matches_the_models(tmp_path):
    app = app_on_an_empty_database(tmp_path, "m")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert {"station", "keeper", "team", "volunteer", "alembic_version"} <= tables


def test_a_station_with_its_data_steps_back_a_version_and_up_again(tmp_path):
    """A maintainer who upgraded and must go back (`flask db downgrade`) keeps the station's data:
    a step that rebuilds a table others point at must not trip over their foreign keys."""
    app = app_on_an_empty_database(tmp_path, "d")
    with app.app_context():
        upgrade()
        seeded = app.test_cli_runner().invoke(args=["seed-demo"])
        assert seeded.exit_code == 0, seeded.output
        before = _rows(("station", "volunteer", "keeper", "team"))
        assert before["volunteer"] > 0
        head = _version()
        downgrade(revision="-1")
        assert _version() != head
        upgrade()
        assert _version() == head
        after = _rows(before)
        db.engine.dispose()
    assert after == before


def _rows(tables) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() for table in tables}


def _version() -> str:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def test_sessions_entered_by_hand_are_no_longer_marked_edited_after_the_upgrade(tmp_path):
    """Before, every entry by hand was stored as edited; only a session the audit trail shows as
    corrected stays so."""
    app = app_on_an_empty_database(tmp_path, "e")
    with app.app_context():
        demo_station_at(app, "3c9d1e7a5b20")
        with db.engine.begin() as conn:
            for day in (1, 2):  # entered by hand and then one of them corrected: both were stored as edited
                conn.exec_driver_sql(
                    "INSERT INTO service_session (station_id, volunteer_id, checked_in_at, checked_out_at,"
                    " check_in_method, check_out_method, auto_closed, needs_review, edited) SELECT station_id, id,"
                    f" '2026-11-0{day} 01:00:00.000000', '2026-11-0{day} 03:00:00.000000', 'keeper', 'keeper',"
                    " false, false, true FROM volunteer ORDER BY id LIMIT 1")
            entered, corrected = conn.exec_driver_sql("SELECT id FROM service_session ORDER BY id").scalars()
            conn.exec_driver_sql("INSERT INTO audit_event (station_id, session_id, action, at) SELECT station_id, id,"
                                 " 'session.corrected', checked_in_at FROM service_session WHERE id = %d" % corrected)
        upgrade()
        with db.engine.connect() as conn:
            edited = set(conn.exec_driver_sql("SELECT id FROM service_session WHERE edited = true").scalars())
        db.engine.dispose()
    assert edited == {corrected} and entered not in edited


def test_hours_lines_from_before_the_rate_was_stored_keep_the_rate_they_were_priced_at(tmp_path):
    """The upgrade that stores an hours line's points per hour fills it in for older lines: the one
    rate that explains each volunteer's points (10 for one whose hours have not changed since the
    rate became 20), else the station's. Settling again then adds nothing, and a correction is
    priced at that rate."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from kiosk.checkin.models import ServiceSession
    from kiosk.core.models import Station
    from kiosk.points.ledger import settle_hours
    from kiosk.points.models import PointsLine

    app = app_on_an_empty_database(tmp_path, "p")
    # volunteer: [(minutes served, points its hours lines hold)]
    served = {1: [(180, 30), (90, 15)],     # priced at 10, before the rate became 20
              2: [(120, 40)],               # at the station's 20
              3: [(60, 7), (60, 9)],        # no one rate explains them: the station's
              4: [(30, 5)]}                 # 10 or 11 would do: the smaller
    with app.app_context():
        demo_station_at(app, "7e51621c4205")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE station SET points_per_hour = 20")
            station_id, *volunteers = [conn.exec_driver_sql("SELECT id FROM station").scalar(),
                                       *conn.exec_driver_sql("SELECT id FROM volunteer ORDER BY id LIMIT 4").scalars()]
            day = 1
            for who, sessions in zip(volunteers, served.values()):
                for minutes, points in sessions:
                    conn.exec_driver_sql(
                        "INSERT INTO service_session (station_id, volunteer_id, checked_in_at, checked_out_at,"
                        " check_in_method, check_out_method, auto_closed, needs_review, edited, confirmed_at)"
                        f" VALUES ({station_id}, {who}, '2026-11-{day:02d} 01:00:00.000000',"
                        f" '2026-11-{day:02d} {1 + minutes // 60:02d}:{minutes % 60:02d}:00.000000', 'scanner', 'scanner',"
                        f" false, false, false, '2026-11-{day:02d} 12:00:00.000000')")
                    session_id = conn.exec_driver_sql("SELECT max(id) FROM service_session").scalar()
                    conn.exec_driver_sql(
                        "INSERT INTO points_line (station_id, volunteer_id, amount, kind, session_id, at) VALUES"
                        f" ({station_id}, {who}, {points}, 'hours', {session_id}, '2026-11-{day:02d} 12:00:00.000000')")
                    day += 1
            # A deleted session's lines (given, then taken back) and a bonus.
            for amount in (10, -10):
                conn.exec_driver_sql("INSERT INTO points_line (station_id, volunteer_id, amount, kind, session_id, at)"
                                     f" VALUES ({station_id}, {volunteers[0]}, {amount}, 'hours', 9999,"
                                     " '2026-11-20 12:00:00.000000')")
            conn.exec_driver_sql("INSERT INTO points_line (station_id, volunteer_id, amount, kind, reason, at)"
                                 f" VALUES ({station_id}, {volunteers[0]}, 50, 'bonus', '奖励', '2026-11-20 12:00:00.000000')")
        upgrade()
        rates = {(line.volunteer_id, line.kind, line.amount): line.per_hour for line in db.session.scalars(select(PointsLine))}
        assert rates == {(volunteers[0], "hours", 30): 10, (volunteers[0], "hours", 15): 10,
                         (volunteers[0], "hours", 10): 10, (volunteers[0], "hours", -10): 10,
                         (volunteers[0], "bonus", 50): None,
                         (volunteers[1], "hours", 40): 20,
                         (volunteers[2], "hours", 7): 20, (volunteers[2], "hours", 9): 20,
                         (volunteers[3], "hours", 5): 10}
        station = db.session.get(Station, station_id)
        now = datetime(2026, 12, 8, 4, tzinfo=UTC)
        lines = db.session.scalar(select(func.count()).select_from(PointsLine))
        for who in (volunteers[0], volunteers[1], volunteers[3]):
            settle_hours(station, who, now)
        assert db.session.scalar(select(func.count()).select_from(PointsLine)) == lines
        # The 3-hour session was 2 hours: 10 back, at its own 10 an hour, not 40 at today's 20.
        first = db.session.get(ServiceSession, db.session.scalar(select(PointsLine.session_id).where(PointsLine.amount == 30)))
        first.checked_out_at = first.checked_in_at + timedelta(hours=2)
        db.session.flush()
        settle_hours(station, volunteers[0], now)
        added = db.session.scalars(select(PointsLine).where(PointsLine.at == now)).all()
        assert [(line.session_id, line.amount, line.per_hour, line.reason) for line in added] == [(first.id, -10, 10, "changed")]
        db.session.rollback()
        db.engine.dispose()


def test_names_stored_with_spaces_between_chinese_characters_lose_them(tmp_path):
    """张 伟 stored before names were cleaned at registration (shown as 张*伟 on public screens) is 张伟
    after the upgrade; a name in Latin letters keeps its spaces."""
    app = app_on_an_empty_database(tmp_path, "n")
    with app.app_context():
        demo_station_at(app, "5c3a9e1f7b20")
        with db.engine.begin() as conn:
            first, second, third = conn.exec_driver_sql("SELECT id FROM volunteer ORDER BY id LIMIT 3").scalars()
            for row_id, name in ((first, "张 伟"), (second, "阿卜杜 · 买买提"), (third, "Mary O'Brien")):
                conn.exec_driver_sql(f"UPDATE volunteer SET name = '{name.replace(chr(39), chr(39) * 2)}' WHERE id = {row_id}")
            conn.exec_driver_sql("UPDATE keeper SET display_name = '李 娜'")
        upgrade()
        with db.engine.connect() as conn:
            names = dict(conn.exec_driver_sql(f"SELECT id, name FROM volunteer WHERE id IN ({first}, {second}, {third})").all())
            keepers = set(conn.exec_driver_sql("SELECT display_name FROM keeper").scalars())
        db.engine.dispose()
    assert names == {first: "张伟", second: "阿卜杜·买买提", third: "Mary O'Brien"}
    assert keepers == {"李娜"}
