"""Engine set-up. The only place that knows about SQLite; everything else is portable SQL."""

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from kiosk.core.extensions import db

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SQLiteNotTuned(RuntimeError):
    pass


def tune_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is always DEFERRED).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        # An in-memory database cannot use WAL; a file one must, or two kiosks block each other.
        if mode.lower() != "wal" and engine.url.database not in (None, "", ":memory:"):
            raise SQLiteNotTuned(f"SQLite refused WAL journal mode (got {mode!r})")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # A write transaction takes the write lock up front, so two writers queue on
        # busy_timeout instead of one failing with "database is locked" when it upgrades.
        # GET never changes state, so its transactions stay deferred and never wait.
        if has_request_context() and request.method in READ_ONLY_METHODS and not g.get("write_intent"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def end_lookup() -> None:
    """End the transaction of a request's first lookup (its station). On SQLite a state-changing
    request's transaction begins with BEGIN IMMEDIATE, and the write lock should be held only while
    the request's own change is made, not while it parses a form or re-encodes a photo. Nothing has
    been changed yet, so this commits nothing; the request's own commit comes at its end
    (core/transaction.py)."""
    if request.method not in READ_ONLY_METHODS:
        _end_read_transaction()


def begin_writing() -> None:
    """For the rare GET that must write (closing forgotten sessions on a keeper's view): end the
    read transaction, so the next one takes the write lock up front instead of failing to upgrade,
    and mark the request as one whose change is committed at its end."""
    g.write_intent = True
    _end_read_transaction()


def writes_on_get() -> bool:
    return bool(g.get("write_intent"))


def _end_read_transaction() -> None:
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("a read-only transaction has changes: they belong to the request's own commit")
    db.session.commit()
