"""Languages and the one helper that shows a UTC time in the station's timezone."""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, current_app, g, make_response, redirect, request, url_for
from babel.dates import format_skeleton
from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import format_date, format_datetime, get_locale
from werkzeug.exceptions import HTTPException

from kiosk.core.extensions import babel
from kiosk.core.web import came_from, safe_next

# Each language is named in itself: a reader looks for their own script, not a translation of it.
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}
# The same on a phone's narrow header, where the three must share one row with 大字.
LANGUAGE_SHORT_NAMES = {"zh_Hans": "简体", "zh_Hant": "繁體", "en": "EN"}
# What the <html lang> attribute says, so the browser picks the right CJK glyphs.
HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}


bp = Blueprint("language", __name__)


@bp.post("/language")
def choose():
    """The language switch on every screen; the tablet remembers it, not a person."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    response = make_response(redirect(safe_next(request.form.get("next"), url_for("kiosk.home")), 303))
    response.set_cookie(current_app.config["LANGUAGE_COOKIE"], lang, max_age=5 * 365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_language, timezone_selector=select_timezone)
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        LANGUAGE_SHORT_NAMES=LANGUAGE_SHORT_NAMES,
        current_language=current_language,
        html_lang=lambda: HTML_LANG[current_language()],
        local_time=local_time,
        local_end_time=local_end_time,
        local_date=local_date,
        local_month=local_month,
        station_title=station_title,
    )
    app.jinja_env.filters["hours"] = format_hours
    app.after_request(say_what_the_language_depends_on)


def own_device_page(view):
    """Marks a page a person opens on their own phone (phone pages are marked already): before the
    phone has used the language switch, it reads the phone's own language."""
    view.own_device_page = True
    return view


def station_title(station) -> str:
    """The station's name as this page writes it: on a 繁體 page the keeper's 繁體 name, if any."""
    if station is None:
        return ""
    if station.name_hant and current_language() == "zh_Hant":
        return station.name_hant
    return station.name


def current_language() -> str:
    """The language the device chose with the switch (a cookie). Before it has chosen, a page on a
    person's own phone reads the phone's language (a resident opening the suggestion box from its
    QR); a station screen reads the station's first language whatever its browser was set to."""
    if not request:
        return current_app.config["LANGUAGES"][0]
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    if reads_the_devices_language():
        for tag, _quality in request.accept_languages:  # best first
            asked = browser_language(tag)
            if asked in current_app.config["LANGUAGES"]:
                return asked
    return current_app.config["LANGUAGES"][0]


def _is_own_device_view(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "phone_page", False) or getattr(view, "own_device_page", False)


def reads_the_devices_language() -> bool:
    """A page for a person's own phone, opened from outside (a QR) or from another such page. The
    same page reached from a station screen (a swap item tapped on the kiosk's shelf) is the
    station's, in its language: one language per screen; and on the station's own kiosk tablet
    every page is a station screen, one opened by its address too."""
    if not _is_own_device_view(request.endpoint) or g.get("kiosk_tablet"):
        return False
    page = came_from()
    if page is None:
        return True
    try:
        endpoint, _args = current_app.url_map.bind(request.host).match(page.split("?")[0], method="GET")
    except HTTPException:  # a page that is not (or no longer) here: not a station screen either
        return True
    return _is_own_device_view(endpoint)


def say_what_the_language_depends_on(response):
    """A page in the phone's own language differs by Accept-Language and the switch's cookie: a
    shared cache (a community Wi-Fi's proxy) must not hand one phone's page to the next."""
    if reads_the_devices_language():
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def browser_language(tag: str) -> str | None:
    """An Accept-Language tag as a language here: Traditional Chinese is zh-Hant, or Chinese as
    written in Taiwan, Hong Kong or Macao; any other Chinese is Simplified."""
    parts = tag.lower().replace("_", "-").split("-")
    if parts[0] == "zh":
        return "zh_Hant" if {"hant", "tw", "hk", "mo"} & set(parts[1:]) and "hans" not in parts else "zh_Hans"
    return "en" if parts[0] == "en" else None


def select_language() -> str:
    return current_language()


def select_timezone() -> str:
    station = g.get("station")
    return station.timezone if station is not None else "Asia/Shanghai"


def station_zone(station) -> ZoneInfo:
    return ZoneInfo(station.timezone)


def local_time(moment: datetime, station=None, format: str = "HH:mm") -> str:
    """A stored UTC moment as the station's wall-clock time, in the reader's language."""
    station = station or g.get("station")
    zone = station_zone(station) if station is not None else ZoneInfo("Asia/Shanghai")
    return format_datetime(moment.astimezone(zone).replace(tzinfo=None), format, rebase=False)


def local_end_time(start: datetime, end: datetime, station=None) -> str:
    """An end time beside its start: 17:30, or 12-03 02:00 when it falls on a later day (a night
    patrol), so 20:00 – 02:00 never reads as a session that ended before it began."""
    station = station or g.get("station")
    zone = station_zone(station) if station is not None else ZoneInfo("Asia/Shanghai")
    later_day = end.astimezone(zone).date() != start.astimezone(zone).date()
    return local_time(end, station, format="MM-dd HH:mm" if later_day else "HH:mm")


def local_date(day: date, format: str = "long") -> str:
    return format_date(day, format)


def local_month(day: date) -> str:
    """The month `day` is in, as people write it: 2026年12月, December 2026."""
    return format_skeleton("yMMMM", day, locale=get_locale())


def format_hours(minutes: int | None) -> str:
    """Minutes served as hours the way people say them: 3.5, 12, 0.5, and 1.25 at a quarter-hour step
    (one decimal would show 1.2 beside the 1.25 of a file)."""
    return _hours_in(str(get_locale()), minutes or 0)


@lru_cache(maxsize=8192)
def _hours_in(locale: str, minutes: int) -> str:
    # Every check-in shows three of these, and Babel works each one out from its locale data
    # afresh; the few thousand totals a station shows are kept per worker instead.
    return babel_format_decimal(minutes / 60, format="#,##0.##", locale=locale)
