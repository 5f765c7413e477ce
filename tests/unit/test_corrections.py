import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.checkin.attendance import close_forgotten_sessions, scan_badge
from kiosk.people.badges import badge_token
from kiosk.checkin.corrections import (
    confirm_session,
    correct_session,
    delete_session,
    flagged_sessions,
    keeper_check_in,
    keeper_check_out,
)
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.models import AuditEvent, Keeper, Volunteer
from tests.conftest import START, in_english


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station), db.session.get(Volunteer, 1), db.session.scalar(select(Keeper))


def events():
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_correcting_a_forgotten_session_records_before_and_after(ctx):
    station, volunteer, keeper = ctx
    scan_badge(station, badge_token(volunteer), "camera", START)
    now = START + timedelta(days=1)
    close_forgotten_sessions(station, now)
    [session] = flagged_sessions(station)
    assert session.auto_closed and session.needs_review
    correct_session(keeper, station, session, START, START + timedelta(hours=4), now)
    assert not session.needs_review and session.edited and session.check_out_method == "keeper"
    [event] = events()
    assert event.keeper_id == keeper.id and event.action == "session.corrected" and event.volunteer_id == volunteer.id
    assert event.before["checked_out_at"].startswith("2026-11-22T12:00")
    assert event.after["checked_out_at"].startswith("2026-11-22T05:00")
    assert flagged_sessions(station) == []


def test_saving_the_times_as_they_stood_records_no_correction(ctx):
    station, volunteer, keeper = ctx
    scan_badge(station, badge_token(volunteer), "camera", START + timedelta(seconds=37))
    scan_badge(station, badge_token(volunteer), "camera", START + timedelta(hours=2, seconds=12))
    (session,) = db.session.scalars(select(ServiceSession))
    now = START + timedelta(hours=3)
    # The form shows minutes: the same minutes, sent back, are no correction.
    correct_session(keeper, station, session, START, START + timedelta(hours=2), now)
    assert not session.edited and session.check_out_method == "camera" and session.confirmed_at == now
    assert [e.action for e in events()] == ["session.confirmed"]  # a keeper who saved it agrees with it
    correct_session(keeper, station, session, START, START + timedelta(hours=2), now + timedelta(minutes=5))
    assert [e.action for e in events()] == ["session.confirmed"] and session.confirmed_at == now  # nothing again


@pytest.mark.parametrize(
    "start, end, field",
    [
        (timedelta(hours=1), timedelta(hours=3), "checked_in_at"),     # in the future
        (timedelta(hours=-3), timedelta(hours=1), "checked_out_at"),   # out in the future
        (timedelta(hours=-3), timedelta(hours=-3), "checked_out_at"),  # out not after in
        (timedelta(hours=-3), timedelta(hours=-4), "checked_out_at"),
        (timedelta(hours=-40), timedelta(hours=-1), "checked_out_at"), # longer than a day's duty
    ],
)
def test_impossible_times_are_refused_and_nothing_changes(ctx, start, end, field):
    station, volunteer, keeper = ctx
    scan_badge(station, badge_token(volunteer), "camera", START - timedelta(hours=5))
    session = scan_badge(station, badge_token(volunteer), "camera", START - timedelta(hours=4)).session
    db.session.commit()
    before = (session.checked_in_at, session.checked_out_at)
    with pytest.raises(DomainError) as err:
        correct_session(keeper, station, session, START + start, START + end, START)
    assert err.value.field == field
    db.session.rollback()
    assert (session.checked_in_at, session.checked_out_at) == before and events() == []


def test_sessions_of_one_volunteer_may_not_overlap(ctx):
    station, volunteer, keeper = ctx
    token = badge_token(volunteer)
    scan_badge(station, token, "camera", START - timedelta(hours=6))
    scan_badge(station, token, "camera", START - timedelta(hours=5))
    second = scan_badge(station, token, "camera", START - timedelta(hours=3)).session
    scan_badge(station, token, "camera", START - timedelta(hours=2))
    with pytest.raises(DomainError, match="overlap"):
        correct_session(keeper, station, second, START - timedelta(hours=5, minutes=30), START - timedelta(hours=2), START)


