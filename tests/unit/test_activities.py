"""Activities, sign-ups, where a check-in goes, recording afterwards, ratings, the honor roll."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kiosk.activities.models import Activity, Rating, Signup
from kiosk.activities.ratings import average_for_volunteer, rate, summary
from kiosk.activities.schedule import (
    activity_for_check_in,
    cancel_activity,
    cancelled_sign_ups,
    change_activity,
    check_plan,
    held_in_month,
    plan_activity,
    record_held_elsewhere,
    served,
    sign_up,
    withdraw,
)
from kiosk.checkin.attendance import scan_badge
from kiosk.checkin.corrections import correct_session
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.honor.roll import honor_roll, honor_roll_for_home, pick, ranks
from kiosk.people.badges import badge_token
from kiosk.people.models import Keeper, Volunteer
from kiosk.stars.ladder import stars_of
from tests.conftest import START, at_once, in_english


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station)


def keeper() -> Keeper:
    return db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))


def volunteer(number: int = 1) -> Volunteer:
    return db.session.get(Volunteer, number)


def an_activity(station, start=START + timedelta(hours=2), hours=2, capacity=None, recurring=False, name="爱心课堂",
                days=0) -> Activity:
    end = start + (timedelta(days=days, hours=hours) if recurring else timedelta(hours=hours))
    plan = check_plan(station, name, None, "驿站二楼", "给孩子讲故事", start, end, recurring, capacity, "王老师", "幸福社区",
                      now=START)
    return plan_activity(keeper(), station, plan, START)


# --- Planning ------------------------------------------------------------------------------


@pytest.mark.parametrize("change, field", [
    (dict(name="  "), "name"), (dict(ends=-1), "ends_at"), (dict(hours=17), "ends_at"), (dict(capacity=0), "capacity"),
    (dict(capacity=10**6), "capacity"), (dict(recurring=True, days=400), "ends_at"), (dict(team_id=999), "team_id"),
])
def test_a_plan_that_makes_no_sense_is_refused_with_the_field(ctx, change, field):
    hours = change.get("hours", 2) if "ends" not in change else -1
    end = START + timedelta(days=change.get("days", 0), hours=hours)
    with pytest.raises(DomainError) as caught:
        check_plan(ctx, change.get("name", "巡防"), change.get("team_id"), "", "", START, end, change.get("recurring", False),
                   change.get("capacity"), "", "", now=START)
    assert caught.value.field == field


def test_a_plan_wrong_in_several_ways_names_every_field_at_once(ctx):
    with pytest.raises(DomainError) as caught:
        check_plan(ctx, " ", 999, "", "", START, START - timedelta(hours=1), False, 0, "", "", now=START)
    assert caught.value.by_field() == {
        "name": "Please give the activity a name.", "ends_at": "The end must be after the start.",
        "capacity": "Places: a whole number from 1 to 10000, or empty for no limit.",
        "team_id": "Please choose from the list."}


def test_a_plan_without_a_start_still_has_its_places_checked(ctx):
    with pytest.raises(DomainError) as caught:
        check_plan(ctx, "巡防", None, "", "", None, START, False, 0, "", "", now=START)
    assert set(caught.value.by_field()) == {"starts_at", "capacity"}, "no end-before-start without a start"


@pytest.mark.parametrize("start, words", [
    (datetime(2099, 1, 1, 1, tzinfo=UTC), r"at most a year ahead \(until 2027-11-23\)"),
    (START + timedelta(days=367), "at most a year ahead"),
    (datetime(1990, 1, 1, 1, tzinfo=UTC), "between 2000-01-01 and 2100-12-31"),
])
def test_an_activity_far_ahead_or_long_ago_is_refused(ctx, start, words):
    with pytest.raises(DomainError, match=words) as caught:
        check_plan(ctx, "爱心课堂", None, "", "", start, start + timedelta(hours=1), False, None, "", "", now=START)
    assert caught.value.field == "starts_at"


def test_an_activity_a_year_ahead_is_fine_and_shows_its_year(ctx):
    from kiosk.activities.schedule import day_skeleton

    next_year = START + timedelta(days=365)
    assert check_plan(ctx, "爱心课堂", None, "", "", next_year, next_year + timedelta(hours=1), False, None, "", "",
                      now=START).starts_at == next_year
    assert day_skeleton(ctx, START + timedelta(days=30), START) == "MMMd"  # 22 December, this year
    assert day_skeleton(ctx, next_year, START) == "yMMMd"
    assert day_skeleton(ctx, START - timedelta(days=365), START) == "yMMMd"


def test_the_same_activity_twice_is_refused(ctx):
    first = an_activity(ctx)
    with pytest.raises(DomainError, match="爱心课堂 at this time is planned already") as caught:
        an_activity(ctx)
    assert caught.value.field == "name"
    other = an_activity(ctx, start=first.starts_at + timedelta(days=1))  # another day: fine
    an_activity(ctx, name="学雷锋理发")  # another name at the same time: fine
    same = check_plan(ctx, "爱心课堂", None, "", "", first.starts_at, first.ends_at, False, None, "", "", now=START)
    with pytest.raises(DomainError, match="planned already"):
        change_activity(keeper(), ctx, other, same, START)
    change_activity(keeper(), ctx, first, same, START)  # itself unchanged: fine
    cancel_activity(keeper(), ctx, first, START)
    assert an_activity(ctx).id != first.id  # once cancelled, it may be planned again


def test_two_keepers_adding_the_same_activity_at_once_add_it_once(app, station):
    def add(_):
        st = db.session.get(Station, station)
        plan = check_plan(st, "爱心课堂", None, "", "", START + timedelta(hours=2), START + timedelta(hours=3), False,
                          None, "", "", now=START)
        plan_activity(keeper(), st, plan, START)

    results = at_once(app, 2, add)
    assert sorted(results) == ["ok", "爱心课堂 at this time is planned already."]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 1


def test_fewer_places_than_sign_ups_is_refused(ctx):
    activity = an_activity(ctx, capacity=3)
    for number in (1, 2):
        sign_up(ctx, volunteer(number), activity, START)
    plan = check_plan(ctx, "爱心课堂", None, "", "", activity.starts_at, activity.ends_at, False, 1, "", "", now=START)
    with pytest.raises(DomainError, match="cannot be fewer"):
        change_activity(keeper(), ctx, activity, plan, START)


# --- Sign-ups ------------------------------------------------------------------------------


def test_sign_ups_stop_at_the_capacity_and_a_withdrawal_frees_a_place(ctx):
    activity = an_activity(ctx, capacity=2)
    sign_up(ctx, volunteer(1), activity, START)
    with pytest.raises(DomainError, match="signed up already"):
        sign_up(ctx, volunteer(1), activity, START)
    sign_up(ctx, volunteer(2), activity, START)
    with pytest.raises(DomainError, match="full"):
        sign_up(ctx, volunteer(3), activity, START)
    withdraw(ctx, volunteer(1), activity, START)
    sign_up(ctx, volunteer(3), activity, START)
    with pytest.raises(DomainError, match="has started"):
        withdraw(ctx, volunteer(3), activity, activity.starts_at + timedelta(minutes=1))
    with pytest.raises(DomainError, match="over"):
        sign_up(ctx, volunteer(4), activity, activity.ends_at)
    cancel_activity(keeper(), ctx, activity, START)
    with pytest.raises(DomainError, match="cancelled"):
        sign_up(ctx, volunteer(4), activity, START)


def test_two_sign_ups_for_the_last_place_one_succeeds(app, station):
    with app.app_context():
        activity_id = an_activity(db.session.get(Station, station), capacity=1).id
        db.session.commit()
    results = at_once(app, 2, lambda i: sign_up(db.session.get(Station, station), volunteer(i + 1),
                                                 db.session.get(Activity, activity_id), START))
    assert sorted(results) == ["Sorry, this activity is full.", "ok"], results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 1


# --- Where a check-in goes -----------------------------------------------------------------


def test_a_check_in_goes_to_the_activity_signed_up_for_else_the_station_duty(ctx):
    lesson = an_activity(ctx, start=START + timedelta(minutes=30))  # starts half an hour after check-in
    patrol = an_activity(ctx, start=START - timedelta(days=1), recurring=True, days=30, name="平安巡防")
    sign_up(ctx, volunteer(1), lesson, START)
    sign_up(ctx, volunteer(1), patrol, START)
    sign_up(ctx, volunteer(2), patrol, START)
    assert activity_for_check_in(ctx, volunteer(1), START) == (lesson.id, "爱心课堂")
    assert activity_for_check_in(ctx, volunteer(2), START) == (patrol.id, "平安巡防")
    assert activity_for_check_in(ctx, volunteer(3), START) is None
    assert activity_for_check_in(ctx, volunteer(1), START - timedelta(hours=2)) == (patrol.id, "平安巡防")
    first = scan_badge(ctx, badge_token(volunteer(1)), "scanner", START)
    assert (first.session.activity_id, first.activity) == (lesson.id, "爱心课堂")
    out = scan_badge(ctx, badge_token(volunteer(1)), "scanner", START + timedelta(hours=3))
    assert out.outcome == "checked_out" and out.session.activity_id == lesson.id
    duty = scan_badge(ctx, badge_token(volunteer(3)), "scanner", START)
    assert duty.session.activity_id is None and duty.activity is None
    assert [(s.volunteer.id, s.minutes) for s in served(ctx, lesson)] == [(1, 180)]


# --- Recording afterwards ------------------------------------------------------------------


def test_an_activity_held_elsewhere_is_recorded_for_everyone_or_for_nobody(ctx):
    activity = an_activity(ctx, start=START - timedelta(days=2))
    now = START
    assert record_held_elsewhere(keeper(), ctx, activity, [1, 2, 2], None, None, now) == 2
    sessions = db.session.scalars(select(ServiceSession).where(ServiceSession.activity_id == activity.id)).all()
    assert len(sessions) == 2
    assert all(s.confirmed_at == now and s.checked_in_at == activity.starts_at and s.checked_out_at == activity.ends_at
               for s in sessions)
    db.session.commit()
    with pytest.raises(DomainError, match="already has a session"):
        record_held_elsewhere(keeper(), ctx, activity, [3, 1], None, None, now)
    db.session.rollback()  # what the request does with a refusal
    assert db.session.scalar(select(func.count()).select_from(ServiceSession)
                             .where(ServiceSession.volunteer_id == 3)) == 0
    with pytest.raises(DomainError):
        record_held_elsewhere(keeper(), ctx, activity, [], None, None, now)
    with pytest.raises(DomainError):
        record_held_elsewhere(keeper(), ctx, activity, [3], activity.ends_at, activity.starts_at, now)


def test_recorded_hours_lie_on_the_activitys_own_day(ctx):
    """学雷锋理发 on 20 Nov 09:00–11:00 (Shanghai): 1 November is refused, naming the day; an early
    arrival at 07:30 and staying till 13:00 that day is fine."""
    activity = an_activity(ctx, start=START - timedelta(days=2))
    db.session.commit()
    elsewhere = START - timedelta(days=21)
    with pytest.raises(DomainError, match=r"activity's own day \(2026-11-20\)") as refused:
        record_held_elsewhere(keeper(), ctx, activity, [1, 2], elsewhere, elsewhere + timedelta(hours=2), START)
    assert refused.value.field == "starts_at"
    with pytest.raises(DomainError, match="own day"):  # the end on the next morning
        record_held_elsewhere(keeper(), ctx, activity, [1], activity.starts_at, activity.starts_at + timedelta(hours=16),
                              START)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 0
    early, late = activity.starts_at - timedelta(hours=1, minutes=30), activity.ends_at + timedelta(hours=2)
    assert record_held_elsewhere(keeper(), ctx, activity, [1], early, late, START) == 1


def test_a_recurring_dutys_hours_lie_on_any_of_its_days(ctx):
    duty = an_activity(ctx, start=START - timedelta(days=10), hours=2, recurring=True, days=20, name="平安巡防")
    a_day_in_it = START - timedelta(days=3)
    assert record_held_elsewhere(keeper(), ctx, duty, [1], a_day_in_it, a_day_in_it + timedelta(hours=1), START) == 1
    before = START - timedelta(days=11)
    with pytest.raises(DomainError, match=r"own day \(2026-11-12 – 2026-12-02\)"):
        record_held_elsewhere(keeper(), ctx, duty, [2], before, before + timedelta(hours=1), START)


def test_hours_wait_for_the_activity_to_start(ctx):
    coming = an_activity(ctx, start=START + timedelta(days=3))
    with pytest.raises(DomainError, match="Hours can be recorded once it has started"):
        record_held_elsewhere(keeper(), ctx, coming, [1], None, None, START)


def test_a_cancelled_activity_takes_no_more_hours_and_no_changes(ctx):
    """Hours recorded before it was cancelled stay (they were served); nothing is added or moved after."""
    activity = an_activity(ctx, start=START - timedelta(days=2))
    assert record_held_elsewhere(keeper(), ctx, activity, [1], None, None, START) == 1
    cancel_activity(keeper(), ctx, activity, START)
    with pytest.raises(DomainError, match="cancelled: it cannot be changed, and no more hours"):
        record_held_elsewhere(keeper(), ctx, activity, [2], None, None, START)
    plan = check_plan(ctx, "爱心课堂", None, "", "", activity.starts_at, activity.ends_at, False, None, "", "", now=START)
    with pytest.raises(DomainError, match="cancelled: it cannot be changed"):
        change_activity(keeper(), ctx, activity, plan, START)
    assert [s.volunteer_id for s in db.session.scalars(select(ServiceSession))] == [1]


def test_a_volunteer_is_told_of_a_cancelled_activity_they_signed_up_for(ctx):
    """Coming up or over within the last week: their phone page says it is cancelled, so nobody
    comes for nothing. Not signed up, not cancelled, or long over: nothing to tell."""
    soon = an_activity(ctx, start=START + timedelta(days=3))
    over = an_activity(ctx, start=START - timedelta(days=6), name="理发")
    long_ago = an_activity(ctx, start=START - timedelta(days=9), name="巡防")
    kept = an_activity(ctx, start=START + timedelta(days=4), name="读书会")
    other = an_activity(ctx, start=START + timedelta(days=5), name="义诊")
    for activity in (soon, over, long_ago, kept):
        db.session.add(Signup(activity_id=activity.id, volunteer_id=1, at=START - timedelta(days=20)))
    db.session.add(Signup(activity_id=other.id, volunteer_id=2, at=START))
    for activity in (soon, over, long_ago, other):
        cancel_activity(keeper(), ctx, activity, START)
    assert [a.name for a in cancelled_sign_ups(ctx, volunteer(1), START)] == ["理发", "爱心课堂"]
    assert [a.name for a in cancelled_sign_ups(ctx, volunteer(2), START)] == ["义诊"]
    assert cancelled_sign_ups(ctx, volunteer(3), START) == []


def test_a_month_lists_every_activity_held_in_it_even_from_long_ago(ctx):
    """A keeper copying last month's paper sheets plans them on their real days; the month finds
    them again, cancelled ones too, and a recurring duty running through it. Days are the station's."""
    october = lambda day, hour: datetime(2026, 10, day, hour, tzinfo=UTC)  # noqa: E731
    first = an_activity(ctx, start=october(1, 0), name="国庆巡防")  # 1 October 08:00 in Shanghai
    an_activity(ctx, start=october(31, 16), name="十一月一日")  # 1 November 00:00 in Shanghai: November's
    an_activity(ctx, start=datetime(2026, 9, 30, 14, tzinfo=UTC), name="九月")  # 22:00–24:00 on 30 September
    duty = an_activity(ctx, start=datetime(2026, 8, 1, 0, tzinfo=UTC), recurring=True, days=90, name="平安巡防")
    cancelled = an_activity(ctx, start=october(20, 2), name="理发")
    cancel_activity(keeper(), ctx, cancelled, START)
    an_activity(ctx, start=datetime(2024, 10, 5, 2, tzinfo=UTC), name="两年前")
    assert [a.name for a in held_in_month(ctx, date(2026, 10, 1))] == ["平安巡防", "国庆巡防", "理发"]
    assert [a.name for a in held_in_month(ctx, date(2024, 10, 1))] == ["两年前"]
    assert [a.name for a in held_in_month(ctx, date(2026, 11, 1))] == ["十一月一日"]
    assert held_in_month(ctx, date(2025, 10, 1)) == []
    assert first.id and duty.id


