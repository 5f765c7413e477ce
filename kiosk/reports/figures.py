"""A station's figures for a period, the way a community report counts them. Every count reads
only the period's rows by a station-and-time index, so a report costs the same in year three as in
month one.

What each figure means (the report page says it in words too):
- registered: volunteers on the station's list at the period's end (added before it ends, not
  erased by then); new: added during the period;
- active: volunteers with at least one check-in in the period;
- sessions: check-ins (each stay on duty, from check-in to check-out) that began in the period;
- person-times (人次): a volunteer serving in one activity on one day counts once, however many
  times they checked in and out that day;
- confirmed hours: the hours of the finished sessions a keeper confirmed, rounded per session to
  the station's step, as everywhere else;
- activities held: activities that really took place: one-off activities someone served at in the
  period (a finished check-in for it, confirmed or not, began in the period), plus each day a
  recurring duty had someone serving; never one that is cancelled or has not started by now (one
  planned for next week, or that nobody came to, was not held); the everyday duty is not one;
- swap: items brought and items taken in the period; "new homes so far" counts every item taken up
  to the period's end;
- suggestions: received in the period; resolved and declined in the period; the median days from
  receiving to resolving, over those resolved in the period;
- points given: points for hours, leads and keepers' bonuses given in the period (reversals of
  those lines subtract). Hours earn their points on the day a keeper confirms them, so this counts
  by that day, not the day served: November's days confirmed in December are December's points
  while their hours stay November's (the report names the figure so, in each language);
- gifts: redemptions handed over in the period."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from statistics import median
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from kiosk.activities.models import Activity
from kiosk.checkin.attendance import served_minutes, served_minutes_sql
from kiosk.checkin.models import ServiceSession
from kiosk.core.database import epoch_seconds, floor_int
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.gifts.models import Redemption
from kiosk.people.models import Team, Volunteer, volunteer_team
from kiosk.points.models import PointsLine
from kiosk.reports.periods import Period
from kiosk.suggest.box import STATUS_LABELS
from kiosk.suggest.models import SUGGESTION_STATUSES, Suggestion
from kiosk.swap.models import SwapItem
from kiosk.walkins.models import WalkInVisit
from kiosk.walkins.visits import service_label, visit_counts

# Age groups as community reports give them ("224 over 60"): (key, label, lowest age, highest age).
AGE_GROUPS = (
    ("under_35", _l("Under 35"), 0, 34),
    ("35_59", _l("35 to 59"), 35, 59),
    ("60_69", _l("60 to 69"), 60, 69),
    ("70_up", _l("70 and over"), 70, 200),
    ("unknown", _l("Age not given"), None, None),
)
EARNING_KINDS = ("hours", "lead", "bonus")
NO_TEAM = _l("No team")


def median_days(days: list[float]) -> float | None:
    """The median of days to resolve, to a tenth; None when nothing was resolved."""
    return round(median(days), 1) if days else None


def age_group(birth_year: int | None, in_year: int) -> str:
    if birth_year is None or not 0 <= in_year - birth_year <= 130:
        return "unknown"
    age = in_year - birth_year
    return next(key for key, _label, low, high in AGE_GROUPS if low is not None and low <= age <= high)


@dataclass
class Step:
    """One bar of a chart: a day or a month."""
    first: date
    last: date
    person_times: int = 0
    confirmed_minutes: int = 0
    swap_in: int = 0
    swap_out: int = 0


@dataclass
class Figures:
    station: Station
    period: Period
    registered: int = 0
    new_volunteers: int = 0
    active: int = 0
    sessions: int = 0
    person_times: int = 0
    confirmed_minutes: int = 0
    activities_held: int = 0
    swap_in: int = 0
    swap_out: int = 0
    swap_homes_so_far: int = 0
    suggestions_received: int = 0
    suggestions_resolved: int = 0
    suggestions_declined: int = 0
    resolve_days: list[float] = field(default_factory=list)  # of each suggestion resolved in the period
    points_earned: int = 0
    gifts_redeemed: int = 0
    walk_in_total: int = 0
    walk_ins: list[tuple[str, int]] = field(default_factory=list)  # (service, visits)
    suggestions_by_status: list[tuple[str, int]] = field(default_factory=list)  # received in the period
    by_team: list[tuple[str, int, int, int]] = field(default_factory=list)  # (team, registered, active, minutes)
    by_age: list[tuple[str, int, int]] = field(default_factory=list)  # (group key, registered, active)
    steps: list[Step] = field(default_factory=list)

    @property
    def median_days_to_resolve(self) -> float | None:
        return median_days(self.resolve_days)


def first_record_day(station: Station) -> date | None:
    """The station's first day with anything to report: a volunteer registered, a session served
    (one recorded afterwards may be older than any registration), a visit."""
    firsts = [db.session.scalar(select(func.min(column)).where(model.station_id == station.id))
              for model, column in ((Volunteer, Volunteer.created_at), (ServiceSession, ServiceSession.checked_in_at),
                                    (WalkInVisit, WalkInVisit.at))]
    moments = [moment for moment in firsts if moment is not None]
    return min(moments).astimezone(ZoneInfo(station.timezone)).date() if moments else None


def station_figures(station: Station, period: Period, now: datetime, details: bool = True) -> Figures:
    """Everything a report shows for one station and period, as it stands at `now`. Without
    details (the district table): the headline figures only, no per-step, team or age breakdowns."""
    start, end = period.bounds(station)
    zone = ZoneInfo(station.timezone)
    figures = Figures(station=station, period=period)
    steps = [Step(first, last) for first, last in period.steps()] if details else []
    step_of = _step_finder(steps, zone)

    # Volunteers on the list, and their ages.
    roll = db.session.execute(
        select(Volunteer.id, Volunteer.birth_year, Volunteer.created_at).where(
            Volunteer.station_id == station.id, _on_the_list(start, end, ServiceSession.station_id == station.id),
            (Volunteer.erased_at.is_(None)) | (Volunteer.erased_at >= end))
    ).all()
    figures.registered = len(roll)
    figures.new_volunteers = sum(1 for _id, _born, added in roll if start <= added < end)

    # Sessions: one pass over the period's rows.
    rounding = station.hours_rounding_minutes
    rows = db.session.execute(
        select(ServiceSession.volunteer_id, ServiceSession.checked_in_at, ServiceSession.checked_out_at,
               ServiceSession.confirmed_at.is_not(None), ServiceSession.activity_id).where(
            ServiceSession.station_id == station.id, ServiceSession.checked_in_at >= start,
            ServiceSession.checked_in_at < end)
    ).all()
    figures.sessions = len(rows)
    served: set[tuple[int, date, int | None]] = set()
    active_minutes: Counter[int] = Counter()
    activity_days: set[tuple[int, date]] = set()
    for volunteer_id, checked_in_at, checked_out_at, confirmed, activity_id in rows:
        day = checked_in_at.astimezone(zone).date()
        minutes = served_minutes(checked_in_at, checked_out_at, rounding) if confirmed and checked_out_at else 0
        active_minutes[volunteer_id] += minutes
        if activity_id is not None and checked_out_at is not None:
            activity_days.add((activity_id, day))
        step = step_of(checked_in_at)
        if (volunteer_id, day, activity_id) not in served:
            served.add((volunteer_id, day, activity_id))
            if step:
                step.person_times += 1
        if step:
            step.confirmed_minutes += minutes
    figures.person_times = len(served)
    figures.active = len(active_minutes)
    figures.confirmed_minutes = sum(active_minutes.values())
    figures.activities_held = _activities_held(activity_days, now)

    # The swap shelf.
    brought = db.session.scalars(select(SwapItem.logged_at).where(
        SwapItem.station_id == station.id, SwapItem.logged_at >= start, SwapItem.logged_at < end)).all()
    taken = db.session.scalars(select(SwapItem.taken_at).where(
        SwapItem.station_id == station.id, SwapItem.taken_at >= start, SwapItem.taken_at < end)).all()
    figures.swap_in, figures.swap_out = len(brought), len(taken)
    for moment in brought:
        if step := step_of(moment):
            step.swap_in += 1
    for moment in taken:
        if step := step_of(moment):
            step.swap_out += 1
    figures.swap_homes_so_far = db.session.scalar(select(func.count()).select_from(SwapItem).where(
        SwapItem.station_id == station.id, SwapItem.taken_at < end))

    _suggestion_figures(figures, station, start, end)

    figures.walk_ins = [(service_label(service), count) for service, count in visit_counts(station, start, end)]
    figures.walk_in_total = sum(count for _, count in figures.walk_ins)
    figures.points_earned = int(db.session.scalar(select(func.sum(PointsLine.amount)).where(
        PointsLine.station_id == station.id, PointsLine.at >= start, PointsLine.at < end,
        PointsLine.kind.in_(EARNING_KINDS) | _reversing_an_earning())) or 0)
    figures.gifts_redeemed = db.session.scalar(select(func.count()).select_from(Redemption).where(
        Redemption.station_id == station.id, Redemption.status == "handed",
        Redemption.decided_at >= start, Redemption.decided_at < end))

    if details:
        figures.steps = steps
        figures.by_team = _by_team(station, {volunteer_id for volunteer_id, *_ in roll}, active_minutes)
        in_year = period.last.year
        registered_by_age = Counter(age_group(born, in_year) for _id, born, _added in roll)
        born_of = {volunteer_id: born for volunteer_id, born, _added in roll}
        active_by_age = Counter(age_group(born_of.get(v), in_year) for v in active_minutes)
        figures.by_age = [(key, registered_by_age[key], active_by_age[key]) for key, *_ in AGE_GROUPS]
    return figures


def _on_the_list(start: datetime, end: datetime, at_the_station):
    """On the station's list in the period: registered by its end, or serving in it (a keeper who
    registers volunteers in December and types in their November hours from paper)."""
    s = ServiceSession
    return (Volunteer.created_at < end) | Volunteer.id.in_(
        select(s.volunteer_id).where(at_the_station, s.checked_in_at >= start, s.checked_in_at < end))


def _step_finder(steps: list[Step], zone: ZoneInfo):
    """The step (day or month) an instant falls in, in the station's calendar, or None."""
    by_day: dict[date, Step] = {}
    for step in steps:
        day = step.first
        while day <= step.last:
            by_day[day] = step
            day = date.fromordinal(day.toordinal() + 1)
    return lambda moment: by_day.get(moment.astimezone(zone).date()) if by_day else None


