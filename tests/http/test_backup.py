"""`flask --app kiosk backup` copies a live station while kiosks keep writing: the copy passes
SQLite's integrity check and holds every check-in answered before the backup began; `restore`
puts it back. (A plain file copy would miss what is still in the write-ahead log.)"""

import errno
import shutil
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk import create_app
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.conftest import HX, csrf_token, make_app
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


@pytest.fixture
def migrated(runner, station):
    """The test database as `flask db upgrade` leaves a real one: its schema version recorded."""
    out = runner.invoke(args=["db", "stamp", "head"])
    assert out.exit_code == 0, out.output


def test_restore_puts_the_station_back_as_it_was(app, client, runner, tmp_path, station, migrated):
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


def live_volunteers(app) -> int:
    with app.app_context():
        return db.session.execute(db.text("SELECT count(*) FROM volunteer")).scalar()


@pytest.mark.parametrize("made", ["another program's database", "a damaged copy", "not a database at all",
                                  "a newer kiosk's copy"])
def test_restore_checks_the_copy_before_it_replaces_anything(app, runner, tmp_path, station, migrated, made):
    before = live_volunteers(app)
    assert runner.invoke(args=["backup", str(tmp_path / "copy")]).exit_code == 0
    copy = tmp_path / "copy" / "kiosk.sqlite"
    if made == "another program's database":
        copy.unlink()
        sqlite3.connect(copy).execute("CREATE TABLE x (a)").connection.close()
    elif made == "a damaged copy":
        data = bytearray(copy.read_bytes())
        data[4096 * 3: 4096 * 3 + 2000] = b"\xff" * 2000  # a page in the middle overwritten
        copy.write_bytes(bytes(data))
    elif made == "not a database at all":
        copy.write_bytes(copy.read_bytes()[:1000])
    else:
        with sqlite3.connect(copy) as conn:
            conn.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    out = runner.invoke(args=["restore", str(tmp_path / "copy"), "--yes"])
    assert out.exit_code == 1 and "Nothing was restored" in out.output, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)  # a message, no traceback
    assert live_volunteers(app) == before
    assert not list((tmp_path / "instance").glob("replaced-by-restore-*"))


def test_restore_keeps_what_it_replaced_and_brings_an_older_copy_up_to_date(app, client, runner, tmp_path, station,
                                                                          migrated):
    assert runner.invoke(args=["backup", str(tmp_path / "copy")]).exit_code == 0
    # The copy as the kiosk before its latest update: its newest migration taken back (whichever it is).
    older = make_app(tmp_path / "older", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'copy' / 'kiosk.sqlite'}")
    out = older.test_cli_runner().invoke(args=["db", "downgrade", "--", "-1"])
    assert out.exit_code == 0, out.output
    with older.app_context():
        db.engine.dispose()
    out = runner.invoke(args=["restore", str(tmp_path / "copy"), "--yes"])
    assert out.exit_code == 0, out.output
    kept, = (tmp_path / "instance").glob("replaced-by-restore-*")
    assert str(kept) in out.output
    assert sqlite3.connect(kept / "kiosk.sqlite").execute("SELECT count(*) FROM volunteer").fetchone()[0] > 0
    assert client.get("/checkin/").status_code == 200  # the restored copy has the schema this code reads


@pytest.mark.parametrize("where", ["a file", "inside the station's folder"])
def test_a_backup_refuses_a_place_it_cannot_be(runner, tmp_path, station, where):
    target = tmp_path / "notes.txt" if where == "a file" else tmp_path / "instance" / "uploads" / "copy"
    if where == "a file":
        target.write_text("keep me")
    out = runner.invoke(args=["backup", str(target)])
    assert out.exit_code == 1, out.output  # a message, not a traceback (that exits 1 with no message)
    assert ("is a file" if where == "a file" else "inside the station's own folder") in out.output
    assert not target.is_dir()


def test_a_disk_that_fills_up_during_a_backup_leaves_nothing_that_looks_like_one(runner, tmp_path, station,
                                                                                 monkeypatch, app, client):
    client.set_cookie("kiosk_lang", "en")
    assert bring(client, title="with a photo", photo=jpeg()).status_code == 200
    real = shutil.copytree

    def disk_full(src, dst, *args, **kwargs):
        raise shutil.Error([(str(src), str(dst), "[Errno 28] No space left on device")])

    monkeypatch.setattr("kiosk.core.backup.shutil.copytree", disk_full)
    (tmp_path / "usb").mkdir()
    out = runner.invoke(args=["backup", str(tmp_path / "usb" / "copy")])
    assert out.exit_code == 1 and "could not be written" in out.output, out.output
    assert list((tmp_path / "usb").iterdir()) == []  # no half-made backup, nothing hidden left behind
    monkeypatch.setattr("kiosk.core.backup.shutil.copytree", real)
    out = runner.invoke(args=["backup", str(tmp_path / "usb" / "copy")])  # once there is room: the same place
    assert out.exit_code == 0, out.output
    assert (tmp_path / "usb" / "copy" / "uploads").is_dir()


