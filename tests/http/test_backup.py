"""`flask --app kiosk backup` copies a live station while kiosks keep writing: the copy passes
SQLite's integrity check and holds every check-in answered before the backup began; `restore`
puts it back. (A plain file copy would miss what is still in the write-ahead log.)"""

import sqlite3
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.conftest import HX, csrf_token
from tests.databases import on_postgres
from tests.images import jpeg
from tests.http.test_swap import bring

pytestmark = pytest.mark.skipif(on_postgres(), reason="copies a SQLite station; PostgreSQL is backed up with pg_dump")


@pytest.fixture
def tokens(app, station):
    with app.app_context():
        db.session.get(Station, station).duplicate_window_minutes = 0  # every scan writes
        db.session.commit()
        return {v.id: badge_token(v) for v in db.session.scalars(select(Volunteer))}


def scan_until(app, volunteer_id, token, stop, answered):
    client = app.test_client()
    csrf = csrf_token(client, "/checkin/")
    while not stop.is_set():
        r = client.post("/checkin/scan", data={"code": token, "method": "scanner", "csrf_token": csrf}, headers=HX)
        if r.status_code == 200:
            answered.append((time.monotonic(), volunteer_id))


def test_a_backup_during_check_ins_holds_every_answered_one(app, runner, tmp_path, tokens):
    # The instance's own secret key (badges are signed with it) must travel with the backup.
    (tmp_path / "instance" / "secret_key").write_text("the-station-key")
    stop, answered = threading.Event(), []
    scanners = [threading.Thread(target=scan_until, args=(app, vid, token, stop, answered))
                for vid, token in list(tokens.items())[:6]]
    for t in scanners:
        t.start()
    deadline = time.monotonic() + 30
    while len(answered) < 30 and time.monotonic() < deadline:  # a stream of check-ins is under way
        time.sleep(0.05)
    began = time.monotonic()
    out = runner.invoke(args=["backup", str(tmp_path / "copy")])
    time.sleep(0.3)
    stop.set()
    for t in scanners:
        t.join(timeout=30)
    assert out.exit_code == 0, out.output
    before = Counter(vid for at, vid in answered if at < began)
    assert sum(before.values()) >= 30  # the stream really ran while the backup was taken
    copy = sqlite3.connect(tmp_path / "copy" / "kiosk.sqlite")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for vid, scans in before.items():
            opened, closed = copy.execute(
                "SELECT count(*), count(checked_out_at) FROM service_session WHERE volunteer_id = ?", (vid,)).fetchone()
            # Scans alternate in, out, in …: each answered one is in the copy.
            assert opened >= (scans + 1) // 2 and closed >= scans // 2, (vid, scans, opened, closed)
    finally:
        copy.close()
    assert (tmp_path / "copy" / "secret_key").read_text() == "the-station-key"


def test_restore_puts_the_station_back_as_it_was(app, client, runner, tmp_path, station):
    client.set_cookie("kiosk_lang", "en")
    assert bring(client, title="backed-up item", photo=jpeg()).status_code == 200
    assert runner.invoke(args=["backup", str(tmp_path / "copy")]).exit_code == 0
    assert bring(client, title="made after the backup").status_code == 200
    out = runner.invoke(args=["restore", str(tmp_path / "copy"), "--yes"])
    assert out.exit_code == 0, out.output
    with app.app_context():
        titles = [row[0] for row in db.session.execute(db.text("SELECT title FROM swap_item ORDER BY id"))]
        photo = db.session.execute(db.text("SELECT photo FROM swap_item")).scalar()
    assert titles == ["backed-up item"]
    assert (tmp_path / "instance" / "uploads" / "swap" / photo).exists()


def test_a_backup_never_writes_into_a_folder_that_holds_something(runner, tmp_path, station):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    out = runner.invoke(args=["backup", str(tmp_path / "busy")])
    assert out.exit_code != 0 and "not empty" in out.output
    assert (tmp_path / "busy" / "notes.txt").read_text() == "keep me"


def test_restore_refuses_a_folder_that_is_no_backup(runner, tmp_path, station):
    (tmp_path / "empty").mkdir()
    out = runner.invoke(args=["restore", str(tmp_path / "empty"), "--yes"])
    assert out.exit_code != 0 and "is it a backup folder" in out.output