def test_keeper_checks_in_and_out_by_hand_with_audit(ctx):
    station, volunteer, keeper = ctx
    session = keeper_check_in(keeper, station, volunteer, START - timedelta(hours=1), START)
    assert session.check_in_method == "keeper"
    with pytest.raises(DomainError):
        keeper_check_in(keeper, station, volunteer, START, START)
    keeper_check_out(keeper, station, volunteer, START, START)
    with pytest.raises(DomainError, match="not checked in"):
        keeper_check_out(keeper, station, volunteer, START, START)
    assert [e.action for e in events()] == ["session.checked_in", "session.checked_out"]


def test_a_keeper_records_an_earlier_days_session_by_checking_in_then_out(ctx):
    # Paper from last week: checked in 09:00 and out 11:47 that day. Between the two taps the day's
    # closing time has passed, and the session was closed at 20:00 for review: the check-out is the
    # real end, not "not checked in".
    station, volunteer, keeper = ctx
    then = START - timedelta(days=5)
    session = keeper_check_in(keeper, station, volunteer, then, START)
    keeper_check_out(keeper, station, volunteer, then + timedelta(hours=2, minutes=47), START)
    assert (session.checked_out_at, session.check_out_method, session.needs_review) == (
        then + timedelta(hours=2, minutes=47), "keeper", False)
    assert session.confirmed_at is not None
    with pytest.raises(DomainError, match="not checked in"):  # once, not again
        keeper_check_out(keeper, station, volunteer, then + timedelta(hours=3), START)
    assert [e.action for e in events()] == ["session.checked_in", "session.checked_out"]


def test_a_check_out_by_hand_gives_the_real_end_of_an_older_day_entered_before_a_later_one(ctx):
    # Paper copied out of order: the older day's check-out still finds its check-in, closed for now
    # at that day's closing time; a time past that closing is no check-out of it.
    station, volunteer, keeper = ctx
    older = keeper_check_in(keeper, station, volunteer, START - timedelta(days=5), START)
    close_forgotten_sessions(station, START)
    keeper_check_in(keeper, station, volunteer, START - timedelta(days=2), START)
    keeper_check_out(keeper, station, volunteer, START - timedelta(days=2) + timedelta(hours=1), START)
    with pytest.raises(DomainError, match="checked this volunteer out at closing time"):
        keeper_check_out(keeper, station, volunteer, START - timedelta(days=5) + timedelta(hours=12), START)
    keeper_check_out(keeper, station, volunteer, START - timedelta(days=5) + timedelta(hours=1), START)
    assert (older.checked_out_at, older.check_out_method, older.needs_review) == (
        START - timedelta(days=5) + timedelta(hours=1), "keeper", False)


def test_a_keeper_copies_a_week_of_paper_in_any_order(ctx):
    # Probe: after 12-05 09:00–11:45 was entered, 12-04's check-in was refused as "already checked
    # in" and its check-out as "not checked in": an open check-in counted as running for ever.
    station, volunteer, keeper = ctx
    later, earlier = START - timedelta(days=2), START - timedelta(days=3)  # 11-20 and 11-19, 09:00
    keeper_check_in(keeper, station, volunteer, later, START)
    keeper_check_out(keeper, station, volunteer, later + timedelta(hours=2, minutes=45), START)
    session = keeper_check_in(keeper, station, volunteer, earlier, START)
    keeper_check_out(keeper, station, volunteer, earlier + timedelta(hours=2), START)
    assert (session.checked_in_at, session.checked_out_at, session.check_out_method, session.needs_review) == (
        earlier, earlier + timedelta(hours=2), "keeper", False)
    assert [(s.checked_in_at, s.checked_out_at) for s in db.session.scalars(
        select(ServiceSession).order_by(ServiceSession.checked_in_at))] == [
        (earlier, earlier + timedelta(hours=2)), (later, later + timedelta(hours=2, minutes=45))]


def test_a_keeper_copies_an_earlier_day_while_the_volunteer_is_on_duty(ctx):
    station, volunteer, keeper = ctx
    on_duty_id = scan_badge(station, badge_token(volunteer), "camera", START).session.id
    now = START + timedelta(hours=1)
    yesterday = START - timedelta(days=1)
    session = keeper_check_in(keeper, station, volunteer, yesterday, now)
    keeper_check_out(keeper, station, volunteer, yesterday + timedelta(hours=3), now)
    assert (session.checked_out_at, session.check_out_method) == (yesterday + timedelta(hours=3), "keeper")
    assert db.session.get(ServiceSession, on_duty_id).checked_out_at is None  # still on duty: that was the earlier day's