def _held(now: datetime):
    """An activity that can have been held: not cancelled and started by now."""
    return Activity.cancelled.is_(False), Activity.starts_at <= now


def _activities_held(activity_days: set[tuple[int, date]], now: datetime) -> int:
    """From the (activity, local day) of the period's finished sessions: each one-off activity
    once, each recurring duty once a day."""
    if not activity_days:
        return 0
    recurring = dict(db.session.execute(select(Activity.id, Activity.recurring).where(
        Activity.id.in_({activity_id for activity_id, _ in activity_days}), *_held(now))).all())
    one_offs = {activity_id for activity_id, _ in activity_days if recurring.get(activity_id) is False}
    return len(one_offs) + sum(1 for activity_id, _ in activity_days if recurring.get(activity_id))


def _reversing_an_earning():
    """A reversal of an hours, lead or bonus line takes those points back out of 'earned'."""
    original = aliased(PointsLine)
    return (PointsLine.kind == "reversal") & select(original.id).where(
        original.id == PointsLine.reverses_id, original.kind.in_(EARNING_KINDS)).exists()


def _suggestion_figures(figures: Figures, station: Station, start: datetime, end: datetime) -> None:
    received = Counter(db.session.scalars(select(Suggestion.status).where(
        Suggestion.station_id == station.id, Suggestion.created_at >= start, Suggestion.created_at < end)).all())
    figures.suggestions_received = sum(received.values())
    figures.suggestions_by_status = [(str(STATUS_LABELS[s]), received[s]) for s in SUGGESTION_STATUSES]
    closed = db.session.execute(select(Suggestion.status, Suggestion.created_at, Suggestion.resolved_at).where(
        Suggestion.station_id == station.id, Suggestion.resolved_at >= start, Suggestion.resolved_at < end,
        Suggestion.status.in_(("resolved", "declined")))).all()
    _closed_figures(figures, closed)


