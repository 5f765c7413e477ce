"""The limit of this stack for bench/rush_bench.py: Flask and raw `sqlite3` doing a check-in's
reads, write and commit, with none of the kiosk (no ORM, forms, CSRF, templates, translations).

POST /scan with code=<badge nonce>: find the volunteer, then close their open session or open a
new one, commit, answer a short HTML line. One connection per thread, WAL, BEGIN IMMEDIATE, the
same busy timeout as the kiosk. RAW_DATABASE names the SQLite file (a copy of the kiosk's)."""

import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, request

app = Flask(__name__)
DATABASE = os.environ.get("RAW_DATABASE", "")
_local = threading.local()


def connection() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DATABASE, timeout=15, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        _local.conn = conn
    return conn


@app.post("/scan")
def scan():
    nonce = request.form.get("code", "")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    conn = connection()
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT id, station_id FROM volunteer WHERE badge_nonce = ?", (nonce,)).fetchone()
        if row is None:
            conn.execute("ROLLBACK")
            return "<p>unknown</p>", 422
        volunteer_id, station_id = row
        open_session = conn.execute("SELECT id FROM service_session WHERE volunteer_id = ? AND checked_out_at IS NULL",
                                    (volunteer_id,)).fetchone()
        if open_session:
            conn.execute("UPDATE service_session SET checked_out_at = ?, check_out_method = 'scanner', updated_at = ? "
                         "WHERE id = ?", (now, now, open_session[0]))
            outcome = "checked_out"
        else:
            conn.execute("INSERT INTO service_session (station_id, volunteer_id, checked_in_at, check_in_method, "
                         "auto_closed, needs_review, edited, updated_at) VALUES (?, ?, ?, 'scanner', 0, 0, 0, ?)",
                         (station_id, volunteer_id, now, now))
            outcome = "checked_in"
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return f'<p data-outcome="{outcome}">ok</p>'


@app.get("/")
def ready():
    return "<p>ok</p>"
