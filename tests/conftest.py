"""Shared fixtures: every test gets its own app and its own fresh database (a SQLite file, or a
PostgreSQL database under `make test-postgres`)."""

import atexit
import re
import shutil
import sqlite3
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
import werkzeug.security
from jinja2 import BytecodeCache
from sqlalchemy import make_url, select

from kiosk import create_app
from kiosk.core.clock import MovableClock
from kiosk.core.extensions import db
from kiosk.core.models import Station
from tests.databases import database_url

# 09:00 in Shanghai on a Sunday; tests move this clock instead of sleeping.
START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class _SharedBytecode(BytecodeCache):
    """Templates compiled once for the whole run, not once per test's app (keyed on the source's
    checksum, so a changed template compiles again)."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if (code := self.compiled.get((bucket.key, bucket.checksum))) is not None:
            bucket.code = code

    def dump_bytecode(self, bucket):
        self.compiled[(bucket.key, bucket.checksum)] = bucket.code


_TEMPLATES = _SharedBytecode()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """Hashes made in tests cost a millisecond instead of scrypt's 100 ms (a fifth of an HTTP test's
    time went to them). Checking reads the method from the hash itself, so nothing else changes;
    servers the tests start in another process keep scrypt."""
    cheap = partial(werkzeug.security.generate_password_hash, method="pbkdf2:sha256:1000")
    with pytest.MonkeyPatch.context() as patch:
        for module in ("kiosk.people.models", "kiosk.checkin.phone"):
            patch.setattr(f"{module}.generate_password_hash", cheap)
        yield


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "CLOCK": MovableClock(START),
        "SHARED_MEMORY_DIR": str(tmp_path),  # not the machine's /dev/shm: each test its own
    }
    config.update(overrides)
    # A database of the test's own holds the schema already, copied from a template
    # (tests/databases.py); one a test names itself is given it here.
    given = "SQLALCHEMY_DATABASE_URI" in overrides
    if not given:
        config["SQLALCHEMY_DATABASE_URI"] = database_url(tmp_path)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _TEMPLATES
    _made_this_test.append(app)
    if given:
        with app.app_context():
            db.create_all()
    return app


# Apps made during the current test, held until it ends so their engines can be closed: an app
# dropped earlier would take its engine's open connections to the garbage collector, and
# PostgreSQL's driver warns about those (warnings are errors here).
_made_this_test: list = []


@pytest.fixture(autouse=True)
def _close_databases():
    """Every app a test made gives its connections back when the test ends."""
    yield
    # A session a test left open (an app context that ended in an exception, a thread's) gives
    # its connection back first; then every pool is emptied.
    leftovers = db.session.registry.registry  # scope -> session; clear() itself would need an app context
    for session in list(leftovers.values()):
        session.close()
    leftovers.clear()
    for engines in list(db._app_engines.values()):
        for engine in engines.values():
            engine.dispose()
    _made_this_test.clear()


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def clock(app) -> MovableClock:
    return app.extensions["kiosk_clock"]


@pytest.fixture
def station(app):
    """A station with a few teams; returns its id (objects do not outlive their session)."""
    return demo_station_in(app)


def demo_station_in(app) -> int:
    """The demo station loaded into an app's new database; its id."""
    from kiosk.people.demo import load_demo_station

    with app.app_context():
        database = sqlite_file(app)
        if database is not None and not has_rows(database):
            # Two thirds of the tests start from the demo station: on SQLite they copy it, made
            # once per process, instead of registering its twenty volunteers again (a quarter
            # of a second each time). Only over a file nobody has open.
            db.session.remove()
            db.engine.dispose()
            if not Path(database + "-wal").exists():
                shutil.copyfile(_demo_station_file(), database)
                return db.session.scalar(select(Station.id).where(Station.slug == "demo"))
        station, _keeper, _password = load_demo_station()
        db.session.commit()
        return station.id


def sqlite_file(app) -> str | None:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    return url.database if url.get_backend_name() == "sqlite" and url.database else None


def has_rows(database: str) -> bool:
    with closing(sqlite3.connect(database)) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return any(conn.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() for name in tables)


_demo_station: list[str] = []


def _demo_station_file() -> str:
    """This process's copy of a test database holding just the demo station, as `station` loads it."""
    if not _demo_station:
        from kiosk.people.demo import load_demo_station

        where = Path(tempfile.mkdtemp(prefix="kiosk-demo-station-"))
        atexit.register(shutil.rmtree, where, True)
        app = make_app(where)
        with app.app_context():
            load_demo_station()
            db.session.commit()
            db.engine.dispose()  # its write-ahead log folded in: the one file is the whole database
        _demo_station.append(sqlite_file(app))
    return _demo_station[0]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path="/") -> str:
    """The token a real page would carry: read it from the page's own form."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_INPUT.search(page)
    assert match, "the page should carry a CSRF token"
    return match.group(1)


HX = {"HX-Request": "true"}


def in_english(app):
    """A request context that reads English, for unit tests that match a domain error's words."""
    return app.test_request_context("/", method="POST", headers={"Cookie": "kiosk_lang=en"})


def at_once(app, count: int, work) -> list[str]:
    """Run work(i) for i in 0..count-1 in threads released together, each in its own request
    context (so its own session and connection) that commits on success. Returns, in the order
    they finished, "ok" or the refusal's message (or the repr of anything else raised)."""
    import threading

    from kiosk.core.errors import DomainError

    barrier = threading.Barrier(count)
    results = []

    def run(i):
        try:
            with in_english(app):
                barrier.wait(10)
                try:
                    work(i)
                    db.session.commit()
                    results.append("ok")
                except DomainError as err:
                    db.session.rollback()
                    results.append(str(err.message))
        except Exception as err:  # noqa: BLE001 - a crash in a thread is a result to report
            results.append(repr(err))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def decode_svg_qr(svg: str) -> list[str]:
    """Read a QR code drawn by qrcode's SvgPathImage (unit squares in one path) back to text."""
    import zxingcpp
    from PIL import Image, ImageDraw

    size = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))
    scale = 8
    image = Image.new("L", (int(size * scale) + 8 * scale, int(size * scale) + 8 * scale), 255)
    draw = ImageDraw.Draw(image)
    margin = 4 * scale
    for x, y in re.findall(r"M([\d.]+),([\d.]+)", re.search(r' d="([^"]+)"', svg).group(1)):
        left, top = margin + float(x) * scale, margin + float(y) * scale
        draw.rectangle([left, top, left + scale - 1, top + scale - 1], fill=0)
    return [result.text for result in zxingcpp.read_barcodes(image)]


def set_up_as_kiosk(app, client, slug: str = "demo") -> None:
    """What a keeper's "use this tablet as this station's kiosk" leaves on the tablet."""
    from sqlalchemy import select

    from kiosk.core.models import Station
    from kiosk.core.stations import KIOSK_STATION_COOKIE, kiosk_tablet_cookie

    with app.test_request_context():
        station = db.session.scalar(select(Station).where(Station.slug == slug))
        client.set_cookie(KIOSK_STATION_COOKIE, kiosk_tablet_cookie(station))