def _closed_figures(figures: Figures, closed) -> None:
    """Resolved and declined counts, and the days each resolved one took, from (status, made, done)."""
    figures.suggestions_resolved = sum(1 for status, *_ in closed if status == "resolved")
    figures.suggestions_declined = sum(1 for status, *_ in closed if status == "declined")
    days = [(done - made).total_seconds() / 86400 for status, made, done in closed if status == "resolved"]
    figures.resolve_days = days


def _by_team(station: Station, roll: set[int], active_minutes: Counter) -> list[tuple[str, int, int, int]]:
    """Per team: volunteers on the list, those who served and their confirmed minutes. One in two
    teams counts in each; those in none are under "No team"."""
    teams = db.session.execute(select(Team.id, Team.name).where(Team.station_id == station.id).order_by(Team.id)).all()
    members: dict[int, list[int]] = defaultdict(list)
    for volunteer_id, team_id in db.session.execute(
            select(volunteer_team.c.volunteer_id, volunteer_team.c.team_id)
            .join(Team, Team.id == volunteer_team.c.team_id).where(Team.station_id == station.id)):
        members[volunteer_id].append(team_id)
    per_team: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for volunteer_id in roll | set(active_minutes):
        for team_id in members.get(volunteer_id) or [None]:
            counts = per_team[team_id]
            counts[0] += volunteer_id in roll
            if volunteer_id in active_minutes:
                counts[1] += 1
                counts[2] += active_minutes[volunteer_id]
    rows = [(name, *per_team[team_id]) for team_id, name in teams if team_id in per_team]
    if None in per_team:
        rows.append((str(NO_TEAM), *per_team[None]))
    return rows


