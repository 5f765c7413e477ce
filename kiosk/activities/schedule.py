"""Activities and recurring duties: a keeper plans them, volunteers sign up (never beyond the
capacity, even two at once), a check-in goes to the activity the volunteer signed up for, and a
keeper can record one held elsewhere in one go."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from kiosk.activities.models import Activity, Signup
from kiosk.checkin.attendance import served_minutes
from kiosk.checkin.corrections import check_times, record_session
from kiosk.checkin.models import ServiceSession
from kiosk.core.database import serialize_writes
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import NOT_A_CHOICE
from kiosk.core.models import Station
from kiosk.core.stations import FIRST_DAY, local_today, month_bounds, out_of_range
from kiosk.core.text import one_line
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, Team, Volunteer

MAX_CAPACITY = 10_000
MAX_HOURS = 16  # an activity longer than this is a typo in the time (a recurring duty spans days)
MAX_RECURRING_DAYS = 366
# A check-in this long before an activity starts already goes to it (volunteers come early).
EARLY = timedelta(hours=1)
MAX_VOLUNTEERS_AT_ONCE = 200
# An activity starting further ahead than this is a year typed wrong (2099 for 2026).
MAX_AHEAD = timedelta(days=366)
# The longest an activity runs (a recurring duty: a year). An activity on at some time started at
# most this long before it: a list reads the station's start index from there, not from its first day.
LONGEST = timedelta(days=MAX_RECURRING_DAYS)
# A volunteer's phone page tells them of a cancelled activity they signed up for until this long after its end.
CANCELLED_TOLD_FOR = timedelta(days=7)


@dataclass(frozen=True)
class Plan:
    """What a keeper typed for an activity, cleaned."""
    name: str
    team_id: int | None
    place: str
    content: str
    starts_at: datetime
    ends_at: datetime
    recurring: bool
    capacity: int | None
    person_in_charge: str
    organiser: str


def check_plan(station: Station, name: str, team_id, place: str, content: str, starts_at: datetime | None,
               ends_at: datetime | None, recurring: bool, capacity, person_in_charge: str, organiser: str,
               *, now: datetime) -> Plan:
    problems = {}  # {field: message}: every field at fault is told at once, not one per send
    name = one_line(name)[:60]
    if not name:
        problems["name"] = _l("Please give the activity a name.")
    if starts_at is None:
        problems["starts_at"] = _l("Please give a start.")
    elif starts_at.date() < FIRST_DAY:
        problems["starts_at"] = out_of_range("starts_at").message
    elif starts_at > now + MAX_AHEAD:
        problems["starts_at"] = _l("An activity can be planned at most a year ahead (until %(day)s). Please check the year.",
                                   day=local_today(station, now + MAX_AHEAD).isoformat())
    if ends_at is None or (starts_at is not None and ends_at <= starts_at):
        problems["ends_at"] = _l("The end must be after the start.")
    elif starts_at is not None and recurring and ends_at - starts_at > timedelta(days=MAX_RECURRING_DAYS):
        problems["ends_at"] = _l("A recurring duty can run for at most a year; plan the next year later.")
    elif starts_at is not None and not recurring and ends_at - starts_at > timedelta(hours=MAX_HOURS):
        problems["ends_at"] = _l("An activity can last at most %(h)s hours. For every day, make it a recurring duty.",
                                 h=MAX_HOURS)
    if capacity is not None and (not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY):
        problems["capacity"] = _l("Places: a whole number from 1 to %(max)s, or empty for no limit.", max=MAX_CAPACITY)
    if team_id is not None:
        team = db.session.get(Team, team_id)
        if team is None or team.station_id != station.id:
            problems["team_id"] = NOT_A_CHOICE
    if problems:
        raise DomainError.of_fields(problems)
    return Plan(name, team_id, one_line(place)[:80], one_line(content)[:200], starts_at, ends_at, bool(recurring),
                capacity, one_line(person_in_charge)[:40], one_line(organiser)[:80])


def _values(activity: Activity) -> dict:
    return {"name": activity.name, "starts_at": activity.starts_at.isoformat(), "ends_at": activity.ends_at.isoformat(),
            "capacity": activity.capacity, "place": activity.place, "cancelled": activity.cancelled}


def _refuse_a_twin(station: Station, plan: Plan, other_than: int | None = None) -> None:
    """The same name at the same start is the same activity typed twice (a double tap, two
    keepers): refused. Keepers take turns here, so two at once cannot both add it."""
    serialize_writes(f"activity-plan:{station.id}")
    twin = db.session.scalar(select(Activity.id).where(
        Activity.station_id == station.id, Activity.name == plan.name, Activity.starts_at == plan.starts_at,
        Activity.cancelled.is_(False), Activity.id != (other_than or 0)).limit(1))
    if twin is not None:
        raise DomainError(_l("%(name)s at this time is planned already.", name=plan.name), field="name")


def plan_activity(keeper: Keeper, station: Station, plan: Plan, now: datetime) -> Activity:
    _refuse_a_twin(station, plan)
    activity = Activity(station_id=station.id, created_at=now, **plan.__dict__)
    db.session.add(activity)
    db.session.flush()
    audit(keeper, station, "activity.planned", after=_values(activity), now=now)
    return activity


def refuse_if_cancelled(activity: Activity) -> None:
    """A cancelled activity is done with: no more hours for it, no changes."""
    if activity.cancelled:
        raise DomainError(_l("This activity is cancelled: it cannot be changed, and no more hours can be recorded for it."))


def change_activity(keeper: Keeper, station: Station, activity: Activity, plan: Plan, now: datetime) -> Activity:
    """New details; a smaller capacity than the sign-ups so far is refused (nobody is dropped), and
    so is a move away from the day(s) its hours were recorded on."""
    refuse_if_cancelled(activity)
    _refuse_leaving_its_hours(station, activity, plan)
    if plan.capacity is not None and plan.capacity < signup_count(activity.id):
        raise DomainError(_l("%(count)s have signed up already: the places cannot be fewer.",
                             count=signup_count(activity.id)), field="capacity")
    _refuse_a_twin(station, plan, other_than=activity.id)
    before = _values(activity)
    for key, value in plan.__dict__.items():
        setattr(activity, key, value)
    db.session.flush()
    audit(keeper, station, "activity.changed", before=before, after=_values(activity), now=now)
    return activity


def _refuse_leaving_its_hours(station: Station, activity: Activity, plan: Plan) -> None:
    """An activity's hours lie on its own day(s): moving it away from hours already recorded would
    leave them on a day it was not held. The keeper corrects those hours first."""
    first_in, last_out = db.session.execute(
        select(func.min(ServiceSession.checked_in_at),
               func.max(func.coalesce(ServiceSession.checked_out_at, ServiceSession.checked_in_at)))
        .where(ServiceSession.activity_id == activity.id)).one()
    if first_in is None:
        return
    since, until = _local_days(station, first_in, last_out)
    first, last = _local_days(station, plan.starts_at, plan.ends_at)
    if since < first or until > last:
        days = since.isoformat() if since == until else f"{since.isoformat()} – {until.isoformat()}"
        raise DomainError(_l("Hours are recorded for this activity on %(days)s. To move it to another day, "
                             "please correct those hours first.", days=days), field="starts_at")


def cancel_activity(keeper: Keeper, station: Station, activity: Activity, now: datetime) -> None:
    if activity.cancelled:
        raise DomainError(_l("This activity is cancelled already."))
    before = _values(activity)
    activity.cancelled = True
    db.session.flush()
    audit(keeper, station, "activity.cancelled", before=before, after=_values(activity), now=now)


def day_skeleton(station: Station, moment: datetime, now: datetime) -> str:
    """How an activity's day is written, as a Babel skeleton each language spells its own way:
    12月8日 / Dec 8 in this year, with the year otherwise (2099年1月1日 / Jan 1, 2099: 1/1 of 2099 is
    not next New Year's Day)."""
    return "MMMd" if local_today(station, moment).year == local_today(station, now).year else "yMMMd"


def _held(station: Station, with_cancelled: bool):
    """The station's activities; cancelled ones only for the keeper's list (greyed there)."""
    where = [Activity.station_id == station.id]
    return where if with_cancelled else [*where, Activity.cancelled.is_(False)]


def upcoming(station: Station, now: datetime, limit: int = 20, with_cancelled: bool = False) -> list[Activity]:
    """Activities not over yet, soonest first (a recurring duty while it runs)."""
    return list(db.session.scalars(select(Activity).where(
        *_held(station, with_cancelled), Activity.starts_at >= now - LONGEST, Activity.ends_at > now)
        .order_by(Activity.starts_at).limit(limit)))


def recent(station: Station, now: datetime, days: int = 30, limit: int = 50,
           with_cancelled: bool = False) -> list[Activity]:
    """Activities that have started and were on within the last `days`, newest first."""
    since = now - timedelta(days=days)
    return list(db.session.scalars(select(Activity).where(
        *_held(station, with_cancelled), Activity.starts_at <= now, Activity.starts_at >= since - LONGEST,
        Activity.ends_at >= since).order_by(Activity.starts_at.desc()).limit(limit)))


MONTH_LIMIT = 300  # more in one month is years of typing in one go; the keeper is told the list stops


def held_in_month(station: Station, first_day: date, limit: int = MONTH_LIMIT) -> list[Activity]:
    """The station's activities on in a month of its own calendar (`first_day` its 1st), cancelled
    ones too, by start: a one-off held that month, a recurring duty running through it. For the
    keeper finding an older one again; the start index is read for that month and a year before."""
    start, end = month_bounds(station, first_day)
    return list(db.session.scalars(select(Activity).where(
        *_held(station, with_cancelled=True), Activity.starts_at < end, Activity.starts_at >= start - LONGEST,
        Activity.ends_at > start).order_by(Activity.starts_at, Activity.id).limit(limit)))


def cancelled_sign_ups(station: Station, volunteer: Volunteer, now: datetime) -> list[Activity]:
    """Cancelled activities this volunteer signed up for, still to come or over within the last
    week, soonest first: their phone page says so, so nobody turns up for nothing."""
    since = now - CANCELLED_TOLD_FOR
    return list(db.session.scalars(select(Activity).join(Signup, Signup.activity_id == Activity.id).where(
        Signup.volunteer_id == volunteer.id, Activity.station_id == station.id, Activity.cancelled.is_(True),
        Activity.starts_at >= since - LONGEST, Activity.ends_at > since).order_by(Activity.starts_at)))


def signup_count(activity_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Signup).where(Signup.activity_id == activity_id)) or 0


