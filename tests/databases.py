"""Where each test's database lives: a fresh SQLite file (the default), or, when
`make test-postgres` has started a throwaway PostgreSQL server and set KIOSK_TEST_POSTGRES, a fresh
PostgreSQL database. Both are copied from a template that holds the schema, made once per process:
creating sixty tables for each of three thousand tests was a tenth of the suite's time."""

import atexit
import os
import shutil
import tempfile
import uuid

from sqlalchemy import create_engine, make_url, text

POSTGRES = os.environ.get("KIOSK_TEST_POSTGRES", "")  # the server's maintenance database URL
# One template per pytest-xdist worker ("gw0", "gw1"; none without xdist): they build it at once.
TEMPLATE = "kiosk_template_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
_made: list[str] = []  # this process's test databases, dropped as the next ones are made
_admin = None


def on_postgres() -> bool:
    return bool(POSTGRES)


def _admin_engine():
    global _admin
    if _admin is None:
        _admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        atexit.register(_admin.dispose)
    return _admin


def _url(name: str) -> str:
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def _build_template() -> None:
    from kiosk import create_app
    from kiosk.core.extensions import db

    with _admin_engine().connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {TEMPLATE}"))
    with tempfile.TemporaryDirectory(prefix="kiosk-pg-template-") as instance:  # nothing left in /tmp
        app = create_app({"TESTING": True, "SECRET_KEY": "template", "SQLALCHEMY_DATABASE_URI": _url(TEMPLATE),
                          "INSTANCE_PATH": instance})
        with app.app_context():
            db.create_all()
            db.engine.dispose()


_sqlite_template: str | None = None


def _sqlite_schema() -> str:
    """A SQLite file holding the schema, for this process's tests to copy."""
    global _sqlite_template
    if _sqlite_template is None:
        from kiosk import create_app
        from kiosk.core.extensions import db

        where = tempfile.mkdtemp(prefix="kiosk-sqlite-template-")
        atexit.register(shutil.rmtree, where, True)
        path = os.path.join(where, "schema.sqlite")
        app = create_app({"TESTING": True, "SECRET_KEY": "template", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                          "INSTANCE_PATH": os.path.join(where, "instance")})
        with app.app_context():
            db.create_all()
            db.engine.dispose()  # its write-ahead log folded in: the one file is the whole database
        _sqlite_template = path
    return _sqlite_template


def database_url(tmp_path, name: str = "kiosk", empty: bool = False) -> str:
    """A URL to a database of its own for one test: with the schema, or `empty` (for migrations).
    A SQLite file already there (a test making a second app on the same folder) is kept as it is."""
    if not POSTGRES:
        path = tmp_path / f"{name}.sqlite"
        if not empty and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_sqlite_schema(), path)
        return f"sqlite:///{path}"
    if not _made:
        _build_template()
    fresh = f"t_{uuid.uuid4().hex[:16]}"
    with _admin_engine().connect() as conn:
        # Earlier tests' databases go first (FORCE ends connections a test left open), so the
        # server holds a few at a time, not one per test.
        while len(_made) > 3:
            conn.execute(text(f"DROP DATABASE IF EXISTS {_made.pop(0)} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {fresh}" + ("" if empty else f" TEMPLATE {TEMPLATE}")))
    _made.append(fresh)
    return _url(fresh)
