"""Defaults. instance/config.py overrides them, and KIOSK_* environment variables override both."""

import json
import os
from datetime import timedelta


class Defaults:
    # SQLALCHEMY_DATABASE_URI is filled in by create_app(): a SQLite file in instance/.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Which station this kiosk stands in (slug). Empty: the only (or first) station.
    STATION = ""
    # Seconds a kiosk screen may sit untouched before the "still there?" warning,
    # and how long the warning gives before returning to the home screen (never under 20).
    IDLE_SECONDS = 90
    IDLE_WARNING_SECONDS = 30
    # The start screen on a tablet not set up as the kiosk (which has no idle warning) loads itself
    # again when untouched this long: today's date and lists never go stale there either.
    START_SCREEN_REFRESH_SECONDS = 300
    # On the station's kiosk tablet, a keeper request this long after the keeper's previous one
    # signs that tablet out (checked by the server, whatever the page's script did). Never less
    # than the screen's own idle time and warning together.
    KEEPER_IDLE_SECONDS = 300
    # Languages offered on every screen; the first is the default.
    LANGUAGES = ["zh_Hans", "zh_Hant", "en"]
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    LANGUAGE_COOKIE = "kiosk_lang"
    # 长辈模式: "large" text on this device (the 大字 switch on every screen).
    TEXT_SIZE_COOKIE = "kiosk_text"
    # Over plain HTTP on a station LAN the cookie cannot be Secure; set KIOSK_SECURE_COOKIES=1 behind HTTPS.
    SECURE_COOKIES = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A keeper's sign-in lasts a working day; "keep me signed in" on the station's own tablet, a month.
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    # Our forms carry their own translated messages: WTForms' catalog would be parsed on every request.
    WTF_I18N_ENABLED = False
    WTF_CSRF_TIME_LIMIT = None  # the kiosk page stays open all day; the token lives as long as the session
    # Above the 10 MB a photo may be, so an oversized photo gets a message beside the field. Only
    # pages that take a photo or a CSV accept that much (and a CSV's text coming back to be
    # confirmed); every other form is refused above FORM_MAX_CONTENT_LENGTH.
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    UPLOAD_FORM_MEMORY_SIZE = 3 * 1024 * 1024
    # How much disk all photos together may take (a re-encoded photo is about 0.2 MB): past it,
    # items and suggestions are still logged, without their photo.
    PHOTO_SPACE_MB = 2048
    FORM_MAX_CONTENT_LENGTH = 256 * 1024
    # Behind a reverse proxy (nginx, Caddy): how many proxies' X-Forwarded-For/-Proto to trust.
    # 0 trusts none, so a client cannot forge its address to get around a limit.
    TRUSTED_PROXIES = 0
    SQLITE_BUSY_TIMEOUT_MS = 15000
    # Where the workers of one machine leave each other a note that a save failed (core/storage.py):
    # memory, not disk, since a full disk is what it reports. "" means /dev/shm.
    SHARED_MEMORY_DIR = ""
    # Where tablets reach this station (kiosk/tablets: `make run HTTPS=1` serves both): plain HTTP
    # for barcode scanners and for downloading the station's certificate, HTTPS for the camera.
    HTTP_PORT = 5000
    HTTPS_PORT = 5443  # 0: none served (`make run` without HTTPS=1), and "Set up a tablet" says so
    # Names or addresses the station's HTTPS certificate should cover besides the machine's own
    # (its host name, name.local, its LAN IPv4 addresses, localhost): e.g. ["kiosk.lan"].
    TLS_EXTRA_NAMES: list = []


def file_overrides(config) -> None:
    """instance/config.py takes the same names as the environment: DATABASE_URL there is the
    database, as KIOSK_DATABASE_URL is (Flask-SQLAlchemy reads SQLALCHEMY_DATABASE_URI)."""
    if "DATABASE_URL" in config:
        config["SQLALCHEMY_DATABASE_URI"] = config.pop("DATABASE_URL")


