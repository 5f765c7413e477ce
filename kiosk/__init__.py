"""暖心驿站 kiosk: the application factory.

The app is the core (kiosk/core) and one package per feature. `create_app` sets up the core, then
lets each feature register its models, pages, template helpers, keeper menu entries and the
standard lists a new station starts with. Features are listed lowest layer first; the import
contract in pyproject.toml (checked by `make test`) keeps the layers apart."""

import os
import secrets
import sys
import traceback
from pathlib import Path

from flask import Flask

from kiosk.core.config import BadSetting, Defaults, check_settings, env_overrides, file_overrides

# Lowest layer first: people, then the features (which do not import each other; the station's
# settings page is one of them), then activities (which sessions belong to), what recognises
# volunteers for their confirmed hours (points and stars, then gifts, which spend points), the
# records built from all of it (national exports, certificates, the honor roll), the overviews (the
# keeper's Today, the kiosk's home), and the reports, which read them all.
FEATURES = ("people", "checkin", "walkins", "swap", "suggest", "tablets", "settings", "activities", "points", "stars",
            "gifts", "records", "certificates", "honor", "today", "home", "reports")


def create_app(test_config: dict | None = None) -> Flask:
    test_config = dict(test_config) if test_config is not None else None
    instance_path = test_config.pop("INSTANCE_PATH", None) if test_config else None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path,
                template_folder="core/templates")
    app.config.from_object(Defaults)
    _private_folder(Path(app.instance_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "kiosk.sqlite")
    from_env = {}
    if test_config is None:
        _read_config_file(app)
        file_overrides(app.config)
        from_env = env_overrides()
        app.config.update(from_env)
    else:
        app.config.update(test_config)
    try:
        check_settings(app.config, from_env)
    except BadSetting as err:
        refuse_to_start(str(err))
    if not app.config.get("SECRET_KEY"):
        try:
            app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path) / "secret_key")
        except RuntimeError as err:
            refuse_to_start(str(err))
    secure = bool(app.config["SECURE_COOKIES"])
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)

    from importlib import import_module

    from kiosk import core

    core.init_app(app)
    from kiosk.core.serving import answer_server_refusals

    answer_server_refusals()
    for name in FEATURES:
        import_module(f"kiosk.{name}").init_app(app)
    if test_config is None and not core.in_a_command():
        problem = core.serving_problem(app, from_env)
        if problem:
            refuse_to_start(problem)
    return app


def _private_folder(path: Path) -> None:
    """instance/ holds the database, the photos and the keys: the server's user's only. A folder
    made open earlier (by hand, or before this version) is closed too."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:
        pass  # not ours to change (another user's folder): it stays as its owner set it


class StartupRefused(SystemExit):
    """The app will not start as set up; the reason has been said in one line."""


def _read_config_file(app: Flask) -> None:
    """instance/config.py, or one line naming where Python stopped reading it (a typo there gave
    every command a page of traceback)."""
    try:
        app.config.from_pyfile("config.py", silent=True)
    except SyntaxError as err:
        refuse_to_start(f"instance/config.py line {err.lineno}: {err.msg}. Correct it, or remove the line.")
    except Exception as err:  # the file runs as Python: a NameError, a failed import, anything
        line = next((frame.lineno for frame in traceback.extract_tb(err.__traceback__)
                     if frame.filename.endswith("config.py") and "flask" not in frame.filename), "?")
        refuse_to_start(f"instance/config.py line {line}: {err}. Correct it, or remove the line.")


def refuse_to_start(reason: str):
    """One line for the operator instead of a traceback: on the terminal of a `flask` command, and
    in gunicorn's log, whose master then stops instead of starting workers that fail again and
    again (exit status 4 is gunicorn's "the app failed to load")."""
    print(f"Error: {reason}", file=sys.stderr, flush=True)
    raise StartupRefused(4)


def _instance_secret_key(path: Path) -> str:
    """Read instance/secret_key, creating it on first run. Written to a temporary file and linked
    into place, so a second worker starting at the same moment reads the whole key, never a part."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # fails if another worker got there first; then theirs stands
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it to have a new key made")
    return key