def signups(activity: Activity) -> list[Signup]:
    return list(db.session.scalars(select(Signup).where(Signup.activity_id == activity.id).order_by(Signup.at)))


def signed_up_ids(volunteer_id: int) -> set[int]:
    return set(db.session.scalars(select(Signup.activity_id).where(Signup.volunteer_id == volunteer_id)))


def sign_up(station: Station, volunteer: Volunteer, activity: Activity, now: datetime) -> Signup:
    """Take a place. The count and the new sign-up are one step two phones cannot both slip through."""
    if activity.station_id != station.id or volunteer.station_id != station.id or not volunteer.active:
        raise DomainError(_l("This activity is not at your station."))
    if activity.cancelled:
        raise DomainError(_l("This activity is cancelled."))
    if activity.ends_at <= now:
        raise DomainError(_l("This activity is over."))
    serialize_writes(f"signup:{activity.id}")
    if db.session.scalar(select(Signup.id).where(Signup.activity_id == activity.id,
                                                 Signup.volunteer_id == volunteer.id)) is not None:
        raise DomainError(_l("You have signed up already."))
    if activity.capacity is not None and signup_count(activity.id) >= activity.capacity:
        raise DomainError(_l("Sorry, this activity is full."))
    signup = Signup(activity_id=activity.id, volunteer_id=volunteer.id, at=now)
    db.session.add(signup)
    db.session.flush()
    return signup


