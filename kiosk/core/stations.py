"""Which station a request is for, what "today" means there, and setting up a new one.

Every request finds its station once (`load_station`): the one named in a phone link, else the
one a keeper set this tablet up for (a cookie), else the server's setting; a worker keeps what it
read for a moment (`STATION_FRESH_SECONDS`). Keeper pages replace it with the keeper's own station,
read afresh (`station_as_it_is`). Features never look a station up themselves."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from time import monotonic
from zoneinfo import ZoneInfo, available_timezones

from flask import Blueprint, Flask, abort, current_app, g, has_app_context, request
from itsdangerous import BadSignature, URLSafeSerializer
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from kiosk.core.database import begin_lookup, end_lookup
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import too_long
from kiosk.core.models import Station
from kiosk.core.text import half_width, one_line

KIOSK_STATION_COOKIE = "kiosk_station"


def configured_station_problem(setting: str = "KIOSK_STATION") -> str | None:
    """A server whose STATION names no station would record every check-in, suggestion and swap
    item at the first station instead (station_for_kiosk falls back to it): said at start-up."""
    slug = current_app.config["STATION"]
    if not slug or db.session.scalar(_BY_SLUG, {"slug": slug[:40]}) is not None:
        return None
    known = db.session.scalars(select(Station.slug).order_by(Station.id)).all()
    there = f"its stations: {', '.join(known)}" if known else "it has no station yet"
    return (f"{setting} is {slug!r}, but the database has no such station ({there}). Correct the name, or add the "
            f"station first: .venv/bin/flask --app kiosk create-station {slug} NAME")


def station_for_kiosk(slug: str = "") -> Station | None:
    """The named station, or the first one when none is named (or the name is unknown)."""
    slug = slug[:40]
    if slug:
        station = _remembered(slug, _BY_SLUG, {"slug": slug})
        if station is not None:
            return station
    return _remembered("", _FIRST, {})


# Built once: every request runs one of them.
_BY_SLUG = select(Station).where(Station.slug == bindparam("slug"))
_FIRST = select(Station).order_by(Station.id).limit(1)

# Every request needs its station, and a station changes seldom (a keeper's settings): each
# worker keeps the stations it read for a moment. A change made in this worker is seen by its
# next request; one made by another worker or app machine within this many seconds.
STATION_FRESH_SECONDS = 2.0


def _remembered(key: str, query, params: dict) -> Station | None:
    """The station this worker read under `key` less than STATION_FRESH_SECONDS ago, else read now.
    The kept copy belongs to no session; each request gets its own copy in its own session
    (merge without loading), so it reads, changes and lazy-loads as if just queried."""
    kept = current_app.extensions.setdefault("kiosk_stations", {})
    now = monotonic()
    read_at, copy = kept.get(key, (None, None))
    if copy is not None and now - read_at < STATION_FRESH_SECONDS:
        return db.session.merge(copy, load=False)
    station = db.session.scalar(query, params)
    # An unknown name is not kept (only real stations take room), nor a station this session has
    # changed and not yet committed.
    if station is not None and not db.session.is_modified(station):
        kept[key] = (now, _detached_copy(station))
    return station


def station_as_it_is(station_id: int) -> Station | None:
    """The station as the database holds it now, for keeper pages. The kept copy is for the kiosk's
    rush of scans; a keeper who just saved a setting may be answered by the other worker, whose copy
    is from before the change, and a keeper's change must start from the station as it is (on a
    stale copy, saving the old value again would look like no change and be lost)."""
    # Overwrites the request's merged copy in place, so g.station and every relationship agree.
    return db.session.get(Station, station_id, populate_existing=True)


def _detached_copy(station: Station) -> Station:
    """A copy of a station as read, in no session: the session's own object stays where it is."""
    copy = Station(**{attr.key: getattr(station, attr.key) for attr in inspect(Station).column_attrs})
    make_transient_to_detached(copy)  # as if loaded and let go: no changes to flush, its row's identity
    return copy


