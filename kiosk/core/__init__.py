"""The core every feature builds on: configuration, the database and its one commit per request,
the clock, languages, page-or-fragment rendering, error pages, the station of a request, photos,
QR codes and the shared list editor. It imports no feature."""

from pathlib import Path

from flask import Flask

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def in_a_command() -> bool:
    """Made for a `flask --app kiosk …` command (or a test's CLI runner), not to serve."""
    import click

    return click.get_current_context(silent=True) is not None


def _schema_tools_wanted(app: Flask) -> bool:
    """Flask-Migrate (with alembic, some 12 MB) for the `flask` command (`flask db upgrade`) and
    the tests; a serving worker never migrates, so it does not carry it."""
    return in_a_command() or bool(app.config.get("TESTING"))


def serving_problem(app: Flask, from_env=()) -> str | None:
    """Why a server must not start as set up (said in one line by create_app), or None. Commands
    skip it: `db upgrade` and `create-station` are what put these right."""
    from kiosk.core.config import setting_name
    from kiosk.core.database import schema_problem
    from kiosk.core.stations import configured_station_problem

    with app.app_context():
        return schema_problem() or configured_station_problem(setting_name("STATION", from_env))


def init_app(app: Flask) -> None:
    from kiosk.core import assets, cli, clock, database, display, error_pages, i18n, stations, transaction, web
    from kiosk.core.extensions import csrf, db, htmx, login_manager

    app.url_map.converters["int"] = web.IdConverter
    # First of all, before CSRF or any form parsing reads the body.
    app.before_request(web.limit_request_body)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    database.engine_options(app)
    db.init_app(app)
    database.tune_engines(app)
    if _schema_tools_wanted(app):
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    clock.init_app(app)
    i18n.init_app(app)
    display.init_app(app)
    web.init_app(app)
    assets.init_app(app)
    stations.init_app(app)
    transaction.init_app(app)
    error_pages.init_app(app)
    cli.init_app(app)
