"""Report figures against figures worked out here, independently, from the raw rows: a month, a
year and a range across a year end, in the station's time zone (Shanghai, UTC+8, no summer time)."""

import random
from datetime import UTC, date, datetime, timedelta
from statistics import median

import pytest
from sqlalchemy import select

from kiosk.activities.models import Activity
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.gifts.models import Gift, Redemption
from kiosk.people.models import Volunteer
from kiosk.points.models import PointsLine
from kiosk.reports import charts
from kiosk.reports.figures import age_group, station_figures
from kiosk.reports.periods import Period, last_month, month, opening_period, parse_period, year

from kiosk.suggest.models import Suggestion, SuggestionCategory
from kiosk.swap.models import SwapCategory, SwapItem
from kiosk.walkins.models import WalkInService, WalkInVisit
from tests.conftest import in_english

OFFSET = timedelta(hours=8)  # Asia/Shanghai
TODAY = date(2026, 11, 22)  # the tests' clock
FIRST = datetime(2026, 10, 25, tzinfo=UTC)
SPAN_DAYS = 110  # to mid-February 2027
LATER = datetime(2027, 3, 1, tzinfo=UTC)  # the reports are read after all of it


def local_day(moment: datetime) -> date:
    return (moment + OFFSET).date()


def utc(y, m, d, hh=0, mm=0) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - OFFSET


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station)


