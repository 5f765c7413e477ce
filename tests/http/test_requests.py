"""How every request ends (kiosk/core/transaction.py): one commit for a state-changing request
that succeeded, a rollback for one that did not, refusals shown through one handler; and photos
re-encoded before the write transaction begins and written only once the commit has succeeded."""

import io
import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, make_url, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from kiosk.core import photos as photos_module
from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.storage import storage_trouble
from kiosk.people.audit import audit_label
from kiosk.people.badges import badge_token
from kiosk.people.models import AuditEvent, Volunteer
from kiosk.suggest.models import Suggestion, SuggestionCategory
from kiosk.walkins import routes as walkin_routes
from kiosk.walkins.models import WalkInService, WalkInVisit
from tests.conftest import HX, csrf_token, in_english, make_app
from tests.databases import on_postgres
from tests.http.conftest import sign_in
from tests.http.test_swap import bring, form_post, items, uploads
from tests.images import jpeg

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def kiosk(client, station):
    client.set_cookie("kiosk_lang", "en")
    return client


@pytest.fixture
def writes(app):
    """Every commit during the test, as True when it stored something (an INSERT, UPDATE or
    DELETE ran in its transaction, whether through the ORM or straight on the connection)."""
    commits = []
    wrote = {"now": False}

    def executed(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            wrote["now"] = True

    def committed(_session):
        commits.append(wrote["now"])
        wrote["now"] = False

    def rolled_back(_session):
        wrote["now"] = False  # what the transaction wrote is gone

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(Session, "after_commit", committed)
    event.listen(Session, "after_rollback", rolled_back)
    yield commits
    event.remove(engine, "before_cursor_execute", executed)
    event.remove(Session, "after_commit", committed)
    event.remove(Session, "after_rollback", rolled_back)


def visits(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(WalkInVisit)).all())


def tap(client, **extra):
    with client.application.app_context():
        service = db.session.scalars(select(WalkInService).order_by(WalkInService.id)).first()
    data = {"service_id": str(service.id), "tap_id": "ab" * 16, "csrf_token": csrf_token(client, "/services/")}
    return client.post("/services/tap", data=data, headers=HX, **extra)


def test_no_route_commits():
    """The grep the issue names: routes never call commit(), the request's end does."""
    routes = [p for p in (ROOT / "kiosk").rglob("*.py") if "routes" in p.name or p.name == "auth.py"]
    assert len(routes) >= 8
    offenders = [str(p.relative_to(ROOT)) for p in routes if "commit()" in p.read_text()]
    assert offenders == []


def test_a_check_in_is_committed_once(app, kiosk, writes):
    with app.app_context():
        token = badge_token(db.session.get(Volunteer, 1))
    r = kiosk.post("/checkin/scan", data={"code": token, "method": "scanner",
                                          "csrf_token": csrf_token(kiosk, "/checkin/")}, headers=HX)
    assert r.status_code == 200 and 'data-outcome="checked_in"' in r.get_data(as_text=True)
    assert [w for w in writes if w] == [True]


def test_a_scan_that_another_kiosk_beat_answers_already_in_and_stores_nothing(app, kiosk, writes, monkeypatch):
    """Between this scan's reads and its write another kiosk checked the same volunteer in: the
    INSERT meets the one-open-session index, the transaction is undone, and the answer is the
    other kiosk's session (a page, not a 500)."""
    import kiosk.checkin.attendance as attendance
    from kiosk.checkin.models import ServiceSession

    with app.app_context():
        token = badge_token(db.session.get(Volunteer, 1))
    read_so_far = attendance._attendance_so_far

    def other_kiosk_first(station, volunteer, now):
        so_far = read_so_far(station, volunteer, now)
        if so_far.open_session is not None:
            return so_far  # the second look, after the other kiosk's check-in
        other = db.engine.raw_connection()  # the other kiosk, on its own connection
        try:
            other.cursor().execute(
                "INSERT INTO service_session (station_id, volunteer_id, checked_in_at, check_in_method, auto_closed,"
                " needs_review, edited) VALUES (%s, %s, %s, 'camera', false, false, false)" % (
                    station.id, volunteer.id, "'2026-11-22 00:59:00'"))
            other.commit()
        finally:
            other.close()
        return so_far
    monkeypatch.setattr(attendance, "_attendance_so_far", other_kiosk_first)

    r = kiosk.post("/checkin/scan", data={"code": token, "method": "scanner",
                                          "csrf_token": csrf_token(kiosk, "/checkin/")}, headers=HX)

    assert r.status_code == 200 and 'data-outcome="already_in"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 1
    assert [w for w in writes if w] == []  # the other kiosk's insert was not this request's


