"""暖心驿站 kiosk: the application factory."""

import os
import secrets
from pathlib import Path

from flask import Flask

from .config import Defaults, env_overrides

PACKAGE_DIR = Path(__file__).resolve().parent


def create_app(test_config: dict | None = None) -> Flask:
    test_config = dict(test_config) if test_config is not None else None
    instance_path = test_config.pop("INSTANCE_PATH", None) if test_config else None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(Defaults)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "kiosk.sqlite")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(env_overrides())
    else:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path) / "secret_key")
    secure = bool(app.config["SECURE_COOKIES"])
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)

    from . import clock, database, i18n, labels, web

    app.url_map.converters["int"] = web.IdConverter
    from .extensions import csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    database.tune_engines(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    clock.init_app(app)
    web.init_app(app)
    labels.init_app(app)
    login_manager.login_view = "auth.login"

    from . import keepers, models  # noqa: F401  (registers the tables and the user loader)
    from .routes import auth, checkin, errors, keeper, kiosk, phone, services, suggest, swap

    for blueprint in (kiosk.bp, checkin.bp, services.bp, swap.bp, suggest.bp, phone.bp, auth.bp, keeper.bp):
        app.register_blueprint(blueprint)
    errors.init_app(app)

    from . import cli

    cli.init_app(app)
    return app


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