# --- Every station at once (the district table) ---------------------------------------------------


def district_figures(stations: list[Station], period: Period, now: datetime) -> list[Figures]:
    """The headline figures of every station, as station_figures(details=False) gives them, added
    up in the database: a few grouped queries for all the stations of one time zone, instead of a
    dozen queries per station and every session through Python. A zone with summer time in the
    period (none in China) is counted station by station, the local day being no fixed offset."""
    found: dict[int, Figures] = {}
    groups: dict[tuple[str, int], list[Station]] = defaultdict(list)
    for station in stations:
        groups[(station.timezone, station.hours_rounding_minutes)].append(station)
    for (zone_name, rounding), group in groups.items():
        offset = _fixed_offset(ZoneInfo(zone_name), period)
        if offset is None:
            found.update((s.id, station_figures(s, period, now, details=False)) for s in group)
        else:
            found.update(_grouped_figures(group, period, offset, rounding, now))
    return [found[station.id] for station in stations]


def _fixed_offset(zone: ZoneInfo, period: Period) -> int | None:
    """The zone's offset from UTC in seconds if it is the same on every day of the period."""
    offsets = {datetime.combine(date.fromordinal(n), time(12), zone).utcoffset()
               for n in range(period.first.toordinal(), period.last.toordinal() + 2)}
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