def test_blank_times_while_the_activity_runs_ask_for_the_real_end(ctx):
    """'Empty: as planned' is an end still to come while it runs: the keeper is asked for the
    real end, beside the end, not told off for a time they never typed."""
    running = an_activity(ctx, start=START - timedelta(minutes=35), hours=3)
    with pytest.raises(DomainError, match="has not ended yet. Please give the time it actually ended") as refused:
        record_held_elsewhere(keeper(), ctx, running, [1], None, None, START)
    assert refused.value.field == "ends_at"
    assert record_held_elsewhere(keeper(), ctx, running, [1], None, START - timedelta(minutes=5), START) == 1


def test_an_activity_with_hours_cannot_move_away_from_them(ctx):
    """Hours recorded on 20 Nov stay on the activity's day: moving it to 20 Dec is refused, naming
    the day of the hours; another time the same day is fine."""
    activity = an_activity(ctx, start=START - timedelta(days=2))
    record_held_elsewhere(keeper(), ctx, activity, [1], None, None, START)

    def moved(by):
        return check_plan(ctx, "爱心课堂", None, "", "", activity.starts_at + by, activity.ends_at + by, False, None,
                          "", "", now=START)

    with pytest.raises(DomainError, match=r"Hours are recorded for this activity on 2026-11-20\.") as refused:
        change_activity(keeper(), ctx, activity, moved(timedelta(days=30)), START)
    assert refused.value.field == "starts_at"
    assert change_activity(keeper(), ctx, activity, moved(timedelta(hours=3)), START).starts_at.hour == 4