@pytest.fixture
def history(ctx):
    """Random but fixed rows of every kind the reports count, around a year end, with the edge
    cases placed by hand: 23:30 and 00:10 local either side of midnight on 31 December."""
    rng = random.Random(20261129)
    station = ctx
    volunteers = db.session.scalars(select(Volunteer).where(Volunteer.station_id == station.id)).all()
    for n, v in enumerate(volunteers):  # some joined during the span
        v.created_at = FIRST + timedelta(days=7 * n) if n % 3 == 0 else FIRST - timedelta(days=400)
    duty = Activity(station_id=station.id, name="平安巡防", starts_at=FIRST, ends_at=FIRST + timedelta(days=300),
                    recurring=True, created_at=FIRST)
    talk = Activity(station_id=station.id, name="爱心课堂", starts_at=utc(2026, 12, 31, 22), ends_at=utc(2026, 12, 31, 23),
                    recurring=False, created_at=FIRST)
    off = Activity(station_id=station.id, name="取消的", starts_at=utc(2026, 11, 5, 9), ends_at=utc(2026, 11, 5, 10),
                   recurring=False, cancelled=True, created_at=FIRST)
    db.session.add_all([duty, talk, off])
    db.session.flush()
    sessions = []
    for _ in range(500):
        v = rng.choice(volunteers)
        start = FIRST + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        end = start + timedelta(minutes=rng.randrange(5, 300))
        sessions.append(dict(volunteer_id=v.id, checked_in_at=start, checked_out_at=end,
                             confirmed_at=end if rng.random() < 0.7 else None,
                             activity_id=rng.choice([None, None, duty.id])))
    v = volunteers[0]
    sessions += [  # either side of midnight, and twice in one day in one activity
        dict(volunteer_id=v.id, checked_in_at=utc(2026, 12, 31, 23, 30), checked_out_at=utc(2026, 12, 31, 23, 58),
             confirmed_at=utc(2027, 1, 1, 9), activity_id=talk.id),
        dict(volunteer_id=v.id, checked_in_at=utc(2027, 1, 1, 0, 10), checked_out_at=utc(2027, 1, 1, 1, 40),
             confirmed_at=utc(2027, 1, 1, 9), activity_id=None),
        dict(volunteer_id=v.id, checked_in_at=utc(2026, 11, 30, 23, 30), checked_out_at=utc(2026, 12, 1, 0, 20),
             confirmed_at=utc(2026, 12, 1, 9), activity_id=None),
        dict(volunteer_id=v.id, checked_in_at=utc(2026, 11, 30, 8), checked_out_at=utc(2026, 11, 30, 9),
             confirmed_at=None, activity_id=None),
        dict(volunteer_id=volunteers[1].id, checked_in_at=utc(2027, 1, 20, 9), checked_out_at=None,
             confirmed_at=None, activity_id=None),  # still on duty
    ]
    for s in sessions:
        db.session.add(ServiceSession(station_id=station.id, check_in_method="scanner", **s))

    swap_category = db.session.scalars(select(SwapCategory).where(SwapCategory.station_id == station.id)).first()
    items = []
    for n in range(120):
        logged = FIRST + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        taken = logged + timedelta(hours=rng.randrange(1, 900)) if rng.random() < 0.6 else None
        items.append(SwapItem(station_id=station.id, number=n + 1, code=f"J-{n + 1:04d}", title="书", condition="good",
                              category_id=swap_category.id, status="taken" if taken else "on_shelf",
                              logged_at=logged, taken_at=taken))
    items[0].logged_at, items[0].taken_at, items[0].status = utc(2026, 6, 1, 9), utc(2026, 7, 1, 9), "taken"  # long ago
    db.session.add_all(items)

    suggestion_category = db.session.scalars(
        select(SuggestionCategory).where(SuggestionCategory.station_id == station.id)).first()
    for n in range(60):
        made = FIRST + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        status = rng.choice(["received", "accepted", "in_progress", "resolved", "declined"])
        done = made + timedelta(hours=rng.randrange(2, 600)) if status in ("resolved", "declined") else None
        db.session.add(Suggestion(station_id=station.id, tracking_code=f"S-{n:06d}", category_id=suggestion_category.id,
                                  text="路灯坏了", source="kiosk", submitter="t", origin="o", status=status,
                                  created_at=made, updated_at=done or made, resolved_at=done))

    services = db.session.scalars(select(WalkInService).where(WalkInService.station_id == station.id)).all()
    for n in range(300):
        db.session.add(WalkInVisit(station_id=station.id, service_id=rng.choice(services[:3]).id, tap_id=f"{n:032d}",
                                   at=FIRST + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))))

    gift = Gift(station_id=station.id, name="毛巾", points=10, stock=100)
    db.session.add(gift)
    db.session.flush()
    lines = []
    for n in range(80):
        at = FIRST + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        kind = rng.choice(["hours", "hours", "lead", "bonus", "correction", "gift"])
        amount = -rng.randrange(1, 20) if kind in ("correction", "gift") else rng.randrange(1, 20)
        lines.append(PointsLine(station_id=station.id, volunteer_id=rng.choice(volunteers).id, amount=amount,
                                kind=kind, at=at))
    db.session.add_all(lines)
    db.session.flush()
    for original in lines[:10]:  # reversals, later, of earning and spending lines alike
        db.session.add(PointsLine(station_id=station.id, volunteer_id=original.volunteer_id, amount=-original.amount,
                                  kind="reversal", reverses_id=original.id, at=original.at + timedelta(days=3)))
    for n in range(25):
        asked = FIRST + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        db.session.add(Redemption(station_id=station.id, volunteer_id=rng.choice(volunteers).id, gift_id=gift.id,
                                  points=10, status=rng.choice(["waiting", "handed", "cancelled"]), requested_at=asked,
                                  decided_at=asked + timedelta(hours=1)))
    db.session.flush()
    return station


