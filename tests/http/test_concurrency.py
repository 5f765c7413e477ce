"""Two kiosks (here: two processes with many threads each) scan the same badge at the same moment,
against gunicorn with two workers on one SQLite file: exactly one session, every request answered."""

import http.cookiejar
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

from sqlalchemy import select

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.people.badges import badge_token
from kiosk.people.models import Volunteer
from tests.conftest import make_app

PROCESSES = 2
THREADS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, workers: int, threads: int) -> tuple[subprocess.Popen, int]:
    """The kiosk under gunicorn, as the README starts it, on `database_url` and a free loopback
    port: (the server, its port). Its log is the server's stdout."""
    port = free_port()
    env = {**os.environ, "KIOSK_DATABASE_URL": database_url, "KIOSK_SECRET_KEY": "test-secret"}
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    server = subprocess.Popen([gunicorn, "--no-control-socket", "--workers", str(workers), "--threads", str(threads),
                               "--bind", f"127.0.0.1:{port}", "kiosk:create_app()"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return server, port


def wait_until_answering(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server at {base} did not answer within {seconds} s")


def kiosk_process(base, token, ready, go, results):
    """One kiosk process: open THREADS sessions, then scan all at once when told."""
    openers = []
    for _ in range(THREADS):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = opener.open(base + "/checkin/", timeout=30).read().decode()
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
        openers.append((opener, next(g for g in csrf.groups() if g)))
    ready.put(os.getpid())
    go.wait(60)
    barrier = threading.Barrier(THREADS)
    out = []

    def scan(opener, csrf):
        data = urllib.parse.urlencode({"code": token, "method": "scanner", "csrf_token": csrf}).encode()
        request = urllib.request.Request(base + "/checkin/scan", data=data, headers={"HX-Request": "true"})
        barrier.wait()
        try:
            with opener.open(request, timeout=60) as response:
                body = response.read().decode()
                out.append((response.status, re.search(r'data-outcome="(\w+)"', body).group(1)))
        except urllib.error.HTTPError as err:
            out.append((err.code, err.read().decode()[:300]))
        except Exception as err:  # noqa: BLE001 - every failure is a result to report
            out.append((0, repr(err)))

    threads = [threading.Thread(target=scan, args=pair) for pair in openers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    results.put(out)


def test_simultaneous_scans_of_one_badge_make_exactly_one_session(tmp_path):
    from kiosk.people.demo import load_demo_station

    app = make_app(tmp_path)
    with app.app_context():
        load_demo_station()
        db.session.commit()
        token = badge_token(db.session.get(Volunteer, 1))
        db.engine.dispose()

    server, port = start_gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], workers=2, threads=8)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base)
        ctx = multiprocessing.get_context("spawn")
        ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        kiosks = [ctx.Process(target=kiosk_process, args=(base, token, ready, go, results)) for _ in range(PROCESSES)]
        for k in kiosks:
            k.start()
        for _ in kiosks:
            ready.get(timeout=60)
        go.set()
        answers = [a for _ in kiosks for a in results.get(timeout=120)]
        for k in kiosks:
            k.join(30)
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]

    assert len(answers) == PROCESSES * THREADS
    assert all(status == 200 for status, _ in answers), answers
    outcomes = sorted(outcome for _, outcome in answers)
    assert outcomes.count("checked_in") == 1, outcomes
    assert set(outcomes) == {"checked_in", "already_in"}
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]
    with app.app_context():
        rows = db.session.scalars(select(ServiceSession)).all()
        assert len(rows) == 1 and rows[0].checked_out_at is None
        db.engine.dispose()
