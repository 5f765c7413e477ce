"""Engine set-up. The only place that knows about SQLite (and, for what an operator is told about a
database that is not ready and for two time expressions at the end, about PostgreSQL); everything
else is portable SQL."""

import fcntl
import hashlib
import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Float, Integer, event, inspect, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from kiosk.core.extensions import db

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SQLiteNotTuned(RuntimeError):
    pass


def engine_options(app: Flask) -> None:
    """A database server may drop an idle connection, so a connection is tested before use. A
    SQLite file cannot go away like that, and the test would cost a query each time."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}


def tune_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    event.listen(engine, "handle_error", _said_plainly_in_commands)


# --- What an operator is told when the database is not there or not set up -------------------

UPGRADE = "`.venv/bin/flask --app kiosk db upgrade`"


def where(url: URL) -> str:
    """The database as an operator recognises it, without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def plain_database_problem(error: DBAPIError, url: URL, connecting: bool) -> str | None:
    """One line for a database that cannot be reached, has no tables (yet) or may not be changed by
    its role: what is wrong and what to do. None for anything else (a bug keeps its traceback)."""
    orig = error.orig
    lines = str(orig).strip().splitlines()
    said = lines[0].strip() if lines else type(orig).__name__  # the driver's first line says it
    sqlstate = getattr(orig, "sqlstate", None)
    place = where(url)
    if connecting:
        if url.get_backend_name() == "sqlite":
            return (f"Cannot open the database at {place} ({said}): its folder must exist and be the server's "
                    "user's. Is KIOSK_DATABASE_URL (or DATABASE_URL in instance/config.py) right?")
        return (f"Cannot reach the database at {place} ({said}). Is the database server running, and does "
                "KIOSK_DATABASE_URL name the right host, port, database, user and password?")
    table = re.search(r'no such table: (\S+)|relation "([^"]+)" does not exist', said)
    if table or sqlstate == "42P01":
        name = next((t for t in table.groups() if t), "") if table else ""
        return (f"The database at {place} has no table {name} yet: run {UPGRADE} first (it sets up a new "
                "database, and brings one from an older kiosk up to date).")
    column = re.search(r"no such column: (\S+)|has no column named (\S+)|column (\S+) does not exist", said)
    if column or sqlstate == "42703":
        name = next((c for c in column.groups() if c), "") if column else ""
        return f"The database at {place} is older than this kiosk (no column {name}): run {UPGRADE} first."
    if sqlstate == "42501":  # insufficient privilege
        user, database = url.username or "the kiosk's role", url.database or "the database"
        return (f"The role {user} may not do this in the database {database} ({said}). Since PostgreSQL 15 only "
                f"the database's owner may create tables in it: make the role its owner (createdb -O {user} "
                f"{database} for a new one, or ALTER DATABASE {database} OWNER TO {user}), then try again.")
    return None


def _said_plainly_in_commands(context) -> None:
    """In a `flask --app kiosk …` command, a database that is missing, unreachable or not set up is
    said in one line instead of a traceback. Requests are left alone: their errors go to the log
    and the error page as before."""
    error = context.sqlalchemy_exception
    if click.get_current_context(silent=True) is None or not isinstance(error, DBAPIError):
        return
    problem = plain_database_problem(error, context.engine.url, connecting=context.connection is None)
    if problem:
        raise click.ClickException(problem)