def test_a_session_of_an_activity_is_corrected_only_within_its_day(ctx):
    """A 补记 for 20 Nov corrected to 3 Nov would be an activity's hours on a day it was not held."""
    activity = an_activity(ctx, start=START - timedelta(days=2))
    record_held_elsewhere(keeper(), ctx, activity, [1], None, None, START)
    session = db.session.scalar(select(ServiceSession))
    other_day = START - timedelta(days=19)
    with pytest.raises(DomainError, match=r"activity's own day \(2026-11-20\)") as refused:
        correct_session(keeper(), ctx, session, other_day, other_day + timedelta(hours=3), START)
    assert refused.value.field == "checked_in_at"
    staying_late = correct_session(keeper(), ctx, session, activity.starts_at, activity.ends_at + timedelta(hours=1),
                                   START)
    assert staying_late.checked_out_at == activity.ends_at + timedelta(hours=1)


# --- Ratings -------------------------------------------------------------------------------


def test_one_rating_per_phone_while_the_kiosk_takes_each_one(ctx):
    activity = an_activity(ctx, start=START - timedelta(hours=3))
    rate(ctx, activity, 5, "  讲得 真好 ", "phone-a", ["addr:1"], START)
    with pytest.raises(DomainError, match="rated this activity already"):
        rate(ctx, activity, 1, None, "phone-a", ["addr:1"], START)
    rate(ctx, activity, 3, None, "phone-b", ["addr:1"], START)
    rate(ctx, activity, 4, None, None, ["addr:2"], START)
    rate(ctx, activity, 4, None, None, ["addr:2"], START)
    result = summary(activity)
    assert (result.count, result.average) == (4, 4.0)
    assert [w for _s, w, _at in result.words] == ["讲得 真好"]


