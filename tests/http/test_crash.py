"""A worker killed in the middle of a stream of check-ins (SIGKILL: no clean-up at all) loses
nothing it answered: every check-in answered with success is in the database afterwards, and the
database passes its integrity check. gunicorn starts a new worker and the stream goes on."""

import http.client
import os
import re
import signal
import threading
import time
import urllib.parse
from pathlib import Path

from sqlalchemy import func, select, text

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.conftest import make_app
from tests.http.test_concurrency import start_gunicorn

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
OUTCOME = re.compile(r'data-outcome="(checked_in|checked_out)"')


def workers_of(master: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def scanner(port, tokens, stop, answered):
    """One kiosk: scans its own badges in turn (in, out, in …), noting every success it was told of."""
    while not stop.is_set():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/checkin/")
            page = conn.getresponse()
            cookie = "; ".join(v.split(";", 1)[0] for k, v in page.getheaders() if k.lower() == "set-cookie")
            csrf = CSRF.search(page.read().decode()).group(1)
            while not stop.is_set():
                for volunteer_id, token in tokens:
                    body = urllib.parse.urlencode({"code": token, "method": "scanner", "csrf_token": csrf})
                    conn.request("POST", "/checkin/scan", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                                 "Cookie": cookie, "HX-Request": "true"})
                    response = conn.getresponse()
                    found = OUTCOME.search(response.read().decode())
                    if response.status == 200 and found:
                        answered.append((volunteer_id, found.group(1)))
        except (OSError, http.client.HTTPException, AttributeError):
            time.sleep(0.05)  # the worker on the other end died: reconnect, as a tablet would
        finally:
            conn.close()


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_killing_a_worker_mid_stream_loses_no_answered_check_in(tmp_path):
    from kiosk.people.demo import load_demo_station

    app = make_app(tmp_path)
    with app.app_context():
        station, _keeper, _password = load_demo_station()
        station.duplicate_window_minutes = 0  # every scan writes
        db.session.commit()
        tokens = [(v.id, badge_token(v)) for v in db.session.scalars(select(Volunteer).order_by(Volunteer.id))]
        db.engine.dispose()

    server, port = start_gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], workers=2, threads=4)
    stop, answered = threading.Event(), []
    # Four kiosks, each with badges of its own, so no two scan one badge at once.
    kiosks = [threading.Thread(target=scanner, args=(port, tokens[i::4], stop, answered)) for i in range(4)]
    try:
        deadline = time.monotonic() + 30
        while len(workers_of(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        for k in kiosks:
            k.start()
        wait_for(lambda: len(answered) >= 30)
        before_kill = len(answered)
        os.kill(workers_of(server.pid)[0], signal.SIGKILL)
        wait_for(lambda: len(answered) >= before_kill + 30)  # a new worker took over
        stop.set()
        for k in kiosks:
            k.join(30)
    finally:
        server.terminate()
        server.communicate(timeout=30)

    assert before_kill >= 30 and len(answered) >= before_kill + 30  # the stream ran on both sides of the kill
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        for volunteer_id in {v for v, _ in answered}:
            told = [o for v, o in answered if v == volunteer_id]
            opened = db.session.scalar(select(func.count()).select_from(ServiceSession)
                                       .where(ServiceSession.volunteer_id == volunteer_id))
            closed = db.session.scalar(select(func.count(ServiceSession.checked_out_at))
                                       .where(ServiceSession.volunteer_id == volunteer_id))
            # Every "checked in" a kiosk was shown is a session; every "checked out" a closed one.
            assert opened >= told.count("checked_in") and closed >= told.count("checked_out"), volunteer_id
        assert db.session.scalar(select(func.count()).select_from(Station)) == 1
        db.engine.dispose()