def schema_problem() -> str | None:
    """Why a server must not start on this database: there is none where the settings point, or it
    has no tables (`flask db upgrade` was never run). A database that cannot be reached now is
    left to the requests (it may be back in a moment), and said once in the log."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).is_file():
        return f"There is no database at {url.database}: run {UPGRADE} first (`make run` does)."
    try:
        with db.engine.connect() as conn:
            has_stations = inspect(conn).has_table("station")
    except DBAPIError as err:
        current_app.logger.warning("Cannot reach the database at %s yet (%s)", where(url),
                                   " ".join(str(err.orig).split()))
        return None
    if not has_stations:
        return f"The database at {where(url)} has no tables yet: run {UPGRADE} first (`make run` does)."
    return None


class WriterQueue:
    """SQLite lets one writer in at a time. Writers that wait in SQLite's own busy handler sleep in
    growing steps (up to 100 ms) and wake late, so under a rush of scans the slowest ones wait far
    longer than the work ahead of them. Here a writer waits on a lock instead and is woken the
    moment the one before it finishes: a thread lock within a worker, and an flock on a file
    beside the database between workers. It holds no state; the database stays the only truth."""

    def __init__(self, database_path: str, timeout_s: float):
        self.path = database_path + ".writers"
        self.timeout_s = timeout_s
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd

    def acquire(self) -> None:
        if not self._threads.acquire(timeout=self.timeout_s):
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked (writer queue)"))
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._threads.release()


def _send(driver, statement: str) -> None:
    """A statement straight to the sqlite3 connection, its error raised as SQLAlchemy would."""
    try:
        driver.execute(statement)
    except sqlite3.Error as err:
        raise OperationalError(statement, {}, err) from err


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    database = engine.url.database
    queue = WriterQueue(database, busy_timeout_ms / 1000) if database not in (None, "", ":memory:") else None

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        if queue is not None:
            private_database_files(database)
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
        cur.execute("PRAGMA secure_delete = ON")  # deleted or overwritten data is zeroed, not left in free space
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # A write transaction takes the write lock up front, so two writers queue on
        # busy_timeout instead of one failing with "database is locked" when it upgrades.
        # GET never changes state, so its transactions stay deferred and never wait.
        # BEGIN goes straight to the driver: through SQLAlchemy's statement path it cost a tenth
        # of a check-in (three transactions each).
        driver = conn.connection.driver_connection
        if has_request_context() and (g.get("looking_up") or (request.method in READ_ONLY_METHODS
                                                                and not g.get("write_intent"))):
            _send(driver, "BEGIN")
            return
        if queue is not None and not conn.info.get("in_writer_queue"):
            queue.acquire()
            conn.info["in_writer_queue"] = True  # until the connection goes back to the pool
        try:
            _send(driver, "BEGIN IMMEDIATE")
        except BaseException:
            _leave_queue(conn.info)
            raise

    def _leave_queue(info: dict) -> None:
        if info.pop("in_writer_queue", False):
            queue.release()

    # The session hands its connection back to the pool as soon as its transaction ends (commit
    # or rollback): that is where the next writer goes in.
    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_conn, record):
        _leave_queue(record.info)

    @event.listens_for(engine, "invalidate")
    def on_invalidate(_dbapi_conn, record, _exception):
        _leave_queue(record.info)


def private_database_files(database: str) -> None:
    """The database and its journal files for the server's user only: they hold volunteers' names,
    mobiles and ID numbers, and may live outside instance/ (KIOSK_DATABASE_URL)."""
    for path in (database, database + "-wal", database + "-shm"):
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        except OSError:
            pass  # not there yet (SQLite makes the journal files with the database's own mode), or not ours


def serialize_writes(name: str) -> None:
    """Make writers that check-then-write under `name` (count a limit, then record a use) take
    turns until their transaction ends. SQLite already lets one writer in at a time; on
    PostgreSQL a transaction-scoped advisory lock does it."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def begin_lookup() -> None:
    """A request's first lookup (its station) only reads: on SQLite it neither takes the write
    lock nor waits for it, even in a state-changing request."""
    g.looking_up = True