def withdraw(station: Station, volunteer: Volunteer, activity: Activity, now: datetime) -> None:
    """Give the place back, up to the start."""
    if activity.station_id != station.id:
        raise DomainError(_l("You are not signed up for this activity."))
    signup = db.session.scalar(select(Signup).where(Signup.activity_id == activity.id,
                                                    Signup.volunteer_id == volunteer.id))
    if signup is None:
        # "I can't come" shows only beside a sign-up, and only the volunteer gives it back while
        # they are active: none now is a second tap, or another tab, after it was given back.
        raise DomainError(_l("You have already withdrawn from %(name)s. To come after all, sign up again here "
                             "while places are left.", name=activity.name))
    if activity.starts_at <= now and not activity.recurring:
        raise DomainError(_l("This activity has started. Please tell a keeper if you cannot come."))
    _give_place_back(signup)


def _give_place_back(signup: Signup) -> None:
    db.session.delete(signup)
    db.session.flush()


def _signups_to_come(station: Station, volunteer: Volunteer, now: datetime):
    # A cancelled activity holds no place, and its sign-up is what tells the phone it was cancelled.
    return select(Signup).join(Activity).where(Signup.volunteer_id == volunteer.id, Activity.station_id == station.id,
                                               Activity.ends_at > now, Activity.cancelled.is_(False))