@pytest.fixture
def transcript(app, monkeypatch):
    """What the database saw during a request, in order: each statement, each commit, and the
    moment a page or fragment began to render."""
    from kiosk.core import web

    seen = []
    for name in ("render_block", "render_template"):
        original = getattr(web, name)

        def noted(template, *args, _original=original, **kwargs):
            seen.append(f"RENDER {template}")
            return _original(template, *args, **kwargs)
        monkeypatch.setattr(web, name, noted)
    with app.app_context():
        engine = db.engine
    on_statement = lambda conn, cursor, statement, *a: seen.append(" ".join(statement.split()))  # noqa: E731
    on_begin = lambda conn: seen.append("BEGIN")  # noqa: E731
    on_commit = lambda conn: seen.append("COMMIT")  # noqa: E731
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    event.listen(engine, "commit", on_commit)
    yield seen
    event.remove(engine, "before_cursor_execute", on_statement)
    event.remove(engine, "begin", on_begin)
    event.remove(engine, "commit", on_commit)


def writing_transaction(seen: list[str]) -> list[str]:
    """The statements of the one transaction that changed something, from its first to its commit."""
    changes = [i for i, s in enumerate(seen) if s.startswith(("INSERT", "UPDATE"))]
    assert changes, seen
    start = max(i for i, s in enumerate(seen[:changes[0]]) if s == "COMMIT" or s.startswith("BEGIN")) + 1
    end = seen.index("COMMIT", changes[-1])
    return seen[start:end]


@pytest.mark.parametrize("outcome", ["checked_in", "checked_out"])
def test_a_scan_reads_before_it_takes_the_write_lock_and_renders_after_its_commit(app, kiosk, transcript, outcome):
    """Under a rush the write lock is the queue every kiosk waits in: only the change itself may
    hold it. Who the badge belongs to, their open session and their hours are read before it, and
    the confirmation is rendered after the commit."""
    with app.app_context():
        token = badge_token(db.session.get(Volunteer, 1))
        data = {"code": token, "method": "scanner", "csrf_token": csrf_token(kiosk, "/checkin/")}
    if outcome == "checked_out":
        kiosk.post("/checkin/scan", data=data, headers=HX)
        with app.app_context():
            from kiosk.core.models import Station
            db.session.get(Station, 1).duplicate_window_minutes = 0
            db.session.commit()
    transcript.clear()
    r = kiosk.post("/checkin/scan", data=data, headers=HX)
    assert f'data-outcome="{outcome}"' in r.get_data(as_text=True)
    under_lock = writing_transaction(transcript)
    assert [s for s in under_lock if s.startswith("SELECT") and "SAVEPOINT" not in s] == [], under_lock
    # Two transactions, not three: the station lookup's read (when the worker has not kept the
    # station from a moment ago) carries on into the scan's reads.
    assert transcript.count("BEGIN") == 2, transcript
    reads = transcript[transcript.index("BEGIN"):transcript.index("COMMIT")]
    assert any("FROM volunteer" in s for s in reads), reads
    assert all(s in reads for s in transcript if "FROM station" in s), transcript
    commit = transcript.index("COMMIT", transcript.index(under_lock[-1]))
    rendered = next(i for i, s in enumerate(transcript) if s.startswith("RENDER"))
    assert rendered > commit, transcript


def fake_record_visit(error: Exception):
    """A rule that stores a visit and then fails: whatever it stored must follow the request's fate."""
    def record(station, service_id, tap_id, now, who=()):
        db.session.add(WalkInVisit(station_id=station.id, service_id=int(service_id), at=now, tap_id=tap_id))
        db.session.flush()
        raise error
    return record