def wipe_old_page_copies() -> None:
    """After personal data is erased, on SQLite: the write-ahead log still holds earlier copies of
    the pages that held it until a checkpoint. Copy the log into the database (where secure_delete
    zeroes what was freed) and empty it. It waits at most a second for readers (kiosks must not
    stall behind it); if one holds it back, the log keeps those copies until they are written over,
    and the log says so for the keeper who asks."""
    if db.engine.dialect.name != "sqlite":
        return
    raw = db.engine.raw_connection()  # no transaction: a checkpoint cannot run inside one
    try:
        driver = raw.driver_connection
        driver.execute("PRAGMA busy_timeout = 1000")
        busy = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        driver.execute(f"PRAGMA busy_timeout = {int(current_app.config['SQLITE_BUSY_TIMEOUT_MS'])}")
        if busy:
            current_app.logger.warning("erased data: the write-ahead log could not be emptied (a reader held it)")
    finally:
        raw.close()


def reads_only_from_here() -> None:
    """Nothing more is written in this request (a refusal, its changes rolled back): whatever it
    still reads (the station again, for the refusal's page) takes no write lock on SQLite and
    waits for none, so a bad scan in a rush is not queued behind every check-in."""
    g.looking_up = True


def end_lookup() -> None:
    """End the transaction of a request's first lookup. On SQLite a state-changing request's own
    transaction begins with BEGIN IMMEDIATE, and the write lock should be held only while the
    request's change is made, not while it parses a form or re-encodes a photo. Nothing has been
    changed yet, so this commits nothing; the request's own commit comes at its end
    (core/transaction.py). A view marked `reads_first` carries the lookup's transaction on into
    its own reads, which end it."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if request.method not in READ_ONLY_METHODS and getattr(view, "reads_first", False):
        g.lookup_carried = True  # still looking up: whatever begins before those reads only reads
        return
    _finish_reads()


def _finish_reads() -> None:
    """A request's reads are over: what begins next may write, and on a state-changing request
    the read transaction ends so that the write takes the lock up front."""
    g.looking_up = False
    if request.method not in READ_ONLY_METHODS:
        _end_read_transaction()


def reads_first(view):
    """Marks a state-changing view whose first database work is a `reads_before_writing` block
    (a scan): the station lookup and those reads share one read transaction instead of two. Such
    a view writes nothing before that block, and a refusal before it keeps nothing."""
    view.reads_first = True
    return view


@contextmanager
def reads_before_writing():
    """Reads a state-changing request makes before it changes anything (who a badge belongs to,
    their open session, their hours). On SQLite they take no write lock and wait for none, so the
    lock is held only for the change itself; the change must then hold without them (a
    conditional update, a unique index), because another writer may come in between."""
    if not has_request_context():
        yield  # a command or a test: the reads join its transaction
        return
    carried = g.pop("lookup_carried", False)
    if not carried:
        if db.session().in_transaction():
            yield  # a request already writing: the reads join its transaction
            return
        begin_lookup()
    try:
        yield
    except BaseException:
        g.looking_up = False  # the request rolls back what it began
        raise
    _finish_reads()


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


# --- Arithmetic on times, in SQL --------------------------------------------------------------
# Reports add up a whole district's sessions in the database rather than row by row in Python.
# SQLite and PostgreSQL say "seconds since 1970" and "round down" differently; these two
# expressions say it once for both.


class epoch_seconds(FunctionElement):
    """Seconds since 1970-01-01 of a stored (naive UTC) time, with its fraction."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw):
    return "((julianday(%s) - 2440587.5) * 86400.0)" % compiler.process(element.clauses, **kw)


@compiles(epoch_seconds)
def _epoch_seconds(element, compiler, **kw):
    return "EXTRACT(EPOCH FROM %s)" % compiler.process(element.clauses, **kw)


class floor_int(FunctionElement):
    """The whole number at or below a number that is never negative (SQLite's CAST truncates,
    which is the same there; PostgreSQL's CAST rounds, so it floors first)."""

    type = Integer()
    inherit_cache = True


@compiles(floor_int, "sqlite")
def _floor_int_sqlite(element, compiler, **kw):
    return "CAST(%s AS INTEGER)" % compiler.process(element.clauses, **kw)


@compiles(floor_int)
def _floor_int(element, compiler, **kw):
    return "CAST(FLOOR(%s) AS BIGINT)" % compiler.process(element.clauses, **kw)