def drop_signups_to_come(keeper: Keeper, station: Station, volunteer: Volunteer, now: datetime) -> None:
    """A volunteer deactivated (or erased, which deactivates): their places in activities not over
    yet go back (their badge checks in nowhere, and a full list would stay full for them; a
    reactivated volunteer signs up again). Activities already over keep theirs: the hours there
    stay in the station's totals."""
    for signup in db.session.scalars(_signups_to_come(station, volunteer, now)):
        audit(keeper, station, "activity.signup_dropped", volunteer_id=volunteer.id,
              before={"name": signup.activity.name}, now=now)
        _give_place_back(signup)


def signups_warning(station: Station, volunteer: Volunteer, now: datetime) -> str | None:
    """Said beside the deactivate button while the volunteer holds places in activities to come."""
    count = db.session.scalar(select(func.count()).select_from(_signups_to_come(station, volunteer, now).subquery()))
    if not count:
        return None
    return _l("Holds places in activities to come (%(count)s): deactivating gives them back.", count=count)


# Built once: every check-in runs it.
_SIGNED_UP_NOW = (
    select(Activity.id, Activity.name, Activity.starts_at, Activity.ends_at, Activity.recurring)
    .join(Signup, Signup.activity_id == Activity.id)
    .where(Signup.volunteer_id == bindparam("volunteer_id"), Activity.station_id == bindparam("station_id"),
           Activity.cancelled.is_(False), Activity.starts_at <= bindparam("soon"), Activity.ends_at > bindparam("now"))
)


def activity_for_check_in(station: Station, volunteer: Volunteer, now: datetime) -> tuple[int, str] | None:
    """The activity a volunteer checking in now came for: one they signed up for that starts
    within the hour or is on (a one-off before a recurring duty). None: the station's duty."""
    candidates = db.session.execute(_SIGNED_UP_NOW, {"volunteer_id": volunteer.id, "station_id": station.id,
                                                     "soon": now + EARLY, "now": now}).all()
    if not candidates:
        return None
    zone = ZoneInfo(station.timezone)
    today = now.astimezone(zone).date()
    one_offs = sorted((c for c in candidates if not c.recurring), key=lambda c: c.starts_at)
    if one_offs:
        return one_offs[0].id, one_offs[0].name
    duties = [c for c in candidates if c.recurring and c.starts_at.astimezone(zone).date() <= today]
    return (duties[0].id, duties[0].name) if duties else None


def _local_days(station: Station, start: datetime, end: datetime) -> tuple[date, date]:
    """The station's days from `start` to `end`; an end at midnight belongs to the day before."""
    zone = ZoneInfo(station.timezone)
    return start.astimezone(zone).date(), (max(end, start + _TICK) - _TICK).astimezone(zone).date()


_TICK = timedelta(microseconds=1)