def test_a_refusal_rolls_back_what_the_rule_had_stored_and_shows_the_view_s_own_form(app, kiosk, monkeypatch):
    monkeypatch.setattr(walkin_routes, "record_visit", fake_record_visit(DomainError("Not today, sorry.")))
    r = tap(kiosk)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Not today, sorry." in page and 'name="tap_id"' in page  # the tiles again, with the message
    assert visits(app) == 0


class CountedTry(DomainError):
    keep_changes = True


def test_a_refusal_that_must_keep_its_record_is_committed(app, kiosk, monkeypatch):
    monkeypatch.setattr(walkin_routes, "record_visit", fake_record_visit(CountedTry("Counted, but no.")))
    r = tap(kiosk)
    assert r.status_code == 422 and "Counted, but no." in r.get_data(as_text=True)
    assert visits(app) == 1


def test_a_refusal_without_a_form_of_its_own_gets_the_error_page_with_its_message(app, kiosk, monkeypatch):
    monkeypatch.setattr(walkin_routes, "record_visit", fake_record_visit(DomainError("Plain words.")))
    monkeypatch.setattr(walkin_routes, "refuse_with", lambda show: None)  # as if the view named no form
    r = tap(kiosk)
    assert r.status_code == 422 and "Plain words." in r.get_data(as_text=True)
    assert visits(app) == 0


def test_an_unexpected_error_rolls_back_and_shows_the_500_page(app, kiosk, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(walkin_routes, "record_visit", fake_record_visit(RuntimeError("a bug")))
    r = tap(kiosk)
    assert r.status_code == 500 and "Sorry, something went wrong" in r.get_data(as_text=True)
    assert visits(app) == 0


# --- Photos and the write transaction -----------------------------------------------------------


@pytest.fixture
def reencodes(app, monkeypatch):
    """Each photo re-encode, noting whether a write transaction was open while it ran: the session's
    own, or the SQLite write lock (another connection tries to take it at once)."""
    seen = []
    real = photos_module._reencode
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")

    def watched(data, field):
        lock_free = True  # PostgreSQL has no database-wide write lock; the session's state says it all
        if not on_postgres():
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError:
                lock_free = False
            finally:
                other.close()
        seen.append({"session_in_transaction": db.session().in_transaction(), "write_lock_free": lock_free})
        return real(data, field)

    monkeypatch.setattr(photos_module, "_reencode", watched)
    return seen


def test_a_swap_photo_is_re_encoded_before_the_write_transaction(app, kiosk, reencodes):
    r = bring(kiosk, photo=jpeg())
    assert r.status_code == 200
    assert reencodes == [{"session_in_transaction": False, "write_lock_free": True}]
    assert len(uploads(app)) == 2  # written after the commit: the photo and its thumbnail


def test_a_suggestion_photo_is_re_encoded_before_the_write_transaction(app, kiosk, reencodes):
    with app.app_context():
        category = db.session.scalars(select(SuggestionCategory).order_by(SuggestionCategory.id)).first()
    r = form_post(kiosk, "/suggest/", {"category": str(category.id), "text": "楼道灯坏了", "photo": photo_upload()})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert reencodes == [{"session_in_transaction": False, "write_lock_free": True}]
    with app.app_context():
        stored = db.session.scalar(select(Suggestion))
        assert stored.photo and (Path(app.instance_path) / "uploads" / "suggestions" / stored.photo).exists()


@pytest.mark.skipif(on_postgres(), reason="SQLite's database-wide write lock; PostgreSQL has none to wait for")
@pytest.mark.parametrize("code", ["NOT-A-BADGE", "SC1-forged-badge-text"])
def test_a_refused_scan_is_answered_while_another_kiosk_holds_the_write_lock(tmp_path, code):
    """A scan that records nothing must not queue for the write lock, or in a rush every bad scan
    waits behind every check-in. Showing the refusal reads the station again (the refusal's
    rollback expired it): that read must stay a read."""
    from kiosk.people.demo import load_demo_station

    app = make_app(tmp_path, SQLITE_BUSY_TIMEOUT_MS=300)
    with app.app_context():
        load_demo_station()
        db.session.commit()
    kiosk = app.test_client()
    kiosk.set_cookie("kiosk_lang", "en")
    data = {"code": code, "method": "scanner", "csrf_token": csrf_token(kiosk, "/checkin/")}
    other_kiosk = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    other_kiosk.execute("BEGIN IMMEDIATE")  # another kiosk in the middle of its check-in
    try:
        r = kiosk.post("/checkin/scan", data=data, headers=HX)
    finally:
        other_kiosk.rollback()
        other_kiosk.close()
    assert r.status_code == 422, r.get_data(as_text=True)
    assert "Nothing was recorded" in r.get_data(as_text=True)


def photo_upload():
    return FileStorage(io.BytesIO(jpeg()), filename="x.jpg", content_type="image/jpeg")


@contextmanager
def commits_refused(app, reason: str):
    """The database refuses every commit that would store something, for `reason`."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def wrote(session, _context):
        session.info["wrote"] = True

    def refuse(session):
        if session.info.pop("wrote", False):
            raise OperationalError("COMMIT", {}, Exception(reason))

    event.listen(Session, "after_flush", wrote)
    event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(Session, "after_flush", wrote)
        event.remove(Session, "before_commit", refuse)


@pytest.fixture
def failing_commit(app):
    """The database refuses the request's commit (a lost connection, a failing disk)."""
    with commits_refused(app, "disk I/O error"):
        yield


def test_a_failed_commit_leaves_no_item_and_no_photo_behind(app, kiosk, failing_commit):
    r = bring(kiosk, photo=jpeg())
    assert r.status_code == 503  # a disk I/O error: "nothing could be saved, please tell a keeper"
    assert items(app) == []
    assert uploads(app) == []


# --- Deactivating a volunteer is audited ----------------------------------------------------------


def test_deactivating_and_reactivating_a_volunteer_write_audit_events(app, keeper_id, client):
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client).status_code == 303
    token = csrf_token(client, "/keeper/volunteers/1")
    for active in ("0", "0", "1"):  # the second "deactivate" changes nothing, so it writes nothing
        r = client.post("/keeper/volunteers/1/active", data={"active": active, "csrf_token": token})
        assert r.status_code == 303
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.volunteer_id == 1)
                                    .order_by(AuditEvent.id)).all()
        assert [(e.action, e.keeper_id, e.before, e.after) for e in events] == [
            ("volunteer.deactivated", keeper_id, {"active": True}, {"active": False}),
            ("volunteer.reactivated", keeper_id, {"active": False}, {"active": True}),
        ]
        assert db.session.get(Volunteer, 1).active is True
    page = client.get("/keeper/volunteers/1").get_data(as_text=True)
    assert ">Deactivated<" in page and ">Reactivated<" in page
    with in_english(app):
        assert audit_label("volunteer.deactivated") == "Deactivated"  # first on its line


