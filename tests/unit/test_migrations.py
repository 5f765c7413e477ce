"""`flask db upgrade` builds exactly the schema the models describe, from an empty file."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from kiosk import create_app
from kiosk.core.extensions import db
from tests.databases import database_url


def test_upgrade_from_empty_matches_the_models(tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
         "SQLALCHEMY_DATABASE_URI": database_url(tmp_path, "m", empty=True)}
    )
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
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
         "SQLALCHEMY_DATABASE_URI": database_url(tmp_path, "d", empty=True)}
    )
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
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
         "SQLALCHEMY_DATABASE_URI": database_url(tmp_path, "e", empty=True)}
    )
    with app.app_context():
        upgrade(revision="3c9d1e7a5b20")
        seeded = app.test_cli_runner().invoke(args=["seed-demo"])
        assert seeded.exit_code == 0, seeded.output
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