def check_on_its_days(station: Station, activity: Activity, start: datetime, end: datetime,
                      field: str = "starts_at") -> None:
    """Hours recorded for an activity lie on its own day (or a recurring duty's days): coming early
    or staying late that day is fine, another day is a typo (it would land in another month's
    report and on a certificate as a day the volunteer never served)."""
    first, last = _local_days(station, activity.starts_at, activity.ends_at)
    since, until = _local_days(station, start, end)
    if since < first or until > last:
        days = first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
        raise DomainError(_l("The times must be on the activity's own day (%(days)s). Coming early or staying "
                             "late that day is fine.", days=days), field=field)


def check_corrected_session(station: Station, session: ServiceSession, start: datetime, end: datetime | None) -> None:
    """A keeper correcting a session of an activity keeps it on the activity's day(s)."""
    if session.activity_id is not None:
        activity = db.session.get(Activity, session.activity_id)
        check_on_its_days(station, activity, start, end or start, field="checked_in_at")


def record_held_elsewhere(keeper: Keeper, station: Station, activity: Activity, volunteer_ids: list[int],
                          checked_in_at: datetime | None, checked_out_at: datetime | None, now: datetime) -> int:
    """An activity held away from the kiosk: one confirmed session for each volunteer, all or
    none (one who already has a session then refuses the lot, naming them)."""
    if activity.station_id != station.id:
        raise DomainError(_l("This activity is not at your station."))
    if not volunteer_ids:
        raise DomainError(_l("Please choose at least one volunteer."), field="volunteers")
    if len(volunteer_ids) > MAX_VOLUNTEERS_AT_ONCE:
        raise DomainError(_l("At most %(n)s volunteers at a time.", n=MAX_VOLUNTEERS_AT_ONCE), field="volunteers")
    refuse_if_cancelled(activity)
    if activity.starts_at > now:
        raise DomainError(_l("This activity has not started yet. Hours can be recorded once it has started."))
    if checked_out_at is None and activity.ends_at > now:  # "as planned" is an end still to come
        raise DomainError(_l("The activity has not ended yet. Please give the time it actually ended."),
                          field="ends_at")
    start, end = checked_in_at or activity.starts_at, checked_out_at or activity.ends_at
    check_times(start, end, now, fields=("starts_at", "ends_at"))  # beside the time on this form
    check_on_its_days(station, activity, start, end)
    for volunteer_id in dict.fromkeys(volunteer_ids):
        volunteer = db.session.get(Volunteer, volunteer_id)
        if volunteer is None or volunteer.station_id != station.id:
            raise DomainError(NOT_A_CHOICE, field="volunteers")
        record_session(keeper, station, volunteer, start, end, now, activity_id=activity.id)
    return len(dict.fromkeys(volunteer_ids))


@dataclass(frozen=True)
class Served:
    volunteer: Volunteer
    sessions: int
    minutes: int


def served(station: Station, activity: Activity) -> list[Served]:
    """Who served at the activity and for how long (every closed session; confirmed or not)."""
    rows: dict[int, list[int]] = {}
    for volunteer_id, start, end in db.session.execute(
            select(ServiceSession.volunteer_id, ServiceSession.checked_in_at, ServiceSession.checked_out_at)
            .where(ServiceSession.activity_id == activity.id, ServiceSession.checked_out_at.is_not(None))):
        rows.setdefault(volunteer_id, []).append(served_minutes(start, end, station.hours_rounding_minutes))
    volunteers = {v.id: v for v in db.session.scalars(select(Volunteer).where(Volunteer.id.in_(rows)))} if rows else {}
    return sorted((Served(volunteers[vid], len(m), sum(m)) for vid, m in rows.items()),
                  key=lambda s: (-s.minutes, s.volunteer.number))


def signups_as_data(volunteer: Volunteer) -> list[dict]:
    """A volunteer's sign-ups, for the export of everything stored about them."""
    return [{"activity": s.activity.name, "place": s.activity.place, "starts_at": s.activity.starts_at.isoformat(),
             "ends_at": s.activity.ends_at.isoformat(), "cancelled": s.activity.cancelled,
             "signed_up_at": s.at.isoformat()}
            for s in db.session.scalars(select(Signup).where(Signup.volunteer_id == volunteer.id).order_by(Signup.at))]