# --- A full disk or a read-only database ------------------------------------------------------------


@pytest.fixture
def full_disk(app):
    """The database refuses to write, as SQLite says it when the disk is full."""
    with commits_refused(app, "database or disk is full"):
        yield


def test_a_full_disk_tells_the_kiosk_in_plain_words_and_stores_nothing(app, kiosk, full_disk):
    r = tap(kiosk)
    assert r.status_code == 503
    page = r.get_data(as_text=True)
    assert "cannot save right now" in page and "tell a keeper" in page
    assert "Sorry, something went wrong" not in page
    assert visits(app) == 0


def test_a_failed_save_and_a_disk_running_full_are_shown_to_keepers_on_today(app, kiosk, keeper, monkeypatch):
    assert "could not save" not in keeper.get("/keeper/today").get_data(as_text=True)
    with commits_refused(app, "database or disk is full"):
        assert tap(kiosk).status_code == 503
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert "computer could not save: nothing from that moment was recorded" in page
    monkeypatch.setattr("kiosk.core.storage.free_mb", lambda path: 150)
    assert "Only 150 MB of disk space is left." in keeper.get("/keeper/today").get_data(as_text=True)


def test_a_failed_save_seen_by_one_worker_is_shown_by_every_worker(app, kiosk, tmp_path):
    """Gunicorn runs several workers: the keeper's Today poll may be answered by one that did not see
    the failed save. Two apps on one instance folder stand for two workers."""
    other_worker = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            CLOCK=app.extensions["kiosk_clock"])
    with commits_refused(app, "database or disk is full"):
        assert tap(kiosk).status_code == 503
    with in_english(other_worker):
        assert any("could not save" in line for line in storage_trouble(utcnow()))