def test_a_restore_that_stops_half_way_says_where_the_data_from_before_is(app, runner, tmp_path, station, migrated,
                                                                         monkeypatch):
    assert runner.invoke(args=["backup", str(tmp_path / "copy")]).exit_code == 0

    def fails():
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("kiosk.core.backup._upgrade_schema", fails)
    out = runner.invoke(args=["restore", str(tmp_path / "copy"), "--yes"])
    kept, = (tmp_path / "instance").glob("replaced-by-restore-*")
    assert out.exit_code == 1 and "stopped half-way" in out.output and str(kept) in out.output, out.output


@pytest.mark.parametrize("live", ["missing", "not migrated"])
def test_a_backup_of_no_station_says_so_rather_than_copying_an_empty_database(app, runner, tmp_path, live):
    """A cron job without the server's KIOSK_DATABASE_URL: every night's backup "succeeded" and held
    nothing, and an empty database file was left where the settings pointed."""
    database = tmp_path / "elsewhere" / "kiosk.sqlite"
    if live == "not migrated":
        database.parent.mkdir()
        sqlite3.connect(database).close()
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    out = runner.invoke(args=["backup", str(tmp_path / "copy")])
    assert out.exit_code == 1 and "Nothing was backed up" in out.output, out.output
    assert ("There is no station database at" if live == "missing" else "holds no station's data") in out.output
    assert not (tmp_path / "copy").exists()
    assert database.exists() == (live == "not migrated")  # none made on the spot


def test_a_backup_does_not_make_the_folders_above_its_own(runner, tmp_path, station):
    """/media/usb/… with the stick not plugged in: the backup would have landed on the station's disk."""
    out = runner.invoke(args=["backup", str(tmp_path / "usb" / "kiosk-2026-11-29")])
    assert out.exit_code == 1 and "does not exist: is the USB stick plugged in?" in out.output, out.output
    assert not (tmp_path / "usb").exists()


def test_a_backup_without_a_folder_named_asks_for_one(runner, station):
    out = runner.invoke(args=["backup", ""])
    assert out.exit_code == 1 and "Name the folder for the backup" in out.output, out.output


def test_restore_says_a_folder_is_no_backup_before_it_asks_anything(runner, tmp_path, station):
    (tmp_path / "empty").mkdir()
    out = runner.invoke(args=["restore", str(tmp_path / "empty")], input="y\n")
    assert out.exit_code == 1 and "is it a backup folder" in out.output
    assert "Replace this station's data" not in out.output


def test_restore_on_a_new_machine_keeps_nothing_aside(app, runner, tmp_path, station, migrated):
    """Nothing was there to keep: an empty database and a key made that minute were kept, puzzling."""
    import stat

    assert runner.invoke(args=["backup", str(tmp_path / "copy")]).exit_code == 0
    restored = tmp_path / "new" / "instance" / "kiosk.sqlite"
    new = create_app({"TESTING": True, "INSTANCE_PATH": str(restored.parent), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{restored}"})
    (restored.parent / "secret_key").write_text("made-a-minute-ago")
    out = new.test_cli_runner().invoke(args=["restore", str(tmp_path / "copy"), "--yes"])
    with new.app_context():
        db.engine.dispose()
    assert out.exit_code == 0, out.output
    assert "There was no station here before." in out.output
    assert not list((tmp_path / "new" / "instance").glob("replaced-by-restore-*"))
    assert sqlite3.connect(restored).execute("SELECT count(*) FROM volunteer").fetchone()[0] == live_volunteers(app)
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600


# Probe: a backup named at an empty USB stick's own mount point failed with "Device or resource
# busy" (the copy was staged beside it, on the station's disk, and a mount point cannot be
# renamed onto), and a write-protected stick was told to "free some space".
def test_a_backup_into_an_empty_mount_point_is_staged_inside_it(runner, tmp_path, station, monkeypatch):
    stick = tmp_path / "media" / "usb"
    stick.mkdir(parents=True)
    real_rename = Path.rename

    def mount_point(self, target):
        if Path(target) == stick:
            raise OSError(errno.EBUSY, "Device or resource busy")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", mount_point)
    out = runner.invoke(args=["backup", str(stick)])
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in stick.iterdir() if not p.name.startswith(".")) and (stick / "kiosk.sqlite").is_file()
    assert [p.name for p in stick.iterdir() if p.name.startswith(".")] == []  # no staging folder left
    assert sorted(p.name for p in (tmp_path / "media").iterdir()) == ["usb"]  # nothing beside it either


@pytest.mark.parametrize("error, said, not_said", [
    (OSError(errno.EROFS, "Read-only file system"), "read-only", "free some space"),
    (OSError(errno.ENOSPC, "No space left on device"), "free some space or choose another place", "read-only"),
], ids=["write-protected", "full"])
def test_a_write_protected_or_full_stick_is_named_so(runner, tmp_path, station, monkeypatch, error, said, not_said):
    def refused(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(Path, "mkdir", refused)
    out = runner.invoke(args=["backup", str(tmp_path / "copy")])
    assert out.exit_code == 1 and said in out.output and not_said not in out.output, out.output