# Probe: on the station's kiosk the same rating form sent twice (a reload of the page without
# JavaScript, a double tap) stored two ratings.
def test_the_same_rating_form_sent_twice_from_the_kiosk_counts_once(ctx):
    activity = an_activity(ctx, start=START - timedelta(hours=3))
    first = rate(ctx, activity, 5, "很好", None, ["addr:2"], START, once="a" * 32)
    again = rate(ctx, activity, 5, "很好", None, ["addr:2"], START, once="a" * 32)
    assert again.id == first.id
    rate(ctx, activity, 4, None, None, ["addr:2"], START, once="b" * 32)  # the next resident's form
    rate(ctx, activity, 3, None, None, ["addr:2"], START, once="not a token")  # an odd one still counts
    assert summary(activity).count == 3


@pytest.mark.parametrize("score", [0, 6, -1, None, "5"])
def test_a_rating_needs_a_face(ctx, score):
    activity = an_activity(ctx, start=START - timedelta(hours=3))
    with pytest.raises(DomainError, match="tap one of the faces"):
        rate(ctx, activity, score, None, "p", ["a"], START)


def test_an_activity_is_rated_after_it_starts_and_within_a_month_of_its_end(ctx):
    activity = an_activity(ctx)
    with pytest.raises(DomainError, match="not started"):
        rate(ctx, activity, 5, None, "p", ["a"], START)
    with pytest.raises(DomainError, match="too long ago"):
        rate(ctx, activity, 5, None, "p", ["a"], activity.ends_at + timedelta(days=31))
    rate(ctx, activity, 5, None, "p", ["a"], activity.ends_at + timedelta(days=29))
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