@event.listens_for(Session, "after_flush")
def _note_changed_stations(session: Session, _context) -> None:
    if any(isinstance(o, Station) for o in chain(session.new, session.dirty, session.deleted)):
        session.info["stations_changed"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_changed_stations(session: Session, transaction) -> None:
    # Committed or not, this worker reads its stations afresh after a change to one.
    if transaction.parent is None and session.info.pop("stations_changed", False) and has_app_context():
        current_app.extensions.pop("kiosk_stations", None)


SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def add_station(slug: str, name: str, timezone: str = "Asia/Shanghai") -> Station:
    if not SLUG.fullmatch(slug or ""):
        raise DomainError(_l("A station's short name uses a-z, 0-9 and -, at most 40."), field="slug")
    name = station_name(name)
    check_timezone(timezone)
    if db.session.scalar(select(Station).where(Station.slug == slug)):
        raise DomainError(_l("A station with this short name exists already."), field="slug")
    station = Station(slug=slug, name=name, timezone=timezone)
    db.session.add(station)
    db.session.flush()
    set_up_station(station)
    return station


def check_timezone(timezone: str) -> None:
    # A real place's zone ("Asia/Shanghai"): not the machine's "localtime", nor tzdata's "Factory".
    if timezone in ("localtime", "Factory") or timezone not in available_timezones():
        raise DomainError(_l("Unknown time zone “%(zone)s”: use a name such as Asia/Shanghai.", zone=timezone),
                          field="timezone")


def set_timezone(station: Station, timezone: str) -> None:
    """Put right the zone a station was created with. Times are kept in UTC, so nothing stored
    changes: the days and times its pages show move to the new zone."""
    check_timezone(timezone)
    station.timezone = timezone


def station_name(name: str | None, station: Station | None = None) -> str:
    """A station's name as it is kept (spaces tidied), or a DomainError: 1 to 80 characters, and no
    other station's (`station`: the one being renamed, which may keep its own)."""
    name = one_line(name)  # no right-to-left override or control character on every screen's top bar
    if not name or len(name) > 80:
        raise DomainError(_l("Please enter the station's name (at most 80 characters)."), field="name")
    same = select(Station.id).where(Station.name == name)
    if station is not None:
        same = same.where(Station.id != station.id)
    if db.session.scalar(same.limit(1)) is not None:
        raise DomainError(_l("A station with this name exists already."), field="name")
    return name


def traditional_name(name: str | None) -> str:
    """The station's name as 繁體 pages write it, as it is kept: on one line, without control or
    format characters (it is on every public screen); blank is allowed."""
    name = one_line(name)
    if len(name) > 80:
        raise DomainError(too_long(80), field="name_hant")
    return name


def on_new_station(app: Flask, set_up: Callable[[Station], None]) -> None:
    """A feature gives every new station its standard lists (services, categories …) this way."""
    app.extensions.setdefault("kiosk_station_setup", []).append(set_up)


def on_new_hours(app: Flask, ask: Callable) -> None:
    """A feature says what new opening and closing times would do at once, before a keeper saves
    them: ask(station, opens_at, closes_at, now) -> what it would do, in words, or None."""
    app.extensions.setdefault("kiosk_new_hours_questions", []).append(ask)


def what_new_hours_do(station: Station, opens_at: time, closes_at: time, now: datetime) -> list[str]:
    return [said for ask in current_app.extensions.get("kiosk_new_hours_questions", [])
            if (said := ask(station, opens_at, closes_at, now))]


def set_up_station(station: Station) -> None:
    """The one place a new station gets each feature's standard lists."""
    for set_up in current_app.extensions.get("kiosk_station_setup", []):
        set_up(station)
    db.session.flush()


def local_today(station: Station, now: datetime) -> date:
    return now.astimezone(ZoneInfo(station.timezone)).date()


def day_bounds(station: Station, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where the station's local day starts and ends (DST-safe)."""
    zone = ZoneInfo(station.timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start, end


def first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_bounds(station: Station, day: date) -> tuple[datetime, datetime]:
    """The instants where the station's local month holding `day` starts and ends."""
    return day_bounds(station, day.replace(day=1))[0], day_bounds(station, first_of_next_month(day))[0]


def local_moment(station: Station, day: date, at: time) -> datetime:
    return datetime.combine(day, at, ZoneInfo(station.timezone))


# The days a form accepts: a year outside them is a slip of the finger (0001, 2206), never a shift.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def out_of_range(field: str) -> DomainError:
    """A real date outside FIRST_DAY..LAST_DAY: said as such, not as a wrongly written one."""
    return DomainError(_l("Please enter a date between %(first)s and %(last)s.", first=FIRST_DAY.isoformat(),
                          last=LAST_DAY.isoformat()), field=field)


# Written as asked (2026-02-29), month and all, but the month has no such day: telling the keeper
# how to write a date would send them looking for a fault that is not there.
WRITTEN_AS_A_DATE = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])-[0-9]{2}")
NO_SUCH_DAY = _l("This day does not exist. Please check the date.")


def _no_such_day(text: str) -> bool:
    """Whether `text` starts with a date written right whose day is not in its month."""
    if not WRITTEN_AS_A_DATE.fullmatch(text[:10]):
        return False
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return True
    return False


def parse_local_datetime(station: Station, text: str | None, field: str) -> datetime | None:
    """A time a keeper typed (2026-11-22T09:00, as a datetime-local input sends it) in the
    station's timezone, as an aware UTC instant. Blank gives None."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            naive = datetime.strptime(text[:19], pattern)
            break
        except ValueError:
            continue
    else:
        if _no_such_day(text):
            raise DomainError(NO_SUCH_DAY, field=field)
        raise DomainError(_l("Please enter a date and time such as 2026-11-22 09:00."), field=field)
    if not FIRST_DAY <= naive.date() <= LAST_DAY:  # far years would also overflow the clock
        raise out_of_range(field)
    return naive.replace(tzinfo=ZoneInfo(station.timezone)).astimezone(UTC)


def parse_day(text: str | None, field: str = "day") -> date:
    """A date a form sent (2026-11-22), between FIRST_DAY and LAST_DAY, or a DomainError."""
    text = (text or "").strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise DomainError(NO_SUCH_DAY if _no_such_day(text) else _l("Please enter a date such as 2026-11-22."),
                          field=field)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise out_of_range(field)
    return day


BAD_MONTH = _l("Please choose a month such as 2026-11.")


def parse_month(text: str | None, field: str = "month") -> date:
    """A month a form sent (2026-11, or ２０２６-１１ from a keyboard in full-width mode) as its first
    day, between FIRST_DAY and LAST_DAY, or a DomainError naming the field."""
    text = half_width(text or "").strip()
    y, _, m = text.partition("-")
    if not (len(text) == 7 and y.isascii() and y.isdigit() and m.isascii() and m.isdigit() and 1 <= int(m) <= 12):
        raise DomainError(BAD_MONTH, field=field)
    if not FIRST_DAY.year <= int(y) <= LAST_DAY.year:
        raise DomainError(_l("Please choose a month between %(first)s and %(last)s.",
                             first=FIRST_DAY.strftime("%Y-%m"), last=LAST_DAY.strftime("%Y-%m")), field=field)
    return date(int(y), int(m), 1)


def local_input_value(station: Station, moment: datetime | None) -> str:
    """The value a datetime-local input shows for a stored instant."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(station.timezone)).strftime("%Y-%m-%dT%H:%M")


# --- The station of a request ----------------------------------------------------------------


def phone_page(view):
    """Marks a page a resident's or volunteer's phone opens from a kiosk QR. The phone has no
    kiosk cookie, so the station travels in the link (?station=slug) and in every link on the page."""
    view.phone_page = True
    return view


def _is_phone_page(endpoint: str | None) -> bool:
    return bool(endpoint) and getattr(current_app.view_functions.get(endpoint), "phone_page", False)


def _tablet_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kiosk-tablet")


def kiosk_tablet_cookie(station: Station) -> str:
    """The cookie value that makes a tablet this station's kiosk. Signed: only a keeper's
    "use this tablet as the station's kiosk" can make one, and only such a tablet shows the
    station QR that phones check in with."""
    return _tablet_serializer().dumps(station.slug)


def _tablet_slug() -> str:
    try:
        slug = _tablet_serializer().loads(request.cookies.get(KIOSK_STATION_COOKIE, "")[:200])
    except BadSignature:
        return ""
    return slug if isinstance(slug, str) else ""


def load_station() -> None:
    begin_lookup()
    named = request.args.get("station", "")[:40] if _is_phone_page(request.endpoint) else ""
    tablet = _tablet_slug()
    g.station = station_for_kiosk(named or tablet or current_app.config["STATION"])
    # A tablet a keeper set up for this very station (not merely one showing it).
    g.kiosk_tablet = bool(tablet) and g.station is not None and g.station.slug == tablet
    end_lookup()


def keep_station_in_phone_links(endpoint: str, values: dict) -> None:
    if "station" not in values and g.get("station") is not None and _is_phone_page(endpoint):
        values["station"] = g.station.slug


def need_station() -> None:
    if g.get("station") is None:
        abort(503)  # "Station not set up yet": no station in the database, or none chosen


def station_required(bp: Blueprint) -> Blueprint:
    """Every page of this blueprint needs a station."""
    bp.before_request(need_station)
    return bp


def station_record(model, record_id: int):
    """A record of the current station by id, or 404: never another station's."""
    record = db.session.get(model, record_id)
    if record is None or record.station_id != g.station.id:
        abort(404)
    return record


def init_app(app: Flask) -> None:
    app.before_request(load_station)
    app.url_defaults(keep_station_in_phone_links)