def test_a_check_in_by_hand_before_a_later_session_of_the_same_day_runs_until_it_at_most(ctx):
    # Today 10:00–11:00 was scanned; the keeper adds 08:00 from paper. Left open it would clash
    # with 10:00 (and a scan would close it in the evening): it is closed where 10:00 begins, for
    # the keeper to give its real end.
    station, volunteer, keeper = ctx
    token = badge_token(volunteer)
    scan_badge(station, token, "camera", START + timedelta(hours=1))
    scan_badge(station, token, "camera", START + timedelta(hours=2))
    now = START + timedelta(hours=5)
    session = keeper_check_in(keeper, station, volunteer, START - timedelta(hours=1), now)
    assert (session.checked_out_at, session.check_out_method, session.needs_review) == (
        START + timedelta(hours=1), "auto", True)
    keeper_check_out(keeper, station, volunteer, START, now)
    assert (session.checked_out_at, session.check_out_method, session.needs_review) == (START, "keeper", False)
    assert events()[0].after["checked_out_at"] is None  # what the keeper entered: the check-in


@pytest.mark.parametrize("at, said", [
    (timedelta(days=-2, hours=1), "already has a session at that time (11/20 09:00–11:45)"),
    (timedelta(hours=1), "already checked in (since 11/22 09:00)"),
])
def test_a_check_in_by_hand_that_really_overlaps_is_refused_naming_the_clash(ctx, at, said):
    station, volunteer, keeper = ctx
    keeper_check_in(keeper, station, volunteer, START - timedelta(days=2), START)
    keeper_check_out(keeper, station, volunteer, START - timedelta(days=2, hours=-2, minutes=-45), START)
    keeper_check_in(keeper, station, volunteer, START, START)
    with pytest.raises(DomainError, match=re.escape(said)) as err:
        keeper_check_in(keeper, station, volunteer, START + at, START + timedelta(hours=2))
    assert err.value.field == "at"


def test_confirm_and_delete_leave_audit_events(ctx):
    station, volunteer, keeper = ctx
    scan_badge(station, badge_token(volunteer), "camera", START)
    close_forgotten_sessions(station, START + timedelta(days=1))
    [session] = flagged_sessions(station)
    confirm_session(keeper, station, session, START + timedelta(days=1))
    assert not session.needs_review
    session_id = session.id
    delete_session(keeper, station, session, START + timedelta(days=1))
    assert db.session.get(ServiceSession, session_id) is None
    assert [(e.action, e.session_id) for e in events()] == [("session.confirmed", session_id), ("session.deleted", session_id)]
    assert events()[-1].after is None and events()[-1].before["checked_in_at"].startswith("2026-11-22T01:00")


def test_an_open_typed_check_in_is_on_duty_and_cannot_be_confirmed_until_it_is_closed(ctx):
    """A check-in by a typed number waits for review, but while the volunteer is still on duty it
    counts as on duty, and there is nothing to confirm yet: confirming it would clear the flag
    before the check-out is known."""
    from kiosk.checkin.hours import days_to_confirm

    station, volunteer, keeper = ctx
    session = ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=START,
                             check_in_method="manual", needs_review=True)
    db.session.add(session)
    db.session.flush()
    assert [(d.ready, d.flagged, d.on_duty) for d in days_to_confirm(station)] == [(0, 0, 1)]
    with pytest.raises(DomainError, match="still on duty"):
        confirm_session(keeper, station, session, START + timedelta(hours=1))
    assert session.needs_review and session.confirmed_at is None and events() == []
    session.checked_out_at = START + timedelta(hours=2)  # scanned out: now there is something to review
    assert [(d.ready, d.flagged, d.on_duty) for d in days_to_confirm(station)] == [(0, 1, 0)]
    confirm_session(keeper, station, session, START + timedelta(hours=3))
    assert not session.needs_review and session.confirmed_at == START + timedelta(hours=3)