def test_stars_wait_for_the_minimum_rating_when_one_is_set(ctx):
    ctx.star_hours = "1,2,3,4,5"
    activity = an_activity(ctx, start=START - timedelta(days=1))
    record_held_elsewhere(keeper(), ctx, activity, [1], None, None, START)  # 2 confirmed hours
    assert stars_of(ctx, 1).level == 2
    ctx.star_min_rating = 4
    assert stars_of(ctx, 1).level == 2  # no ratings yet: no effect
    rate(ctx, activity, 3, None, "p1", ["a"], START)
    assert average_for_volunteer(1) == 3.0
    assert (stars_of(ctx, 1).level, stars_of(ctx, 1).rating_short) == (0, True)
    rate(ctx, activity, 5, None, "p2", ["a"], START)
    assert stars_of(ctx, 1).level == 2


# --- Honor roll ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["３", "０００３", " 3 "], ids=["full-width", "full-width padded", "spaced"])
def test_a_keeper_picks_for_the_roll_by_number_however_the_keyboard_types_it(ctx, typed):
    chosen = pick(keeper(), ctx, typed, "", START)
    assert chosen.volunteer_id == volunteer(3).id


def test_the_home_screens_roll_shows_a_keepers_change_at_once(ctx):
    """The home screen keeps the roll a while per worker; a keeper's correction or pick must not
    leave the old hours up there (李* · 9 小时 after the keeper corrected them to 1)."""
    from kiosk.checkin.corrections import correct_session

    activity = an_activity(ctx, start=START - timedelta(hours=12), hours=9)
    record_held_elsewhere(keeper(), ctx, activity, [2], None, None, START)
    session = db.session.scalar(select(ServiceSession).where(ServiceSession.volunteer_id == volunteer(2).id))
    assert [e.detail for e in honor_roll_for_home(ctx, START).most_hours] == [540]
    correct_session(keeper(), ctx, session, session.checked_in_at, session.checked_in_at + timedelta(hours=1), START)
    assert [e.detail for e in honor_roll_for_home(ctx, START).most_hours] == [60]
    pick(keeper(), ctx, "2", "最美志愿者", START)
    assert [e.detail for e in honor_roll_for_home(ctx, START).picks] == ["最美志愿者"]