def test_a_photo_that_cannot_be_written_is_refused_beside_the_field_with_nothing_left(app, kiosk, monkeypatch):
    def disk_full(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    r = bring(kiosk, photo=jpeg())
    assert r.status_code == 422
    assert "could not be saved" in r.get_data(as_text=True)
    assert items(app) == [] and uploads(app) == []


@pytest.mark.skipif(on_postgres(), reason="SQLite's file and its writers' lock file beside it")
@pytest.mark.parametrize("htmx", [True, False], ids=["fragment", "whole page"])
@pytest.mark.parametrize("cannot_open", [OSError(30, "Read-only file system"), PermissionError(13, "Permission denied")],
                         ids=["read-only disk", "lock file of another user"])
def test_a_database_that_cannot_be_written_tells_the_kiosk_in_plain_words(app, station, tmp_path, monkeypatch,
                                                                         htmx, cannot_open):
    """A read-only disk, or the writers' lock file made by root before the service user first ran.
    The error page still reads the station (its name in the header): that read must not try to
    write again, or the kiosk gets a bare 500 (or no answer) instead of the message."""
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    read_only = make_app(tmp_path / "ro", PROPAGATE_EXCEPTIONS=False,
                         SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         SQLALCHEMY_ENGINE_OPTIONS={"creator": lambda: sqlite3.connect(
                             f"file:{path}?mode=ro", uri=True, check_same_thread=False)})
    kiosk = read_only.test_client()
    kiosk.set_cookie("kiosk_lang", "en")
    with read_only.app_context():
        service = db.session.scalars(select(WalkInService).order_by(WalkInService.id)).first()
    data = {"service_id": str(service.id), "tap_id": "cd" * 16, "csrf_token": csrf_token(kiosk, "/services/")}

    def refused(self):
        raise cannot_open

    monkeypatch.setattr("kiosk.core.database.WriterQueue._file", refused)
    r = kiosk.post("/services/tap", data=data, headers=HX if htmx else {})
    assert r.status_code == 503
    assert "tell a keeper" in r.get_data(as_text=True)
    monkeypatch.undo()
    assert visits(app) == 0


def test_registering_editing_and_a_new_badge_are_audited_without_personal_data(app, keeper_id, client):
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client).status_code == 303
    token = csrf_token(client, "/keeper/volunteers/new")
    r = client.post("/keeper/volunteers/new", data={"csrf_token": token, "name": "审计新人", "mobile": "13912345678"})
    assert r.status_code == 303
    volunteer_id = int(urlsplit(r.headers["Location"]).path.rsplit("/", 1)[1])
    edit = f"/keeper/volunteers/{volunteer_id}/edit"
    r = client.post(edit, data={"csrf_token": csrf_token(client, edit), "name": "审计改名", "mobile": "13912345679"})
    assert r.status_code == 303
    r = client.post(edit, data={"csrf_token": csrf_token(client, edit), "name": "审计改名", "mobile": "13912345679"})
    assert r.status_code == 303  # saved unchanged: nothing to record
    page = f"/keeper/volunteers/{volunteer_id}"
    asked = client.get(f"{page}/badge/new").get_data(as_text=True)  # a new badge is asked for first
    [seen] = re.findall(r'name="seen" value="([^"]+)"', asked)
    assert client.post(f"{page}/badge", data={"csrf_token": csrf_token(client, page), "seen": seen}).status_code == 303
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.volunteer_id == volunteer_id)
                                    .order_by(AuditEvent.id)).all()
        assert [(e.action, e.keeper_id, e.after) for e in events] == [
            ("volunteer.registered", keeper_id, {"number": events[0].after["number"]}),
            ("volunteer.edited", keeper_id, {"changed": ["name", "mobile"]}),
            ("volunteer.badge_reissued", keeper_id, None),
        ]
    shown = client.get(page).get_data(as_text=True)
    assert "Registered" in shown and "Changed details" in shown and "name and mobile" in shown
    assert "Issued a new badge" in shown
