"""A database that is missing, cannot be reached, has no tables yet or may not be changed by the
kiosk's role: a command says so in one line (what is wrong, what to do) instead of a traceback."""

import re

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from kiosk import create_app
from kiosk.core.database import plain_database_problem
from kiosk.core.extensions import db
from tests.databases import database_url, on_postgres

UPGRADE = "run `.venv/bin/flask --app kiosk db upgrade` first"


def app_on(tmp_path, url):
    """The app on a database as an operator may have it: nothing made in it by the test."""
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "SQLALCHEMY_DATABASE_URI": url})


def said_in_one_line(out) -> str:
    assert out.exit_code == 1, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)  # no traceback
    lines = [line for line in out.output.splitlines() if not line.startswith("INFO  [alembic")]  # db upgrade's own
    assert len(lines) == 1 and lines[0].startswith("Error: "), out.output
    return lines[0]


@pytest.mark.parametrize("command", [["create-station", "nanyuan", "南苑暖心驿站"], ["seed-demo"],
                                     ["create-keeper", "district", "--admin"], ["close-forgotten"]])
def test_a_command_on_a_database_without_tables_says_to_run_db_upgrade(tmp_path, command):
    app = app_on(tmp_path, database_url(tmp_path, empty=True))
    said = said_in_one_line(app.test_cli_runner().invoke(args=command))
    assert re.search(r"has no table \w+ yet", said) and UPGRADE in said
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("command", [["db", "upgrade"], ["create-station", "nanyuan", "南苑暖心驿站"]])
def test_a_database_server_that_cannot_be_reached_is_named_without_its_password(tmp_path, command):
    app = app_on(tmp_path, "postgresql+psycopg://kiosk:secret-pw@127.0.0.1:1/kiosk")  # nothing listens on port 1
    said = said_in_one_line(app.test_cli_runner().invoke(args=command))
    assert "Cannot reach the database at 127.0.0.1:1/kiosk (connection failed:" in said
    assert "Connection refused" in said and "secret-pw" not in said


def test_a_sqlite_database_in_a_folder_that_is_not_there_is_named(tmp_path):
    app = app_on(tmp_path, f"sqlite:///{tmp_path / 'no-such-folder' / 'kiosk.sqlite'}")
    said = said_in_one_line(app.test_cli_runner().invoke(args=["db", "upgrade"]))
    assert f"Cannot open the database at {tmp_path / 'no-such-folder' / 'kiosk.sqlite'}" in said


def test_requests_keep_their_errors_for_the_log_and_the_error_page(tmp_path):
    """Only commands are told plainly: a request's error is the app's to handle (a 500 and its log)."""
    app = app_on(tmp_path, database_url(tmp_path, empty=True))
    with pytest.raises((OperationalError, ProgrammingError)):
        app.test_client().get("/")
    with app.app_context():
        db.engine.dispose()


def test_a_role_that_may_not_create_tables_is_told_to_own_the_database():
    import psycopg.errors

    url = make_url("postgresql+psycopg://kiosk:pw@db.example/kiosk")
    error = ProgrammingError("CREATE TABLE alembic_version (…)", {},
                             psycopg.errors.InsufficientPrivilege("permission denied for schema public"))
    said = plain_database_problem(error, url, connecting=False)
    assert said.startswith("The role kiosk may not do this in the database kiosk (permission denied for schema public)")
    assert "createdb -O kiosk kiosk" in said and "ALTER DATABASE kiosk OWNER TO kiosk" in said


def test_other_database_errors_keep_their_traceback():
    error = OperationalError("SELECT 1", {}, Exception("database is locked"))
    assert plain_database_problem(error, make_url("sqlite:////srv/kiosk.sqlite"), connecting=False) is None


@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL 15's own rule (make test-postgres runs it)")
def test_the_readme_s_district_set_up_on_postgresql_15(tmp_path):
    """README, "A district": a role that does not own the database may not create the tables in
    PostgreSQL 15 (a 120-line traceback before); once it owns it, `db upgrade` sets it up."""
    from tests.databases import POSTGRES, _admin_engine

    name = f"district_{tmp_path.name[-8:].lower().replace('-', '_')}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD 'pw'"))
        conn.execute(text(f"CREATE DATABASE {name}"))  # by the database server's admin, as `createdb kiosk`
    url = make_url(POSTGRES).set(username=name, password="pw", database=name).render_as_string(hide_password=False)
    app = app_on(tmp_path, url)
    try:
        said = said_in_one_line(app.test_cli_runner().invoke(args=["db", "upgrade"]))
        assert f"The role {name} may not do this in the database {name} (permission denied for schema public)" in said
        assert f"ALTER DATABASE {name} OWNER TO {name}" in said
        with admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {name} OWNER TO {name}"))
        out = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert out.exit_code == 0, out.output
        with app.app_context():
            assert db.session.execute(text("SELECT count(*) FROM station")).scalar() == 0
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"DROP ROLE IF EXISTS {name}"))
