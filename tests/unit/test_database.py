"""SQLite opened for a kiosk: WAL (checked), foreign keys, busy timeout, BEGIN IMMEDIATE for writes."""

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from kiosk.core.extensions import db
from kiosk.people.models import Team
from tests.databases import on_postgres

# SQLite's own set-up; PostgreSQL needs none of it (tests/unit/test_limits.py covers both).
pytestmark = pytest.mark.skipif(on_postgres(), reason="checks the SQLite engine set-up")


def test_pragmas_are_set_on_every_connection(app):
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]


def _begins(app, work):
    """The BEGIN statements SQLite itself received (the engine sends them straight to the driver)."""
    seen = []
    with app.app_context():
        traced = []

        def on_checkout(dbapi_conn, _record, _proxy):
            dbapi_conn.set_trace_callback(seen.append)
            traced.append(dbapi_conn)
        event.listen(db.engine, "checkout", on_checkout)
        try:
            work()
        finally:
            event.remove(db.engine, "checkout", on_checkout)
            db.session.rollback()
            for dbapi_conn in traced:
                dbapi_conn.set_trace_callback(None)
    return [s for s in seen if s.startswith("BEGIN")]


def test_writes_begin_immediate_and_get_requests_stay_deferred(app):
    run = lambda: db.session.execute(text("SELECT 1"))  # noqa: E731
    assert _begins(app, run) == ["BEGIN IMMEDIATE"]
    with app.test_request_context("/", method="POST"):
        assert _begins(app, run) == ["BEGIN IMMEDIATE"]
    with app.test_request_context("/", method="GET"):
        assert _begins(app, run) == ["BEGIN"]


def test_foreign_keys_are_enforced(app):
    with app.app_context():
        db.session.add(Team(station_id=999, name="无主队"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_the_station_s_folder_and_database_are_for_the_server_s_user_only(tmp_path):
    """Volunteers' names, mobiles and ID numbers: like the secret key and every backup, not for
    the machine's other users. A folder made readable earlier is closed."""
    import stat

    from tests.conftest import make_app

    (tmp_path / "instance").mkdir(mode=0o755)
    (tmp_path / "instance").chmod(0o755)
    app = make_app(tmp_path)
    assert stat.S_IMODE((tmp_path / "instance").stat().st_mode) == 0o700
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        db.session.commit()
    for name in ("kiosk.sqlite", "kiosk.sqlite-wal"):  # outside instance/ here, as KIOSK_DATABASE_URL may put it
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
