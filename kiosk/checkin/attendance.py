"""Check-in rules: one scan checks in, the next checks out, a quick second scan changes nothing,
and a session nobody closed is closed at closing time and flagged for a keeper."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from kiosk.checkin.models import ServiceSession
from kiosk.core.database import begin_writing, epoch_seconds, floor_int, reads_before_writing
from kiosk.core.errors import DomainError
from kiosk.core.text import MOBILE, half_width, typed_digits, without_country_code
from kiosk.core.limits import check_and_count
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import day_bounds, local_moment, local_today
from kiosk.people.badges import SCAN_AGAIN, volunteer_for_token
from kiosk.people.models import Volunteer
from kiosk.people.privacy import refuse_if_erased


DEACTIVATED = _l("This volunteer is no longer active. Please see a keeper.")
# Check-ins made without a badge (a typed number) wait for a keeper to confirm them.
FLAGGED_METHODS = frozenset({"manual"})


@dataclass(frozen=True)
class ScanResult:
    outcome: str  # checked_in | checked_out | already_in | already_out
    volunteer: Volunteer
    session: ServiceSession
    minutes: int | None  # rounded minutes served in this session, once it is closed
    today_minutes: int
    total_minutes: int
    notes: tuple[str, ...] = ()  # lines other features add (a volunteer's stars), see add_scan_note
    activity: str | None = None  # the activity this check-in went to, see add_activity_finder
    # An "already" inside the duplicate window: the minute from which the next scan counts again
    # (checks out, or after a check-out checks in anew), and how long the window is. Said to the
    # volunteer, who may be leaving and scanned on purpose.
    counts_from: datetime | None = None
    window_minutes: int = 0

    @property
    def changed(self) -> bool:
        return self.outcome in ("checked_in", "checked_out")


def served_minutes(checked_in_at: datetime, checked_out_at: datetime, rounding_minutes: int) -> int:
    """Minutes on duty, rounded to the station's step (half up: 3 h 15 min at a 30-min step is 3.5 h)."""
    return rounded_minutes(int((checked_out_at - checked_in_at).total_seconds() // 60), rounding_minutes)


def rounded_minutes(minutes: int, step: int) -> int:
    """Minutes to a whole number of `step`, half up; never below zero. Records and certificates
    count in half hours: rounded_minutes(m, 30)."""
    step = max(1, step)
    return ((max(0, minutes) + step // 2) // step) * step


def served_minutes_sql(step: int):
    """served_minutes in SQL, for sums over many sessions: whole minutes (a millisecond's slack
    for the floating point of SQLite's day numbers), half up to the station's step, never below
    zero, and nothing for a session still open."""
    s = ServiceSession
    whole = floor_int((epoch_seconds(s.checked_out_at) - epoch_seconds(s.checked_in_at) + 0.001) / 60)
    step = max(1, step)
    return case((s.checked_out_at.is_not(None) & (s.checked_out_at >= s.checked_in_at),
                 (whole + step // 2) // step * step), else_=0)


def session_minutes(session: ServiceSession, station: Station) -> int:
    if session.checked_out_at is None:
        return 0
    return served_minutes(session.checked_in_at, session.checked_out_at, station.hours_rounding_minutes)


def minutes_served(station: Station, volunteer_id: int, since: datetime | None = None, until: datetime | None = None) -> int:
    """All the volunteer's minutes (of sessions begun in [since, until) when given), added up in
    the database however many years they have served."""
    s = ServiceSession
    query = select(func.sum(served_minutes_sql(station.hours_rounding_minutes))).where(
        s.volunteer_id == volunteer_id, s.checked_out_at.is_not(None))
    if since is not None:
        query = query.where(s.checked_in_at >= since)
    if until is not None:
        query = query.where(s.checked_in_at < until)
    return int(db.session.scalar(query) or 0)  # PostgreSQL sums are Decimal


# Built once: a scan runs these every time, and building a statement costs more than running it.
_LAST_CLOSED = select(ServiceSession).where(
    ServiceSession.volunteer_id == bindparam("volunteer_id"), ServiceSession.checked_out_at.is_not(None)
).order_by(ServiceSession.checked_out_at.desc()).limit(1)
_NEW_SESSION = ServiceSession.__table__.insert()
# The columns it sets are the ones given when it runs (a close may also flag the session).
_CLOSE_SESSION = ServiceSession.__table__.update().where(
    ServiceSession.__table__.c.id == bindparam("session_id"), ServiceSession.__table__.c.checked_out_at.is_(None))


_CLAIM_CHECK_OUT = ServiceSession.__table__.update().where(
    ServiceSession.__table__.c.id == bindparam("session_id"), ServiceSession.__table__.c.check_out_method == "auto")


# The longest session anyone records, by hand (longer is almost surely a typo in the date) or by
# the system's closing of a forgotten one.
MAX_SESSION_HOURS = 16


def auto_close_deadline(station: Station, checked_in_at: datetime, opens_at: time | None = None,
                        closes_at: time | None = None) -> datetime:
    """When an unclosed session is closed for the volunteer: that day's closing time; for a
    check-in after closing (an evening patrol), the next day's opening time, so a scan after
    midnight is still the check-out they meant. Never more than MAX_SESSION_HOURS after the
    check-in (a check-in at 00:30 would run to 20:00): what the system closes, a keeper could type.
    At the station's hours, or at the `opens_at` and `closes_at` a keeper is about to save."""
    opens_at, closes_at = opens_at or station.opens_at, closes_at or station.closes_at
    day = checked_in_at.astimezone(ZoneInfo(station.timezone)).date()
    closing = local_moment(station, day, closes_at)
    if checked_in_at < closing:
        deadline = closing
    else:
        deadline = local_moment(station, day + timedelta(days=1), opens_at or time(0))
    return min(deadline, checked_in_at + timedelta(hours=MAX_SESSION_HOURS))


def system_closing(station: Station, session: ServiceSession) -> str:
    """Which of auto_close_deadline's times the system closed a session at, read from its times:
    "closing" (its day's closing time), "opening" (begun after closing: the next opening time),
    "longest" (MAX_SESSION_HOURS after the check-in), "next session" (a check-in a keeper typed
    before a later session, closed where that one begins: corrections.keeper_check_in), or ""
    (the station's hours have changed since)."""
    zone = ZoneInfo(station.timezone)
    start, end = session.checked_in_at.astimezone(zone), session.checked_out_at.astimezone(zone)
    if end.date() == start.date() and end.time() == station.closes_at:
        return "closing"
    if end.date() == start.date() + timedelta(days=1) and end.time() == station.opens_at:
        return "opening"
    if end - start == timedelta(hours=MAX_SESSION_HOURS):
        return "longest"
    if db.session.scalar(select(ServiceSession.id).where(ServiceSession.volunteer_id == session.volunteer_id,
                                                         ServiceSession.checked_in_at == session.checked_out_at)):
        return "next session"
    return ""


def open_sessions(station: Station, volunteer_id: int | None = None) -> list[ServiceSession]:
    """Sessions nobody has closed yet, the station's or one volunteer's (the open-sessions index)."""
    query = select(ServiceSession).where(ServiceSession.station_id == station.id,
                                         ServiceSession.checked_out_at.is_(None))
    if volunteer_id is not None:
        query = query.where(ServiceSession.volunteer_id == volunteer_id)
    return list(db.session.scalars(query))


def open_session(station: Station, volunteer_id: int) -> ServiceSession | None:
    """The volunteer's one open session, if any (at most one: uq_service_session_one_open)."""
    return next(iter(open_sessions(station, volunteer_id)), None)


def on_duty_since(station: Station, volunteer_id: int, now: datetime) -> datetime | None:
    """When the volunteer checked in, while their session is under way (not one the system closes
    at its closing time): what their next scan will do."""
    session = open_session(station, volunteer_id)
    if session is None or now >= auto_close_deadline(station, session.checked_in_at):
        return None
    return session.checked_in_at


def next_scan_checks_out(station: Station, volunteer_id: int, now: datetime) -> datetime | None:
    """When the volunteer checked in, if their next scan would check them out (what a phone's one
    button says before the tap): a session under way, one left open past today's closing time, or
    one the system closed at today's closing time that no scan has claimed yet (see _record)."""
    session = open_session(station, volunteer_id)
    if session is not None:
        meant = now < auto_close_deadline(station, session.checked_in_at) or _checked_in_today(station, session, now)
        return session.checked_in_at if meant else None
    last = db.session.scalar(_LAST_CLOSED, {"volunteer_id": volunteer_id})
    if _closed_at_todays_closing(station, last, now) and last.check_out_method == "auto":
        return last.checked_in_at
    return None


def forgotten_sessions(station: Station, now: datetime, volunteer_id: int | None = None) -> list[ServiceSession]:
    """Open sessions whose closing time has passed (read only)."""
    return [s for s in open_sessions(station, volunteer_id) if now >= auto_close_deadline(station, s.checked_in_at)]


def close_forgotten_sessions(station: Station, now: datetime, volunteer_id: int | None = None) -> list[ServiceSession]:
    closed = forgotten_sessions(station, now, volunteer_id)
    for session in closed:
        session.checked_out_at = auto_close_deadline(station, session.checked_in_at)
        session.check_out_method = "auto"
        session.auto_closed = True
        session.needs_review = True
        session.updated_at = now
    db.session.flush()
    return closed


def settle_forgotten_sessions(station: Station, now: datetime) -> None:
    """Keeper views show forgotten sessions as the system closed them. This is the one write a
    keeper's GET may cause, so it takes the write lock only when there is something to close; the
    request commits it at its end."""
    if forgotten_sessions(station, now):
        begin_writing()
        close_forgotten_sessions(station, now)


def scan_badge(station: Station, raw_code: str, method: str, now: datetime) -> ScanResult:
    """A badge scanned at the kiosk (camera or scanner) or on a phone."""
    with reads_before_writing():
        volunteer = volunteer_for_token(station, raw_code)
        so_far = _attendance_so_far(station, volunteer, now)
    return _record_as_it_stands(station, volunteer, so_far, method, now)


def record_attendance(station: Station, volunteer: Volunteer, method: str, now: datetime) -> ScanResult:
    """Check the volunteer in, or out, or — inside the duplicate window — change nothing."""
    with reads_before_writing():
        so_far = _attendance_so_far(station, volunteer, now)
    return _record_as_it_stands(station, volunteer, so_far, method, now)


# Each try loses only to another kiosk's write to this same volunteer in the same instant.
TRIES = 3


def _record_as_it_stands(station: Station, volunteer: Volunteer, so_far: "SoFar", method: str,
                         now: datetime) -> ScanResult:
    """Record the scan; if another kiosk checked this volunteer in between this scan's reads and
    its write (the database keeps one open session), undo, read again and decide again on what
    now stands: usually "already in", or, with no duplicate window, the check-out."""
    for tried in range(1, TRIES + 1):
        try:
            return _record(station, volunteer, so_far, method, now)
        except OpenedMeanwhile:
            db.session.rollback()  # the insert was this transaction's only change (see _record)
        if tried < TRIES:
            with reads_before_writing():
                so_far = _attendance_so_far(station, volunteer, now)
    raise DomainError(SCAN_AGAIN)


def add_scan_note(app: Flask, note: Callable[[Station, Volunteer, int], str | None]) -> None:
    """A line another feature adds to the confirmation of a scan (a volunteer's stars), given the
    volunteer's confirmed minutes so far (already read for the hours, so no query of its own). It
    is worked out with the scan's other reads, before the write lock is taken."""
    app.extensions.setdefault("kiosk_scan_notes", []).append(note)


def add_activity_finder(app: Flask, find: Callable[[Station, Volunteer, datetime], tuple[int, str] | None]) -> None:
    """How a check-in finds the activity the volunteer came for (kiosk/activities): its id and
    name, or None for the station's everyday duty. Read before the write lock, like the notes."""
    app.extensions["kiosk_activity_finder"] = find


@dataclass(frozen=True)
class SoFar:
    """What a scan reads before it takes the write lock."""
    open_session: ServiceSession | None
    today_minutes: int  # of the sessions closed before this scan
    total_minutes: int
    last_closed_at: datetime | None  # when their last session was closed
    # That session, read only when the system closed it at today's closing time: the scan after
    # closing that means "check me out" finds it closed already (a keeper's page closed it).
    closed_at_closing: ServiceSession | None
    notes: tuple[str, ...]
    activity: tuple[int, str] | None  # where a new check-in goes


def _attendance_row(station: Station, volunteer_id: int, now: datetime):
    """The volunteer's open session (or None) beside today's, all and confirmed minutes of their
    closed sessions and their last check-out: one row, however many years they have served."""
    start, end = day_bounds(station, local_today(station, now))
    return db.session.execute(_attendance_statement(station.hours_rounding_minutes),
                              {"volunteer_id": volunteer_id, "day_start": start, "day_end": end}).one()


@lru_cache(maxsize=16)
def _attendance_statement(step: int):
    # Built once per rounding step: building it cost a scan more than running it. One statement,
    # not two: a rush of scans spends its time in each statement's round through the ORM.
    s = ServiceSession
    minutes = served_minutes_sql(step)
    in_today = (s.checked_in_at >= bindparam("day_start", type_=s.checked_in_at.type)) & (
        s.checked_in_at < bindparam("day_end", type_=s.checked_in_at.type))
    closed = (select(func.sum(case((in_today, minutes), else_=0)).label("today"), func.sum(minutes).label("total"),
                     func.sum(case((s.confirmed_at.is_not(None), minutes), else_=0)).label("confirmed"),
                     func.max(s.checked_out_at).label("last_closed_at"))
              .where(s.volunteer_id == bindparam("volunteer_id"), s.checked_out_at.is_not(None)).subquery())
    # The aggregate is always one row; the open session (the database keeps at most one) joins it.
    return (select(ServiceSession, closed.c.today, closed.c.total, closed.c.confirmed, closed.c.last_closed_at)
            .select_from(closed)
            .outerjoin(ServiceSession, (ServiceSession.volunteer_id == bindparam("volunteer_id"))
                       & ServiceSession.checked_out_at.is_(None)))


def _attendance_so_far(station: Station, volunteer: Volunteer, now: datetime) -> SoFar:
    """The volunteer's open session, the minutes of their closed ones, the notes for the
    confirmation and the activity a check-in would go to, read before the write lock."""
    if volunteer.station_id != station.id:
        raise DomainError(_l("This volunteer belongs to another station."))
    refuse_if_erased(volunteer)
    if not volunteer.active:
        raise DomainError(DEACTIVATED)
    open_session, *sums, last_closed_at = _attendance_row(station, volunteer.id, now)
    today, total, confirmed = (int(m or 0) for m in sums)  # PostgreSQL sums are Decimal
    closed_at_closing = None
    if open_session is None and last_closed_at == local_moment(station, local_today(station, now), station.closes_at):
        closed_at_closing = db.session.scalar(_LAST_CLOSED, {"volunteer_id": volunteer.id})
    notes = tuple(str(text) for note in current_app.extensions.get("kiosk_scan_notes", [])
                  if (text := note(station, volunteer, confirmed)))
    find = current_app.extensions.get("kiosk_activity_finder")
    activity = find(station, volunteer, now) if find is not None and open_session is None else None
    return SoFar(open_session, today, total, last_closed_at, closed_at_closing, notes, activity)


def _record(station: Station, volunteer: Volunteer, so_far: SoFar, method: str, now: datetime) -> ScanResult:
    """What the volunteer has done so far was read before the write lock was taken; each change
    here holds on its own if another kiosk got in between: a close only closes a session still
    open, and the database keeps at most one open session per volunteer."""
    open_session, notes = so_far.open_session, so_far.notes
    totals = (so_far.today_minutes, so_far.total_minutes)
    result = partial(_result, station, volunteer, totals, now, notes)
    window = timedelta(minutes=station.duplicate_window_minutes)

    if open_session is not None and now >= auto_close_deadline(station, open_session.checked_in_at):
        # Left open past closing time: the system closes it at closing time, for a keeper to check.
        deadline = auto_close_deadline(station, open_session.checked_in_at)
        meant = _checked_in_today(station, open_session, now)
        # Scanning out a little after closing: that is the check-out they meant. It counts to
        # closing time and stays flagged for a keeper, but it does not open a new session.
        if not close_if_open(open_session, deadline, method if meant else "auto", now, auto_closed=True,
                             needs_review=True):
            return result("already_out", open_session)
        if meant:
            return result("checked_out", open_session, closed_now=True)
        result = partial(_result, station, volunteer, _with_closed(station, totals, open_session, now), now, notes)
        open_session = None

    closed = so_far.closed_at_closing
    if _closed_at_todays_closing(station, closed, now):
        if closed.check_out_method == "auto":
            # The same check-out after a keeper's page (or the nightly command) closed the session
            # at closing time: this scan is the one that meant it, and begins nothing.
            if _claim_check_out(closed, method, now):
                return result("checked_out", closed)
        if now - closed.updated_at < window:  # scanned again: the window counts from that scan
            return result("already_out", closed, counts_from=_next_whole_minute(closed.updated_at + window))

    if open_session is not None:
        if now - open_session.checked_in_at < window:
            return result("already_in", open_session, counts_from=_next_whole_minute(open_session.checked_in_at + window))
        flag = {"needs_review": True} if method in FLAGGED_METHODS else {}
        if close_if_open(open_session, now, method, now, **flag):
            return result("checked_out", open_session, closed_now=True)
        return result("already_out", open_session)

    if so_far.last_closed_at is not None and now - so_far.last_closed_at < window:
        return result("already_out", db.session.scalar(_LAST_CLOSED, {"volunteer_id": volunteer.id}),
                      counts_from=_next_whole_minute(so_far.last_closed_at + window))

    values = dict(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=now, check_in_method=method,
                  updated_at=now, needs_review=method in FLAGGED_METHODS,
                  activity_id=so_far.activity[0] if so_far.activity else None)
    try:
        # One INSERT on the connection: no unit of work and no savepoint around it (a rush of
        # scans spends its time in Python, and this is the one statement under the write lock).
        new_id = db.session.connection().execute(_NEW_SESSION, values).inserted_primary_key[0]
    except IntegrityError as err:
        # Another kiosk checked this volunteer in a moment ago: the database kept one session.
        # Undoing the whole transaction loses nothing: the insert is its only change, or follows
        # an auto-close, and then no other open session can exist (the index allows one, and
        # this scan just closed it).
        raise OpenedMeanwhile() from err
    session = ServiceSession(id=new_id, **values)  # what was just written, for the confirmation
    return replace(result("checked_in", session), activity=so_far.activity[1] if so_far.activity else None)


def _closed_at_todays_closing(station: Station, session: ServiceSession | None, now: datetime) -> bool:
    """A session of today the system closed at today's closing time (a keeper's page or the nightly
    command did): the volunteer's next scan is still the check-out they meant, until one claims it."""
    return (session is not None and session.auto_closed and _checked_in_today(station, session, now)
            and session.checked_out_at == local_moment(station, local_today(station, now), station.closes_at))


def _checked_in_today(station: Station, session: ServiceSession, now: datetime) -> bool:
    return session.checked_in_at.astimezone(ZoneInfo(station.timezone)).date() == local_today(station, now)


def _claim_check_out(session: ServiceSession, method: str, now: datetime) -> bool:
    """Mark a session the system closed as checked out by this scan, unless another scan did."""
    return _update_if_still(_CLAIM_CHECK_OUT, session, {"check_out_method": method, "updated_at": now})


class OpenedMeanwhile(Exception):
    """Another kiosk opened a session for this volunteer between a scan's reads and its write."""


def close_if_open(session: ServiceSession, at: datetime, method: str, now: datetime, **flags) -> bool:
    """Close the session if it is still open (nobody else — a second kiosk, a keeper — closed it in
    the meantime); the object then shows what the database holds."""
    values = {"checked_out_at": at, "check_out_method": method, "updated_at": now, **flags}
    return _update_if_still(_CLOSE_SESSION, session, values)


def _update_if_still(statement, session: ServiceSession, values: dict) -> bool:
    """One conditional UPDATE of the session (its WHERE says what must still hold); the object then
    shows what the database holds: what was just written, or, if nothing was, read back."""
    if db.session.connection().execute(statement, {"session_id": session.id, **values}).rowcount != 1:
        db.session.refresh(session)
        return False
    for name, value in values.items():  # what was just written: no need to read it back
        set_committed_value(session, name, value)
    return True


def _result(station: Station, volunteer: Volunteer, totals: tuple[int, int], now: datetime, notes: tuple,
            outcome: str, session: ServiceSession, closed_now: bool = False,
            counts_from: datetime | None = None) -> ScanResult:
    """The answer, with today's and all hours as read before the change (plus the session this
    scan closed)."""
    today, total = _with_closed(station, totals, session, now) if closed_now else totals
    return ScanResult(
        outcome=outcome,
        volunteer=volunteer,
        session=session,
        minutes=session_minutes(session, station) if session.checked_out_at else None,
        today_minutes=today,
        total_minutes=total,
        notes=notes,
        counts_from=counts_from if counts_from is not None and counts_from > now else None,
        window_minutes=station.duplicate_window_minutes,
    )


def _next_whole_minute(moment: datetime) -> datetime:
    """The end of the duplicate window as a clock shows it: a scan at 09:05:10 after a check-in at
    09:00:30 would still be too early, so "after 09:06", not "after 09:05"."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def _with_closed(station: Station, totals: tuple[int, int], session: ServiceSession, now: datetime) -> tuple[int, int]:
    """Today's and all minutes, counting a session this scan closed."""
    start, end = day_bounds(station, local_today(station, now))
    minutes = session_minutes(session, station)
    today, total = totals
    return (today + minutes if start <= session.checked_in_at < end else today), total + minutes


PICK_AGAIN = _l("Please type your number again and choose your name.")


def pick_from_matches(station: Station, entered: str, volunteer_id: str, who: list[str] = (),
                      now: datetime | None = None) -> Volunteer:
    """Only a volunteer that what was typed actually matches can be picked (counted like a lookup)."""
    matches = find_by_number_or_mobile_tail(station, entered, who, now)
    chosen = next((v for v in matches if str(v.id) == (volunteer_id or "").strip()), None)
    if chosen is None:
        raise CountedMiss(PICK_AGAIN)
    return chosen


# A forgotten badge is looked up by number or mobile digits: few enough tries that nobody can walk
# through the roster, enough for a busy morning at one kiosk.
LOOKUPS_PER_WINDOW = 30
LOOKUP_WINDOW = timedelta(minutes=10)


class CountedMiss(DomainError):
    keep_changes = True  # a lookup that found nobody still counts as a try


class NoMatch(CountedMiss):
    """Nobody has what was typed: the one lookup answer headed "not found" (a paused volunteer was
    found, and too many tries or an empty field are not about finding)."""


class WhatToType(DomainError):
    """Nothing that could be a number or a mobile was typed: the answer is headed by what to do."""


NOT_FOUND = _l("Not found")
TYPE_YOUR_NUMBER = _l("Please type your number")
# Said for an empty field or what cannot be a number or a mobile: what to type, with an example,
# not the field's label again.
WHAT_TO_TYPE = _l("Please type your volunteer number, or the last 4 digits of your mobile (for example 8006).")


def typed_for_lookup(entered: str) -> str | None:
    """What was typed under "Forgot your badge?" as digits: a volunteer number or the last four
    digits of a mobile (up to 6 digits), or a whole mobile as many older volunteers type it (138
    0013 8006, 138-0013-8006, in full-width digits too). None for anything else."""
    digits = typed_digits(without_country_code(half_width(entered or "")).replace("-", ""), 11)
    if digits is None or not (len(digits) <= 6 or MOBILE.fullmatch(digits)):
        return None
    return digits


def find_by_number_or_mobile_tail(station: Station, entered: str, who: list[str] = (),
                                  now: datetime | None = None) -> list[Volunteer]:
    """Forgotten badge: a volunteer number finds one person; four mobile digits may find several;
    a whole mobile finds the one volunteer with it (more exact than its last four digits).
    Each try from the kiosk counts against the tablet and its address (`who`, see core/limits.py)."""
    digits = typed_for_lookup(entered)
    if digits is None:
        raise WhatToType(WHAT_TO_TYPE, field="entered")
    if who:
        check_and_count("badge-lookup", [(key, LOOKUPS_PER_WINDOW) for key in who], LOOKUP_WINDOW, now,
                        _l("Too many tries just now. Please ask a keeper, or try again in a few minutes."))
    base = select(Volunteer).where(Volunteer.station_id == station.id, Volunteer.active.is_(True))
    matches = []
    if len(digits) == 11:
        matches = list(db.session.scalars(base.where(Volunteer.mobile == digits)))
    elif len(digits) == 4:
        matches = list(db.session.scalars(base.where(Volunteer.mobile_tail == digits).order_by(Volunteer.number)))
    number = db.session.scalar(base.where(Volunteer.number == digits.zfill(4))) if len(digits) <= 6 else None
    if number is not None and number not in matches:
        matches.insert(0, number)
    if not matches:
        if _only_paused_match(station, digits):
            # Said as a badge scan says it, without a name or number: a deactivated volunteer
            # retyping their number would otherwise think they mistyped it.
            raise CountedMiss(DEACTIVATED, field="entered")
        raise NoMatch(_l("No volunteer matches %(entered)s. Please check the number.", entered=digits),
                      field="entered")
    return matches[:8]


def _only_paused_match(station: Station, digits: str) -> bool:
    """What was typed is the number (the mobile's last four digits, the whole mobile) of a deactivated volunteer;
    not of an erased one, whose record is kept only for the station's hours."""
    if len(digits) == 11:
        matches = Volunteer.mobile == digits
    else:
        matches = Volunteer.number == digits.zfill(4)
    if len(digits) == 4:
        matches = matches | (Volunteer.mobile_tail == digits)
    return db.session.scalar(select(Volunteer.id).where(
        Volunteer.station_id == station.id, Volunteer.active.is_(False), Volunteer.erased_at.is_(None), matches)
        .limit(1)) is not None


def recent_sessions(volunteer_id: int, limit: int = 10) -> list[ServiceSession]:
    return list(db.session.scalars(
        select(ServiceSession)
        .where(ServiceSession.volunteer_id == volunteer_id)
        .order_by(ServiceSession.checked_in_at.desc())
        .limit(limit)
    ))


def sessions_as_data(volunteer: Volunteer) -> list[dict]:
    """A volunteer's sessions as plain values, for the export of everything stored about them."""
    return [{"checked_in_at": s.checked_in_at.isoformat(),
             "checked_out_at": s.checked_out_at.isoformat() if s.checked_out_at else None,
             "check_in_method": s.check_in_method, "check_out_method": s.check_out_method,
             "auto_closed": s.auto_closed, "edited": s.edited}
            for s in db.session.scalars(select(ServiceSession).where(ServiceSession.volunteer_id == volunteer.id)
                                        .order_by(ServiceSession.checked_in_at))]