def _grouped_figures(stations: list[Station], period: Period, offset: int, rounding: int,
                     now: datetime) -> dict[int, Figures]:
    start, end = period.bounds(stations[0])
    ids = [station.id for station in stations]
    figures = {station.id: Figures(station=station, period=period) for station in stations}

    def each(statement, *names):
        for station_id, *values in db.session.execute(statement):
            for name, value in zip(names, values):
                setattr(figures[station_id], name, int(value or 0))  # PostgreSQL sums are Decimal

    new = (Volunteer.created_at >= start) & (Volunteer.created_at < end)
    each(select(Volunteer.station_id, func.count(), func.sum(case((new, 1), else_=0)))
         .where(Volunteer.station_id.in_(ids), _on_the_list(start, end, ServiceSession.station_id.in_(ids)),
                (Volunteer.erased_at.is_(None)) | (Volunteer.erased_at >= end))
         .group_by(Volunteer.station_id), "registered", "new_volunteers")

    s = ServiceSession
    confirmed = case((s.confirmed_at.is_not(None), served_minutes_sql(rounding)), else_=0)
    in_period = (s.station_id.in_(ids), s.checked_in_at >= start, s.checked_in_at < end)
    each(select(s.station_id, func.count(), func.count(s.volunteer_id.distinct()), func.sum(confirmed))
         .where(*in_period).group_by(s.station_id), "sessions", "active", "confirmed_minutes")
    local_day = floor_int((epoch_seconds(s.checked_in_at) + offset) / 86400).label("day")
    served = select(s.station_id, s.volunteer_id, s.activity_id, local_day).where(*in_period).distinct().subquery()
    each(select(served.c.station_id, func.count()).group_by(served.c.station_id), "person_times")

    finished = (*in_period, s.checked_out_at.is_not(None), *_held(now))
    recurring_days = (select(s.station_id, s.activity_id, local_day).join(Activity, Activity.id == s.activity_id)
                      .where(*finished, Activity.recurring.is_(True)).distinct().subquery())
    each(select(recurring_days.c.station_id, func.count()).group_by(recurring_days.c.station_id), "activities_held")
    one_offs = (select(s.station_id, s.activity_id).join(Activity, Activity.id == s.activity_id)
                .where(*finished, Activity.recurring.is_(False)).distinct().subquery())
    for station_id, held in db.session.execute(
            select(one_offs.c.station_id, func.count()).group_by(one_offs.c.station_id)):
        figures[station_id].activities_held += held

    def counted(model, column, name, since=start):
        condition = (column >= since) if since is not None else column.is_not(None)
        each(select(model.station_id, func.count()).where(model.station_id.in_(ids), condition, column < end)
             .group_by(model.station_id), name)

    counted(SwapItem, SwapItem.logged_at, "swap_in")
    counted(SwapItem, SwapItem.taken_at, "swap_out")
    counted(SwapItem, SwapItem.taken_at, "swap_homes_so_far", since=None)
    counted(Suggestion, Suggestion.created_at, "suggestions_received")
    counted(WalkInVisit, WalkInVisit.at, "walk_in_total")
    closed = defaultdict(list)
    for station_id, *row in db.session.execute(
            select(Suggestion.station_id, Suggestion.status, Suggestion.created_at, Suggestion.resolved_at).where(
                Suggestion.station_id.in_(ids), Suggestion.resolved_at >= start, Suggestion.resolved_at < end,
                Suggestion.status.in_(("resolved", "declined")))):
        closed[station_id].append(row)
    for station_id, rows in closed.items():
        _closed_figures(figures[station_id], rows)
    each(select(PointsLine.station_id, func.sum(PointsLine.amount)).where(
        PointsLine.station_id.in_(ids), PointsLine.at >= start, PointsLine.at < end,
        PointsLine.kind.in_(EARNING_KINDS) | _reversing_an_earning()).group_by(PointsLine.station_id), "points_earned")
    each(select(Redemption.station_id, func.count()).where(
        Redemption.station_id.in_(ids), Redemption.status == "handed", Redemption.decided_at >= start,
        Redemption.decided_at < end).group_by(Redemption.station_id), "gifts_redeemed")
    return figures