def test_the_honor_roll_masks_names_ranks_hours_and_leaves_off_who_asked(ctx):
    activity = an_activity(ctx, start=START - timedelta(hours=5), hours=4)
    record_held_elsewhere(keeper(), ctx, activity, [1, 2], None, None, START)
    other = an_activity(ctx, start=START - timedelta(hours=12), hours=2)
    record_held_elsewhere(keeper(), ctx, other, [3], None, None, START)
    pick(keeper(), ctx, "3", "最美志愿者", START)
    with pytest.raises(DomainError):
        pick(keeper(), ctx, "3", "again", START)
    with pytest.raises(DomainError):
        pick(keeper(), ctx, "9999", "", START)
    volunteer(2).hide_from_honor_roll = True
    roll = honor_roll(ctx, START)
    names = {v.id: v.name for v in db.session.scalars(select(Volunteer))}
    assert [e.detail for e in roll.most_hours] == [240, 120]
    assert all(e.name not in names.values() and "*" in e.name for e in roll.most_hours + roll.picks)
    assert [e.detail for e in roll.picks] == ["最美志愿者"]
    assert len(roll.most_hours) == 2  # volunteer 2 asked to be left off


def test_equal_hours_on_the_honor_roll_share_a_place(ctx):
    """Issue A12: two volunteers with 8 hours each were numbered 1 and 2."""
    four = an_activity(ctx, start=START - timedelta(hours=5), hours=4)
    record_held_elsewhere(keeper(), ctx, four, [1, 2], None, None, START)
    two = an_activity(ctx, start=START - timedelta(hours=12), hours=2)
    record_held_elsewhere(keeper(), ctx, two, [3, 4], None, None, START)
    one = an_activity(ctx, start=START - timedelta(hours=20), hours=1)
    record_held_elsewhere(keeper(), ctx, one, [5], None, None, START)
    roll = honor_roll(ctx, START)
    assert [(e.detail, e.rank) for e in roll.most_hours] == [(240, 1), (240, 1), (120, 3), (120, 3), (60, 5)]


@pytest.mark.parametrize("scores, places", [
    ([], []), ([8], [1]), ([8, 8, 5], [1, 1, 3]), ([9, 8, 8, 8, 1], [1, 2, 2, 2, 5]), ([3, 2, 1], [1, 2, 3]),
])
def test_places_on_a_list_best_first(scores, places):
    assert ranks(scores) == places