def expected(station: Station, first: date, last: date) -> dict:
    """The figures for [first, last] (local days), from every raw row, without the reports code."""
    def inside(moment):
        return moment is not None and first <= local_day(moment) <= last

    end_utc = utc(last.year, last.month, last.day) + timedelta(days=1)
    sessions = [s for s in db.session.scalars(select(ServiceSession)) if inside(s.checked_in_at)]
    served = {s.volunteer_id for s in sessions}  # a volunteer entered afterwards with their paper hours is on the list
    roll = [v for v in db.session.scalars(select(Volunteer).where(Volunteer.station_id == station.id))
            if v.created_at < end_utc or v.id in served]

    def rounded(s):
        if s.confirmed_at is None or s.checked_out_at is None:
            return 0
        whole = int((s.checked_out_at - s.checked_in_at).total_seconds() // 60)
        return (whole + 15) // 30 * 30

    activities = {a.id: a for a in db.session.scalars(select(Activity))}
    held = [s for s in sessions if s.activity_id and s.checked_out_at and not activities[s.activity_id].cancelled]
    recurring_days = {(s.activity_id, local_day(s.checked_in_at)) for s in held if activities[s.activity_id].recurring}
    one_off = {s.activity_id for s in held if not activities[s.activity_id].recurring}
    items = db.session.scalars(select(SwapItem)).all()
    suggestions = db.session.scalars(select(Suggestion)).all()
    resolved = [s for s in suggestions if s.status == "resolved" and inside(s.resolved_at)]
    lines = {line.id: line for line in db.session.scalars(select(PointsLine))}
    earning = ("hours", "lead", "bonus")
    earned = sum(line.amount for line in lines.values() if inside(line.at) and (
        line.kind in earning or (line.kind == "reversal" and lines[line.reverses_id].kind in earning)))
    return {
        "registered": len(roll),
        "new_volunteers": sum(1 for v in roll if inside(v.created_at)),  # not one registered after the period
        "active": len({s.volunteer_id for s in sessions}),
        "sessions": len(sessions),
        "person_times": len({(s.volunteer_id, local_day(s.checked_in_at), s.activity_id) for s in sessions}),
        "confirmed_minutes": sum(rounded(s) for s in sessions),
        "activities_held": len(one_off) + len(recurring_days),
        "swap_in": sum(1 for i in items if inside(i.logged_at)),
        "swap_out": sum(1 for i in items if inside(i.taken_at)),
        "swap_homes_so_far": sum(1 for i in items if i.taken_at is not None and local_day(i.taken_at) <= last),
        "suggestions_received": sum(1 for s in suggestions if inside(s.created_at)),
        "suggestions_resolved": len(resolved),
        "suggestions_declined": sum(1 for s in suggestions if s.status == "declined" and inside(s.resolved_at)),
        "median_days_to_resolve": round(median((s.resolved_at - s.created_at).total_seconds() / 86400 for s in resolved),
                                        1) if resolved else None,
        "walk_in_total": sum(1 for v in db.session.scalars(select(WalkInVisit)) if inside(v.at)),
        "points_earned": earned,
        "gifts_redeemed": sum(1 for r in db.session.scalars(select(Redemption))
                              if r.status == "handed" and inside(r.decided_at)),
    }


def as_dict(figures) -> dict:
    return {
        key: getattr(figures, key) for key in (
            "registered", "new_volunteers", "active", "sessions", "person_times", "confirmed_minutes",
            "activities_held", "swap_in", "swap_out", "swap_homes_so_far", "suggestions_received",
            "suggestions_resolved", "suggestions_declined", "median_days_to_resolve", "walk_in_total",
            "points_earned", "gifts_redeemed")}


@pytest.mark.parametrize("period", [month(2026, 12), month(2027, 1), month(2026, 11), year(2026), year(2027),
                                    Period("range", date(2026, 12, 20), date(2027, 1, 10))],
                         ids=["december", "january", "november", "2026", "2027", "across-new-year"])
def test_figures_match_the_raw_rows(history, period):
    want = expected(history, period.first, period.last)
    got = as_dict(station_figures(history, period, LATER))
    assert got == want
    assert got["sessions"] > 0


def test_a_session_at_half_past_eleven_on_the_last_night_belongs_to_that_month(history):
    december = station_figures(history, month(2026, 12), LATER)
    january = station_figures(history, month(2027, 1), LATER)
    late = [s for s in december.steps if s.first == date(2026, 12, 31)][0]
    early = [s for s in january.steps if s.first == date(2027, 1, 1)][0]
    # 23:30–23:58 on 31 Dec (confirmed, 28 min -> 30) is December's; 00:10–01:40 (90) is January's.
    assert late.confirmed_minutes >= 30 and early.confirmed_minutes >= 90
    both = station_figures(history, Period("range", date(2026, 12, 31), date(2027, 1, 1)), LATER)
    assert [s.first for s in both.steps] == [date(2026, 12, 31), date(2027, 1, 1)]
    assert both.steps[0].confirmed_minutes == late.confirmed_minutes
    assert both.steps[1].confirmed_minutes == early.confirmed_minutes


def test_the_steps_add_up_to_the_period(history):
    figures = station_figures(history, year(2026), LATER)
    assert [s.first for s in figures.steps] == [date(2026, m, 1) for m in range(1, 13)]
    assert sum(s.person_times for s in figures.steps) == figures.person_times
    assert sum(s.confirmed_minutes for s in figures.steps) == figures.confirmed_minutes
    assert sum(s.swap_in for s in figures.steps) == figures.swap_in
    assert sum(s.swap_out for s in figures.steps) == figures.swap_out
    november = station_figures(history, month(2026, 11), LATER)
    assert len(november.steps) == 30 and all(s.first == s.last for s in november.steps)


def test_teams_and_ages_count_who_served(history):
    figures = station_figures(history, year(2026), LATER)
    assert sum(registered for _key, registered, _active in figures.by_age) == figures.registered
    assert sum(active for _key, _registered, active in figures.by_age) == figures.active
    # Every demo volunteer is in one team: the teams' counts add up to those who served.
    assert sum(registered for _team, registered, _active, _minutes in figures.by_team) == figures.registered
    assert sum(active for _team, _registered, active, _minutes in figures.by_team) == figures.active
    assert sum(minutes for *_, minutes in figures.by_team) == figures.confirmed_minutes


# Probe: volunteers registered in December with their November hours typed in from paper made
# November's report say "0 registered, 6 served", every one of them of unknown age.
def test_a_volunteer_registered_after_the_period_who_served_in_it_counts_on_the_list_at_their_age(ctx):
    late = db.session.get(Volunteer, 1)
    late.created_at, late.birth_year = utc(2026, 12, 8, 10), 1955
    db.session.add(ServiceSession(station_id=ctx.id, volunteer_id=late.id, checked_in_at=utc(2026, 11, 5, 9),
                                  checked_out_at=utc(2026, 11, 5, 12), check_in_method="keeper",
                                  check_out_method="keeper", confirmed_at=utc(2026, 12, 8, 10)))
    for v in db.session.scalars(select(Volunteer).where(Volunteer.id != late.id)):
        v.created_at = utc(2027, 1, 1)  # nobody else on the list yet
    db.session.flush()
    figures = station_figures(ctx, month(2026, 11), LATER)
    assert (figures.registered, figures.new_volunteers, figures.active) == (1, 0, 1)
    assert [(key, registered, active) for key, registered, active in figures.by_age if registered or active] == [
        ("70_up", 1, 1)]
    assert [row[1:3] for row in figures.by_team] == [(1, 1)]


def test_a_period_with_nothing_in_it_is_all_zeros(history):
    figures = station_figures(history, month(2025, 3), LATER)
    assert (figures.sessions, figures.person_times, figures.confirmed_minutes, figures.swap_in) == (0, 0, 0, 0)
    assert figures.median_days_to_resolve is None and figures.swap_homes_so_far == 0


@pytest.mark.parametrize("born, in_year, group", [(1958, 2026, "60_69"), (1956, 2026, "70_up"), (1967, 2026, "35_59"),
                                                   (1991, 2026, "35_59"), (1992, 2026, "under_35"), (None, 2026, "unknown"),
                                                   (2030, 2026, "unknown"), (1850, 2026, "unknown")])
def test_age_groups(born, in_year, group):
    assert age_group(born, in_year) == group


def test_previous_and_following_periods():
    assert month(2027, 1).previous() == month(2026, 12)
    assert month(2026, 12).following() == month(2027, 1)
    assert year(2026).previous() == year(2025)
    span = Period("range", date(2026, 12, 20), date(2027, 1, 10))
    assert span.previous() == Period("range", date(2026, 11, 28), date(2026, 12, 19))
    assert span.following() == Period("range", date(2027, 1, 11), date(2027, 2, 1))
    assert month(2028, 2).last == date(2028, 2, 29)
    assert last_month(date(2026, 11, 3)) == month(2026, 10) and last_month(date(2026, 11, 27)) == month(2026, 11)
    assert last_month(date(2027, 1, 3)) == month(2026, 12)


def test_a_station_with_nothing_before_last_month_ended_opens_its_reports_on_this_month():
    today = date(2026, 12, 7)
    assert opening_period(today, None) == month(2026, 12)
    assert opening_period(today, date(2026, 12, 1)) == month(2026, 12)
    assert opening_period(today, date(2026, 11, 30)) == month(2026, 11)
    assert opening_period(date(2026, 12, 27), date(2026, 12, 20)) == month(2026, 12)  # late in the month: this one


@pytest.mark.parametrize("args, field", [
    ({"kind": "month", "month": "2026-13"}, "month"), ({"kind": "month", "month": "11/2026"}, "month"),
    ({"kind": "month", "month": ""}, "month"), ({"kind": "month", "month": "１２３４-11"}, "month"),
    ({"kind": "year", "year": "1999"}, "year"), ({"kind": "year", "year": "二〇二六"}, "year"),
    ({"kind": "year", "year": "20266"}, "year"), ({"kind": "range", "from": "2026-12-01", "to": "2026-11-01"}, "to"),
    ({"kind": "range", "from": "2020-01-01", "to": "2026-01-01"}, "to"), ({"kind": "range", "from": "x", "to": ""}, "from"),
    ({"kind": "week"}, "kind"),
])
def test_a_wrong_period_names_its_field(app, args, field):
    with app.test_request_context(), pytest.raises(DomainError) as refused:
        parse_period(args, TODAY)
    assert refused.value.field == field


def test_a_range_is_at_most_three_years_and_ends_today_at_the_latest(app):
    assert parse_period({"kind": "range", "from": "2023-11-23", "to": "2026-11-22"}, TODAY).first == date(2023, 11, 23)
    assert parse_period({"kind": "range", "from": "2024-02-29", "to": "2027-02-28"}, date(2027, 3, 1)).days == 1096
    with in_english(app):
        for first, last, today, message in [
            ("2023-11-22", "2026-11-22", TODAY, "Please choose at most three years at a time."),
            ("2024-02-29", "2027-03-01", date(2027, 3, 1), "Please choose at most three years at a time."),
            ("2026-11-01", "2026-11-23", TODAY, "The last day cannot be in the future."),
            ("2026-12-01", "2027-12-01", TODAY, "The last day cannot be in the future."),
        ]:
            with pytest.raises(DomainError) as refused:
                parse_period({"kind": "range", "from": first, "to": last}, today)
            assert (refused.value.field, str(refused.value.message)) == ("to", message)


def test_periods_are_read_from_the_page():
    assert parse_period({"kind": "month", "month": "2026-02"}, TODAY) == Period("month", date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period({"kind": "year", "year": " 2027 "}, TODAY) == year(2027)  # a year still to come may be planned
    assert parse_period({"kind": "year", "year": "２０２６"}, TODAY) == year(2026)  # a keyboard in full-width mode
    assert parse_period({"kind": "month", "month": "２０２６-１１"}, TODAY) == month(2026, 11)
    assert parse_period({"kind": "range", "from": "2026-12-20", "to": "2027-01-10"}, date(2027, 1, 10)).days == 22


def test_charts_scale_to_the_largest_value_and_carry_their_figures():
    chart = charts.columns("x", "Hours", ["Jan", "Feb", "Mar"], [("Brought", [0, 5, 10], str), ("Taken", [20, 0, 5], str)])
    heights = [round(r.height) for r in chart.rects]
    assert heights == [0, 60, 120, 240, 0, 60]  # one scale for both series
    assert chart.rows == [["Jan", "0", "20"], ["Feb", "5", "0"], ["Mar", "10", "5"]]
    assert "Feb: 5, 0" in chart.description
    flat = charts.bars("y", "Visits", [("Water", 0), ("Rest", 0)], str, "Visits")
    assert [r.width for r in flat.rects] == [0, 0] and flat.rows == [["Water", "0"], ["Rest", "0"]]


HEADLINE = ("registered", "new_volunteers", "active", "sessions", "person_times", "confirmed_minutes",
            "activities_held", "swap_in", "swap_out", "swap_homes_so_far", "suggestions_received",
            "suggestions_resolved", "suggestions_declined", "median_days_to_resolve", "walk_in_total",
            "points_earned", "gifts_redeemed")


def other_station(slug: str, zone: str, seed: int) -> Station:
    """A station in another time zone with a few sessions, some on the stroke of a minute or of
    midnight, some with odd seconds."""
    from kiosk.core.stations import add_station
    from kiosk.people.volunteers import register_volunteer

    rng = random.Random(seed)
    station = add_station(slug, slug, timezone=zone)
    station.hours_rounding_minutes = 15
    people = [register_volunteer(station, name=f"王{n}明", mobile=f"1370000{seed:02d}{n:02d}", birth_year=1950 + n,
                                 teams=[], skills=[]) for n in range(5)]
    db.session.flush()
    for n in range(200):
        start = FIRST + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60), seconds=rng.choice([0, 0, 17.25, 59.999]))
        end = start + timedelta(minutes=rng.choice([7, 15, 22, 30, 45, 90]), seconds=rng.choice([0, 0, 30, 0.5]))
        db.session.add(ServiceSession(station_id=station.id, volunteer_id=rng.choice(people).id, checked_in_at=start,
                                      checked_out_at=end, confirmed_at=end if n % 4 else None,
                                      check_in_method="scanner"))
    db.session.flush()
    return station


