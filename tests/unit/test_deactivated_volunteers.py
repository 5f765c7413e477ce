"""A deactivated volunteer: deactivating lets go of what they hold (an open session, places in
activities to come), and every place that refuses them says they are paused, not unknown."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.activities.models import Signup
from kiosk.activities.schedule import cancel_activity, sign_up
from kiosk.checkin.attendance import (CountedMiss, find_by_number_or_mobile_tail, record_attendance,
                                      served_minutes)
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.honor.roll import honor_roll, pick, pick_shown, this_months_picks
from kiosk.people.audit import volunteer_events
from kiosk.people.privacy import deactivation_warnings, erase_volunteer
from kiosk.people.volunteers import set_active
from tests.conftest import START
from tests.unit.test_activities import an_activity
from tests.unit.test_recognition import ctx, keeper, volunteer  # noqa: F401  (ctx is a fixture)

LATER = START + timedelta(hours=2)


def open_sessions(volunteer_id: int) -> list[ServiceSession]:
    return list(db.session.scalars(select(ServiceSession).where(ServiceSession.volunteer_id == volunteer_id,
                                                                ServiceSession.checked_out_at.is_(None))))


def test_deactivating_a_volunteer_on_duty_checks_them_out_then_and_keeps_the_hours(ctx):
    on_duty = volunteer(20)
    session = record_attendance(ctx, on_duty, "scanner", START).session
    set_active(keeper(), ctx, on_duty, False, LATER)
    closed = db.session.get(ServiceSession, session.id)
    assert open_sessions(on_duty.id) == []
    assert closed.checked_out_at == LATER and closed.check_out_method == "deactivate"  # its own reason, not "by keeper"
    # The keeper did not say when they left: the hours are kept and wait for a keeper's look.
    assert closed.needs_review and closed.confirmed_at is None
    assert served_minutes(closed.checked_in_at, closed.checked_out_at, ctx.hours_rounding_minutes) == 120
    actions = [(e.action, e.session_id) for e in volunteer_events(on_duty.id)]
    assert ("session.closed_on_deactivation", session.id) in actions and ("volunteer.deactivated", None) in actions


def test_deactivating_a_volunteer_off_duty_touches_no_session(ctx):
    resting = volunteer(20)
    record_attendance(ctx, resting, "scanner", START)
    record_attendance(ctx, resting, "scanner", START + timedelta(hours=1))
    set_active(keeper(), ctx, resting, False, LATER)
    assert [s.checked_out_at for s in db.session.scalars(select(ServiceSession))] == [START + timedelta(hours=1)]
    assert "session.closed_on_deactivation" not in [e.action for e in volunteer_events(resting.id)]


def test_a_session_forgotten_from_an_earlier_day_closes_at_that_days_closing_time(ctx):
    forgetful = volunteer(20)
    record_attendance(ctx, forgetful, "scanner", START)
    set_active(keeper(), ctx, forgetful, False, START + timedelta(days=2))
    (session,) = db.session.scalars(select(ServiceSession))
    assert session.auto_closed and session.checked_out_at < START + timedelta(days=1)


def test_deactivating_gives_back_places_in_activities_to_come_and_keeps_past_ones(ctx):
    leaving = volunteer(20)
    past = an_activity(ctx, start=START - timedelta(days=3), name="巡防")
    coming = an_activity(ctx, capacity=1)
    db.session.add(Signup(activity_id=past.id, volunteer_id=leaving.id, at=START - timedelta(days=4)))
    sign_up(ctx, leaving, coming, START)
    set_active(keeper(), ctx, leaving, False, START)
    assert [s.activity_id for s in db.session.scalars(select(Signup))] == [past.id]
    sign_up(ctx, volunteer(2), coming, START)  # the place is free for someone else
    dropped = [e.before["name"] for e in volunteer_events(leaving.id) if e.action == "activity.signup_dropped"]
    assert dropped == ["爱心课堂"]


# Probe: a cancelled activity was still "a place to give back", and deactivating deleted the
# sign-up, so the volunteer's phone no longer said it was cancelled.
def test_a_cancelled_activity_holds_no_place_and_its_sign_up_stays(ctx):
    leaving = volunteer(20)
    called_off = an_activity(ctx, capacity=1)
    sign_up(ctx, leaving, called_off, START)
    cancel_activity(keeper(), ctx, called_off, START)
    assert deactivation_warnings(ctx, leaving, START) == []
    set_active(keeper(), ctx, leaving, False, START)
    assert [s.activity_id for s in db.session.scalars(select(Signup))] == [called_off.id]
    assert "activity.signup_dropped" not in [e.action for e in volunteer_events(leaving.id)]


def test_the_keeper_is_told_before_what_deactivating_will_do(ctx):
    on_duty = volunteer(20)
    assert deactivation_warnings(ctx, on_duty, START) == []
    sign_up(ctx, on_duty, an_activity(ctx), START)
    record_attendance(ctx, on_duty, "scanner", START)
    warnings = deactivation_warnings(ctx, on_duty, START + timedelta(minutes=30))
    assert len(warnings) == 2
    assert "09:00" in warnings[0] and "1" in warnings[1]
    # Left open from an earlier day: it closes at that day's closing time, whatever the keeper does.
    assert deactivation_warnings(ctx, on_duty, START + timedelta(days=1)) == []  # and the activity is over


def test_erasing_a_volunteer_on_duty_checks_them_out_too(ctx):
    on_duty = volunteer(20)
    record_attendance(ctx, on_duty, "scanner", START)
    erase_volunteer(keeper(), ctx, on_duty, on_duty.number, LATER)
    assert open_sessions(on_duty.id) == []


def test_reactivating_changes_no_session(ctx):
    back = volunteer(20)
    record_attendance(ctx, back, "scanner", START)
    set_active(keeper(), ctx, back, False, LATER)
    set_active(keeper(), ctx, back, True, LATER)
    assert record_attendance(ctx, back, "scanner", LATER + timedelta(minutes=30)).outcome == "checked_in"


# --- Forgot your badge ------------------------------------------------------------------------


@pytest.mark.parametrize("entered", ["20", "0020"])
def test_forgot_badge_says_a_deactivated_volunteer_is_paused_without_naming_them(ctx, entered):
    paused = volunteer(20)
    paused.active = False
    with pytest.raises(CountedMiss) as refused:
        find_by_number_or_mobile_tail(ctx, entered)
    message = str(refused.value.message)
    assert "no longer active" in message and "keeper" in message
    assert paused.name not in message and paused.name[-1] not in message


def test_forgot_badge_by_mobile_digits_of_a_deactivated_volunteer_says_paused(ctx):
    paused = volunteer(20)
    paused.active = False
    with pytest.raises(CountedMiss, match="no longer active"):
        find_by_number_or_mobile_tail(ctx, paused.mobile_tail)
    with pytest.raises(CountedMiss, match="no longer active"):
        find_by_number_or_mobile_tail(ctx, paused.mobile)  # the whole mobile too


def test_forgot_badge_still_offers_the_active_ones_a_number_matches(ctx):
    paused, other = volunteer(20), volunteer(2)
    paused.active = False
    other.mobile, other.mobile_tail = "13900000020", "0020"
    assert find_by_number_or_mobile_tail(ctx, "0020") == [other]


def test_forgot_badge_says_nothing_about_an_erased_volunteer(ctx):
    gone = volunteer(20)
    erase_volunteer(keeper(), ctx, gone, gone.number, START)
    with pytest.raises(CountedMiss, match="No volunteer matches"):
        find_by_number_or_mobile_tail(ctx, "0020")


# --- Honor picks ------------------------------------------------------------------------------


def test_a_volunteer_who_asked_to_stay_off_the_honor_roll_is_not_picked(ctx):
    shy = volunteer(2)
    shy.hide_from_honor_roll = True
    with pytest.raises(DomainError, match="asked to be kept off") as refused:
        pick(keeper(), ctx, shy.number, "最美志愿者", START)
    assert refused.value.field == "number"
    assert this_months_picks(ctx, START) == []


def test_picking_a_deactivated_volunteer_says_they_are_deactivated(ctx):
    paused = volunteer(2)
    paused.active = False
    with pytest.raises(DomainError, match="deactivated") as refused:
        pick(keeper(), ctx, paused.number, "", START)
    assert refused.value.field == "number"
    assert this_months_picks(ctx, START) == []


def test_a_pick_the_kiosk_no_longer_shows_says_why_to_the_keeper(ctx):
    chosen = volunteer(2)
    (entry,) = [pick(keeper(), ctx, chosen.number, "最美志愿者", START)]
    assert pick_shown(entry) is None
    chosen.hide_from_honor_roll = True
    assert "asked to be kept off" in str(pick_shown(entry))
    chosen.hide_from_honor_roll = False
    set_active(keeper(), ctx, chosen, False, START)
    assert "deactivated" in str(pick_shown(entry))
    assert honor_roll(ctx, START).picks == []
