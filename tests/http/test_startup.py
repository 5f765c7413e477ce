"""A server set up wrongly says so in one line and stops, rather than serving errors (or the wrong
thing) with a traceback in its log: gunicorn as the README starts it, in a process of its own."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.databases import database_url, on_postgres
from tests.http.test_concurrency import free_port

REPO = Path(__file__).resolve().parents[2]  # gunicorn imports the kiosk from its working directory


def serve(env: dict, seconds: float = 60) -> tuple[int | None, str]:
    """gunicorn with `env` added, as in production; (its exit status, its log). None when it was
    still serving after `seconds` (then it is stopped here)."""
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    server = subprocess.Popen([gunicorn, "--no-control-socket", "--workers", "2", "--bind",
                               f"127.0.0.1:{free_port()}", "kiosk:create_app()"],
                              env={**os.environ, **env}, cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + seconds
    while server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if server.poll() is None:
        server.terminate()
        return None, server.communicate(timeout=30)[0]
    return server.returncode, server.communicate(timeout=30)[0]


def our_lines(log: str) -> list[str]:
    """What the app itself said, gunicorn's own timestamped lines aside, and the traceback gunicorn's
    master may print of its own HaltServer when a second worker fails while it is already stopping
    (a race in gunicorn, benoitc/gunicorn#2186: it names no line of ours)."""
    lines = log.splitlines()
    while "Traceback (most recent call last):" in lines:  # one, or two chained ("During handling of …")
        start = lines.index("Traceback (most recent call last):")
        end = next(i for i in range(start, len(lines)) if lines[i].startswith("gunicorn.errors.HaltServer"))
        assert not any("kiosk" in line for line in lines[start:end]), "\n".join(lines[start:end + 1])
        lines = lines[:start] + lines[end + 1:]
    chained = "During handling of the above exception, another exception occurred:"
    return [line for line in lines if line and not line.startswith("[") and line != chained]


def test_a_setting_it_cannot_use_stops_the_server_with_one_line(tmp_path):
    app = make_app(tmp_path)
    status, log = serve({"KIOSK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                                   "KIOSK_SECRET_KEY": "test-secret", "KIOSK_MAX_CONTENT_LENGTH": "32MB"})
    assert status is not None, "it served, and every upload would have failed"
    assert set(our_lines(log)) == {"Error: KIOSK_MAX_CONTENT_LENGTH is '32MB': write a whole number, such as 33554432."}
    assert "App failed to load" in log


def test_a_database_without_tables_stops_the_server_with_one_line(tmp_path):
    """`db upgrade` forgotten (a district, or create-station run before the first `make run`): every
    page was a 500 with "no such table: station" in the log."""
    url = database_url(tmp_path, empty=True)
    if not on_postgres():
        (tmp_path / "kiosk.sqlite").touch()  # as an earlier start, or a command, left it
    status, log = serve({"KIOSK_DATABASE_URL": url, "KIOSK_SECRET_KEY": "test-secret"})
    assert status is not None, "it served a 500 on every page"
    assert len(set(our_lines(log))) == 1 and "has no tables yet: run `.venv/bin/flask --app kiosk db upgrade` first" in log


@pytest.mark.skipif(on_postgres(), reason="a SQLite file that is not there")
def test_a_database_file_that_is_not_there_is_named_and_not_made(tmp_path):
    database = tmp_path / "kiosk.sqlite"
    status, log = serve({"KIOSK_DATABASE_URL": f"sqlite:///{database}", "KIOSK_SECRET_KEY": "test-secret"})
    assert status is not None
    assert set(our_lines(log)) == {f"Error: There is no database at {database}: run `.venv/bin/flask --app kiosk db "
                                   "upgrade` first (`make run` does)."}
    assert not database.exists()


def test_a_station_setting_that_names_no_station_stops_the_server(tmp_path):
    from kiosk.core.extensions import db
    from kiosk.people.demo import load_demo_station

    app = make_app(tmp_path)
    with app.app_context():
        load_demo_station()
        db.session.commit()
        db.engine.dispose()
    status, log = serve({"KIOSK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "KIOSK_SECRET_KEY": "test-secret",
                         "KIOSK_STATION": "nosuch"})
    assert status is not None, "it served the demo station as if it were the one named"
    assert set(our_lines(log)) == {"Error: KIOSK_STATION is 'nosuch', but the database has no such station (its "
                                   "stations: demo). Correct the name, or add the station first: .venv/bin/flask "
                                   "--app kiosk create-station nosuch NAME"}