@pytest.mark.parametrize("period", [month(2026, 12), year(2026), Period("range", date(2026, 10, 1), date(2027, 3, 31))],
                         ids=["december", "2026", "winter-and-summer-time"])
def test_the_district_adds_up_in_the_database_what_each_station_counts(history, period):
    from kiosk.reports.figures import district_figures

    stations = [history, other_station("urumqi", "Asia/Urumqi", 1), other_station("berlin", "Europe/Berlin", 2)]
    district = district_figures(stations, period, LATER)
    assert [f.station.id for f in district] == [s.id for s in stations]
    for station, together in zip(stations, district):
        alone = station_figures(station, period, LATER, details=False)
        assert {k: getattr(together, k) for k in HEADLINE} == {k: getattr(alone, k) for k in HEADLINE}, station.slug
    assert district[0].sessions > 0 and district[1].confirmed_minutes > 0


def test_activities_held_are_those_that_took_place(ctx):
    """Held: not cancelled, started by now, and someone's hours recorded for it. A planned one,
    a cancelled one and one nobody came to are not; nor a far-future one in its own year."""
    from kiosk.reports.figures import district_figures

    station = ctx
    now = utc(2026, 12, 6, 12)

    def activity(name, start, hours=2, recurring=False, cancelled=False, served=(), open_too=False):
        a = Activity(station_id=station.id, name=name, starts_at=start, ends_at=start + timedelta(hours=hours),
                     recurring=recurring, cancelled=cancelled, created_at=FIRST)
        db.session.add(a)
        db.session.flush()
        for n, at in enumerate(served):
            db.session.add(ServiceSession(station_id=station.id, volunteer_id=n + 1, checked_in_at=at,
                                          checked_out_at=at + timedelta(hours=1), activity_id=a.id,
                                          check_in_method="keeper"))
        if open_too:  # on duty now: no hours recorded yet
            db.session.add(ServiceSession(station_id=station.id, volunteer_id=5, checked_in_at=now - timedelta(hours=1),
                                          activity_id=a.id, check_in_method="scanner"))
        return a

    activity("学雷锋理发", utc(2026, 12, 1, 10), served=[utc(2026, 12, 1, 10), utc(2026, 12, 1, 10)])  # held: 1
    activity("爱心课堂", utc(2026, 12, 10, 9))  # planned for later
    activity("取消的", utc(2026, 12, 2, 9), cancelled=True, served=[utc(2026, 12, 2, 9)])
    activity("没人来", utc(2026, 12, 3, 9))
    activity("还没开始", utc(2026, 12, 6, 13), served=[utc(2026, 12, 6, 11)])  # an early arrival, not started yet
    activity("正在进行", utc(2026, 12, 6, 11), open_too=True)
    activity("平安巡防", utc(2026, 12, 1, 8), hours=24 * 30, recurring=True,
             served=[utc(2026, 12, 2, 8), utc(2026, 12, 2, 9), utc(2026, 12, 4, 8)])  # two days
    activity("很远的", datetime(2099, 1, 1, 1, tzinfo=UTC))
    db.session.flush()

    assert station_figures(station, month(2026, 12), now).activities_held == 3
    assert district_figures([station], month(2026, 12), now)[0].activities_held == 3
    assert station_figures(station, year(2099), now).activities_held == 0
    assert district_figures([station], year(2099), now)[0].activities_held == 0