def env_overrides(environ=os.environ) -> dict:
    """KIOSK_FOO=bar becomes FOO="bar"; values that read as JSON (numbers, true/false, lists) are parsed."""
    out = {}
    for key, raw in environ.items():
        if not key.startswith("KIOSK_") or key == "KIOSK_":
            continue
        name = key.removeprefix("KIOSK_")
        if name == "DATABASE_URL":
            name = "SQLALCHEMY_DATABASE_URI"
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if name in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "STATION"):
            value = raw  # always strings, even if they happen to look like numbers
        out[name] = value
    return out


class BadSetting(ValueError):
    """A setting the app cannot use, in one line: which one, what it is, and what it should look like."""


# Settings whose whole numbers are port numbers.
PORTS = ("HTTP_PORT", "HTTPS_PORT")
# Flask and Flask-Login take these as seconds or as a timedelta (in instance/config.py).
DURATIONS = ("PERMANENT_SESSION_LIFETIME", "REMEMBER_COOKIE_DURATION")


def check_settings(config, from_env=()) -> None:
    """Each setting the type its default has, so a wrong value stops the app at start-up with one
    line, rather than later (an upload's 500, a cookie that does the opposite, a list split into
    letters). `from_env`: the names set by KIOSK_* variables, to name the setting as it was set."""
    for name, default in vars(Defaults).items():
        if not name.isupper() or name not in config or config[name] is default:
            continue
        value = config[name]
        if isinstance(default, bool):
            # Defaults' own comment suggests KIOSK_SECURE_COOKIES=1: 1 and 0 read as JSON numbers.
            if not (isinstance(value, bool) or value in (0, 1) and type(value) is int):
                raise BadSetting(f"{setting_name(name, from_env)} is {_shown(value)}: write true or false.")
        elif isinstance(default, int):
            if name in DURATIONS and isinstance(value, timedelta):
                continue
            # HTTPS_PORT 0: this server serves no HTTPS (`make run` without HTTPS=1).
            lowest, highest = (int(name == "HTTP_PORT"), 65535) if name in PORTS else (0, None)
            if type(value) is not int or value < lowest or (highest and value > highest):
                example = f"from {lowest} to {highest}" if highest else f"such as {default}"
                raise BadSetting(f"{setting_name(name, from_env)} is {_shown(value)}: write a whole number, {example}.")
        elif isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise BadSetting(f"{setting_name(name, from_env)} is {_shown(value)}: write a JSON list of names, "
                                 """such as '["kiosk.lan"]'.""")
        elif isinstance(default, str) and not isinstance(value, str):
            raise BadSetting(f"{setting_name(name, from_env)} is {_shown(value)}: write it as text, in quotes.")
    _check_database_url(config, from_env)


def _check_database_url(config, from_env) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    value = config.get("SQLALCHEMY_DATABASE_URI")
    name = setting_name("SQLALCHEMY_DATABASE_URI", from_env)
    how = "such as sqlite:////srv/kiosk/kiosk.sqlite or postgresql+psycopg://kiosk:PASSWORD@db.example/kiosk"
    url = None
    try:
        url = make_url(value)
        url.get_dialect().import_dbapi()
    except (ArgumentError, NoSuchModuleError, ImportError, TypeError, AttributeError):
        shown = url.render_as_string(hide_password=True) if url is not None else value  # never the password
        raise BadSetting(f"{name} is {_shown(shown)}: write a database URL this kiosk can use, {how}.") from None


def setting_name(name: str, from_env) -> str:
    """The setting as the operator wrote it: KIOSK_FOO in the environment, else FOO in instance/config.py."""
    if name in from_env:
        return "KIOSK_" + ("DATABASE_URL" if name == "SQLALCHEMY_DATABASE_URI" else name)
    return ("DATABASE_URL" if name == "SQLALCHEMY_DATABASE_URI" else name) + " in instance/config.py"


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