def test_a_period_has_begun_on_its_first_day():
    assert month(2026, 11).has_begun(date(2026, 11, 1)) and not month(2026, 12).has_begun(date(2026, 11, 30))
    assert year(2026).following().has_begun(date(2027, 1, 1)) and not year(2027).has_begun(TODAY)


@pytest.mark.parametrize("lang, day_in_month, month_in_year, day, month_", [
    ("en", "Dec 8", "Dec", "Dec 8", "Dec 2026"),  # a bare 8 would not say it is a day, nor of which month
    ("zh_Hans", "8日", "12月", "12月8日", "2026年12月"),  # 8日 says it is a day; the chart's month says which
    ("zh_Hant", "8日", "12月", "12月8日", "2026年12月"),
])
def test_a_bars_name_says_what_it_is(app, lang, day_in_month, month_in_year, day, month_):
    from kiosk.reports.summary import step_title

    with app.test_request_context("/", headers={"Cookie": f"kiosk_lang={lang}"}):
        assert step_title(date(2026, 12, 8), by_day=True, short=True) == day_in_month
        assert step_title(date(2026, 12, 1), by_day=False, short=True) == month_in_year
        assert step_title(date(2026, 12, 8), by_day=True) == day
        assert step_title(date(2026, 12, 1), by_day=False) == month_


def test_names_wider_than_their_column_are_given_to_every_other_one():
    def named(steps):
        chart = charts.columns("x", "Hours", steps, [("Hours", [1] * len(steps), str)])
        return [label.text for label in chart.labels if label.kind == "axis"]

    assert named([f"Nov {n}" for n in range(1, 13)]) == ["Nov 1", "Nov 3", "Nov 5", "Nov 7", "Nov 9", "Nov 11"]
    assert named([f"{n}月" for n in range(1, 13)]) == [f"{n}月" for n in range(1, 13)]  # room for each
    assert len(named([f"{n}日" for n in range(1, 32)])) == 11  # a month's days: every third, as before
