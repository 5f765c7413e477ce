from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from kiosk.people.badges import badge_token, issue_badge
from kiosk.checkin.attendance import (
    auto_close_deadline,
    close_forgotten_sessions,
    find_by_number_or_mobile_tail,
    minutes_served,
    pick_from_matches,
    record_attendance,
    scan_badge,
    served_minutes,
    typed_for_lookup,
)
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.models import Volunteer
from tests.conftest import START, in_english


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station), db.session.get(Volunteer, 1)


def sessions():
    return db.session.scalar(select(func.count()).select_from(ServiceSession))


@pytest.mark.parametrize(
    "minutes, step, served",
    [(0, 30, 0), (14, 30, 0), (15, 30, 30), (200, 30, 210), (194, 30, 180), (195, 30, 210), (61, 1, 61),
     (61, 15, 60), (68, 15, 75), (60, 60, 60), (89, 60, 60), (90, 60, 120)],
)
def test_served_minutes_round_to_the_station_step(minutes, step, served):
    assert served_minutes(START, START + timedelta(minutes=minutes), step) == served


def test_clock_going_backwards_never_gives_negative_hours():
    assert served_minutes(START, START - timedelta(hours=1), 30) == 0


def test_scan_checks_in_then_out_with_hours(ctx):
    station, volunteer = ctx
    token = badge_token(volunteer)
    first = scan_badge(station, token, "camera", START)
    assert first.outcome == "checked_in" and first.session.check_in_method == "camera"
    later = START + timedelta(hours=3, minutes=20)
    second = scan_badge(station, token, "scanner", later)
    assert second.outcome == "checked_out"
    assert second.session.checked_out_at == later and second.session.check_out_method == "scanner"
    assert second.minutes == 210 and second.today_minutes == 210 and second.total_minutes == 210
    third = scan_badge(station, token, "scanner", later + timedelta(hours=1))
    assert third.outcome == "checked_in"
    assert sessions() == 2


def test_a_second_scan_inside_the_window_changes_nothing(ctx):
    station, volunteer = ctx
    token = badge_token(volunteer)
    scan_badge(station, token, "camera", START)
    again = scan_badge(station, token, "camera", START + timedelta(minutes=4, seconds=59))
    assert again.outcome == "already_in" and not again.changed
    assert sessions() == 1 and again.session.checked_out_at is None
    # When the next scan will check out, to say so: the window's end on the clock.
    assert (again.counts_from, again.window_minutes) == (START + timedelta(minutes=5), 5)
    out = scan_badge(station, token, "camera", START + timedelta(hours=2, seconds=20))
    assert out.outcome == "checked_out" and out.counts_from is None
    # Two kiosks, or a nervous double scan, right after checking out: not a new check-in.
    after = scan_badge(station, token, "camera", START + timedelta(hours=2, minutes=1))
    assert after.outcome == "already_out" and sessions() == 1
    assert after.counts_from == START + timedelta(hours=2, minutes=6)  # 11:05:20, so from 11:06


def test_the_window_is_a_station_setting(ctx):
    station, volunteer = ctx
    station.duplicate_window_minutes = 1
    scan_badge(station, badge_token(volunteer), "camera", START)
    assert scan_badge(station, badge_token(volunteer), "camera", START + timedelta(minutes=2)).outcome == "checked_out"


def test_deactivated_volunteer_changes_nothing(ctx):
    station, volunteer = ctx
    volunteer.active = False
    with pytest.raises(DomainError, match="no longer active"):
        scan_badge(station, badge_token(volunteer), "camera", START)
    assert sessions() == 0


def test_revoked_badge_changes_nothing(ctx):
    station, volunteer = ctx
    old = badge_token(volunteer)
    issue_badge(volunteer)
    with pytest.raises(DomainError):
        scan_badge(station, old, "camera", START)
    assert sessions() == 0


def test_database_allows_only_one_open_session_per_volunteer(ctx):
    from sqlalchemy.exc import IntegrityError

    station, volunteer = ctx
    db.session.add(ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=START, check_in_method="camera"))
    db.session.flush()
    db.session.add(ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=START, check_in_method="camera"))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_forgotten_session_closes_at_closing_time_and_is_flagged(ctx):
    station, volunteer = ctx
    token = badge_token(volunteer)
    scan_badge(station, token, "camera", START)  # 09:00 local
    next_morning = START + timedelta(hours=24)
    result = scan_badge(station, token, "camera", next_morning)
    # The old session was closed at 20:00 the day before, not credited with the night...
    old = db.session.scalars(select(ServiceSession).order_by(ServiceSession.id)).first()
    assert old.checked_out_at == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert old.auto_closed and old.needs_review and old.check_out_method == "auto"
    # ...and this morning's scan is a fresh check-in.
    assert result.outcome == "checked_in" and result.session.id != old.id
    # Its confirmation counts yesterday's 09:00-20:00 in all, and nothing today yet.
    assert result.today_minutes == 0 and result.total_minutes == 11 * 60


def test_check_in_after_closing_runs_at_most_to_the_next_opening_and_never_past_sixteen_hours():
    station = Station(timezone="Asia/Shanghai", opens_at=time(8, 0), closes_at=time(20, 0))
    late = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)  # 21:00 local: an evening patrol
    assert auto_close_deadline(station, late) == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 next day
    early = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)  # 08:00 local
    assert auto_close_deadline(station, early) == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    small_hours = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)  # 00:30 local: 20:00 would be 19.5 hours
    assert auto_close_deadline(station, small_hours) == small_hours + timedelta(hours=16)
    station.opens_at = time(6, 0)
    very_late = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 23:30 local, next opening 06:00
    assert auto_close_deadline(station, very_late) == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)


def test_a_scan_after_midnight_checks_out_the_evening_patrol_it_began(ctx):
    station, volunteer = ctx
    token = badge_token(volunteer)
    evening = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)  # 21:00 local, after closing
    scan_badge(station, token, "scanner", evening)
    assert close_forgotten_sessions(station, evening + timedelta(hours=3, minutes=10)) == []  # a keeper looks at 00:10
    result = scan_badge(station, token, "scanner", evening + timedelta(hours=3, minutes=30))  # 00:30 next day
    assert result.outcome == "checked_out" and result.minutes == 210
    assert not result.session.auto_closed and sessions() == 1


def test_a_forgotten_check_in_in_the_small_hours_is_closed_within_sixteen_hours(ctx):
    station, volunteer = ctx
    small_hours = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)  # 00:30 local
    scan_badge(station, badge_token(volunteer), "scanner", small_hours)
    (closed,) = close_forgotten_sessions(station, small_hours + timedelta(hours=20))
    assert closed.checked_out_at == small_hours + timedelta(hours=16) and closed.needs_review


@pytest.mark.parametrize("checked_in, said", [
    (datetime(2026, 11, 22, 1, 0, tzinfo=UTC), "nobody checked out: closed by the system at closing time (20:00)"),
    (datetime(2026, 11, 22, 14, 30, tzinfo=UTC),  # 22:30 local: an evening patrol
     "nobody checked out: closed by the system at the next opening time (11-23 08:00)"),
    (datetime(2026, 11, 21, 16, 30, tzinfo=UTC), "nobody checked out: closed by the system after 16 hours (16:30)"),
], ids=["closing time", "next opening", "sixteen hours"])
def test_a_session_the_system_closed_says_at_which_of_its_times(ctx, checked_in, said):
    """Probe: a session left open overnight, closed at 08:00 the next morning, read "closed at
    closing time"."""
    from kiosk.checkin.labels import methods_label, why_flagged

    station, volunteer = ctx
    scan_badge(station, badge_token(volunteer), "scanner", checked_in)
    [closed] = close_forgotten_sessions(station, checked_in + timedelta(days=1))
    assert methods_label(closed) == f"scanner / {said}"
    assert why_flagged(closed) == said


def test_close_forgotten_sessions_leaves_todays_open_ones(ctx):
    station, volunteer = ctx
    scan_badge(station, badge_token(volunteer), "camera", START)
    assert close_forgotten_sessions(station, START + timedelta(hours=10, minutes=59)) == []
    closed = close_forgotten_sessions(station, START + timedelta(hours=11))
    assert [s.volunteer_id for s in closed] == [volunteer.id]


def test_forgot_badge_by_number_or_mobile_tail(ctx):
    station, volunteer = ctx
    assert find_by_number_or_mobile_tail(station, "1") == [volunteer]
    assert find_by_number_or_mobile_tail(station, " 0001 ") == [volunteer]
    assert find_by_number_or_mobile_tail(station, "8001") == [volunteer]
    other = db.session.get(Volunteer, 2)
    other.mobile, other.mobile_tail = "13900008001", "8001"
    assert set(find_by_number_or_mobile_tail(station, "8001")) == {volunteer, other}
    assert pick_from_matches(station, "8001", str(other.id)) is other
    with pytest.raises(DomainError):
        pick_from_matches(station, "8001", "3")  # not among what was typed
    result = record_attendance(station, other, "manual", START)
    assert result.outcome == "checked_in" and result.session.check_in_method == "manual"


@pytest.mark.parametrize("entered, digits", [
    ("6", "6"), (" 0006 ", "0006"), ("８００６", "8006"), ("13800138006", "13800138006"),
    ("138 0013 8006", "13800138006"), ("138-0013-8006", "13800138006"), ("１３８－００１３－８００６", "13800138006"),
    # Probe: +86 worked when registering but found nobody here.
    ("+8613800138006", "13800138006"), ("+86 138 0013 8006", "13800138006"), ("0086-138-0013-8006", "13800138006"),
    ("＋８６１３８００１３８００６", "13800138006"), ("+86 8006", None),
    ("1234567", None), ("1380013800", None), ("23800138006", None), ("138001380060", None), ("", None), ("8O06", None),
])
def test_what_can_be_typed_for_a_forgotten_badge(entered, digits):
    # A number or four mobile digits (six at most), or a whole mainland mobile however it is grouped.
    assert typed_for_lookup(entered) == digits


def test_forgot_badge_by_the_whole_mobile_finds_only_that_volunteer(ctx):
    station, volunteer = ctx
    other = db.session.get(Volunteer, 2)
    other.mobile, other.mobile_tail = "13900008001", "8001"
    assert find_by_number_or_mobile_tail(station, "138 0013 8001") == [volunteer]
    assert find_by_number_or_mobile_tail(station, "13900008001") == [other]
    assert pick_from_matches(station, "13800138001", str(volunteer.id)) is volunteer
    with pytest.raises(DomainError):
        pick_from_matches(station, "13800138001", str(other.id))


@pytest.mark.parametrize("entered", ["", "abc", "1234567", "9999", "12-34", "' OR 1=1", "<b>1</b>"])
def test_forgot_badge_refuses_what_matches_nobody(ctx, entered):
    station, _ = ctx
    with pytest.raises(DomainError):
        find_by_number_or_mobile_tail(station, entered)


def test_inactive_volunteers_are_not_offered(ctx):
    station, volunteer = ctx
    volunteer.active = False
    with pytest.raises(DomainError):
        find_by_number_or_mobile_tail(station, "0001")


def test_a_scan_just_after_closing_is_the_check_out_not_a_new_check_in(ctx):
    station, volunteer = ctx
    token = badge_token(volunteer)
    scan_badge(station, token, "scanner", START + timedelta(hours=10))  # 19:00 local
    result = scan_badge(station, token, "scanner", START + timedelta(hours=11, minutes=10))  # 20:10
    assert result.outcome == "checked_out"
    assert result.session.checked_out_at == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # counted to closing
    assert result.session.needs_review and result.minutes == 60
    assert sessions() == 1


def test_a_scan_after_closing_is_the_check_out_even_once_a_keepers_page_closed_the_session(ctx):
    """A keeper's Today page (or the nightly command) closes a forgotten session at closing time;
    the volunteer scanning out at 21:10 meant to check out, not to begin an evening patrol."""
    station, volunteer = ctx
    token = badge_token(volunteer)
    scan_badge(station, token, "scanner", START + timedelta(hours=10))  # 19:00 local
    close_forgotten_sessions(station, START + timedelta(hours=11, seconds=5))  # a keeper's page at 20:00:05
    result = scan_badge(station, token, "camera", START + timedelta(hours=12, minutes=10))  # 21:10
    assert result.outcome == "checked_out" and sessions() == 1
    assert result.session.checked_out_at == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # counted to closing
    assert result.session.check_out_method == "camera" and result.session.needs_review
    assert result.minutes == 60 and result.today_minutes == 60 and result.total_minutes == 60
    # Scanned again a moment later, as someone unsure it worked does: nothing new begins.
    again = scan_badge(station, token, "camera", START + timedelta(hours=12, minutes=10, seconds=20))
    assert again.outcome == "already_out" and sessions() == 1
    assert again.counts_from == START + timedelta(hours=12, minutes=15)  # 5 minutes from that scan, not from 20:00
    # After the window, a scan is a new check-in (an evening patrol) as before.
    later = scan_badge(station, token, "camera", START + timedelta(hours=12, minutes=30))
    assert later.outcome == "checked_in" and sessions() == 2


def test_a_second_scan_after_closing_changes_nothing(ctx):
    """The first scan after closing checks out at closing time; the duplicate window counts from
    that scan, not from the closing time it recorded, or a second scan would check them in anew."""
    station, volunteer = ctx
    token = badge_token(volunteer)
    scan_badge(station, token, "scanner", START + timedelta(hours=10))  # 19:00 local
    out = scan_badge(station, token, "scanner", START + timedelta(hours=12, minutes=10))  # 21:10
    assert out.outcome == "checked_out"
    again = scan_badge(station, token, "scanner", START + timedelta(hours=12, minutes=10, seconds=5))
    assert again.outcome == "already_out" and sessions() == 1


def test_a_session_the_system_closed_on_an_earlier_day_is_not_checked_out_again(ctx):
    station, volunteer = ctx
    token = badge_token(volunteer)
    scan_badge(station, token, "scanner", START + timedelta(hours=10))  # 19:00 local
    close_forgotten_sessions(station, START + timedelta(hours=11, seconds=5))
    next_evening = START + timedelta(days=1, hours=12)  # 21:00 the next day: an evening patrol
    assert scan_badge(station, token, "scanner", next_evening).outcome == "checked_in" and sessions() == 2


def test_a_scan_totals_years_of_sessions_as_served_minutes_counts_each(ctx, app, monkeypatch):
    """Today's and all hours on the confirmation, and the confirmed minutes behind the stars, are
    added up in the database; each session must still count as served_minutes counts it: whole
    minutes, half up to the step, nothing for a clock that went backwards."""
    station, volunteer = ctx
    now = START + timedelta(hours=6)  # 15:00 in Shanghai
    lengths = [timedelta(hours=3), timedelta(minutes=14, seconds=59), timedelta(minutes=15),
               timedelta(hours=2, minutes=44, seconds=59, microseconds=123456), timedelta(minutes=45, microseconds=1),
               timedelta(seconds=-90), timedelta(hours=4, minutes=7, seconds=30)]
    rows = []
    for day in range(400):
        length = lengths[day % len(lengths)]
        checked_in = now - timedelta(days=day, hours=5, microseconds=day * 7919)
        confirmed = checked_in + timedelta(days=1) if day % 3 else None
        rows.append(ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=checked_in,
                                   checked_out_at=checked_in + length, check_in_method="scanner",
                                   confirmed_at=confirmed))
    db.session.add_all(rows)
    db.session.flush()
    notes = []
    monkeypatch.setitem(app.extensions, "kiosk_scan_notes", [lambda _s, _v, confirmed: notes.append(confirmed)])
    step = station.hours_rounding_minutes

    result = scan_badge(station, badge_token(volunteer), "scanner", now)

    assert result.outcome == "checked_in"
    assert result.total_minutes == sum(served_minutes(r.checked_in_at, r.checked_out_at, step) for r in rows)
    assert result.today_minutes == served_minutes(rows[0].checked_in_at, rows[0].checked_out_at, step) == 180
    assert notes == [sum(served_minutes(r.checked_in_at, r.checked_out_at, step) for r in rows if r.confirmed_at)]
    assert minutes_served(station, volunteer.id) == result.total_minutes  # the phone and keeper pages' total


def test_a_check_in_that_another_kiosk_made_first_answers_already_in(ctx, monkeypatch):
    """Two kiosks read "not checked in" for one badge at once; the second one's INSERT meets the
    one-open-session index. It answers with the session the first one made, and stores nothing."""
    import kiosk.checkin.attendance as attendance

    station, volunteer = ctx
    token = badge_token(volunteer)
    read_so_far, reads = attendance._attendance_so_far, []

    def other_kiosk_first(*args):
        so_far = read_so_far(*args)  # what this kiosk read: first not checked in, then checked in
        reads.append(so_far)
        if len(reads) == 1:  # meanwhile the other kiosk checked them in
            db.session.add(ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=START,
                                          check_in_method="camera"))
            db.session.commit()
        return so_far
    monkeypatch.setattr(attendance, "_attendance_so_far", other_kiosk_first)

    result = scan_badge(station, token, "scanner", START + timedelta(seconds=1))

    assert result.outcome == "already_in" and result.session.check_in_method == "camera"
    assert result.volunteer.name == volunteer.name
    assert sessions() == 1


def test_a_scan_that_loses_two_races_in_a_row_decides_again_on_what_stands(ctx, monkeypatch):
    """Three kiosks, one badge, no duplicate window: this scan reads "not in"; kiosk B checks the
    volunteer in before this scan writes; kiosk C checks them out before this scan reads again.
    The scan reads once more and checks them in: a confirmation, not a 500."""
    import kiosk.checkin.attendance as attendance

    station, volunteer = ctx
    station.duplicate_window_minutes = 0
    db.session.commit()
    read_so_far, reads = attendance._attendance_so_far, []

    def other_kiosks(station, volunteer, now):
        reads.append(now)
        if len(reads) == 2:  # kiosk C, before this scan's second look
            db.session.execute(ServiceSession.__table__.update().values(checked_out_at=START))
            db.session.commit()
        so_far = read_so_far(station, volunteer, now)
        if len(reads) == 1:  # kiosk B, after this scan's first look
            db.session.add(ServiceSession(station_id=station.id, volunteer_id=volunteer.id,
                                          checked_in_at=START - timedelta(hours=1), check_in_method="camera"))
            db.session.commit()
        return so_far
    monkeypatch.setattr(attendance, "_attendance_so_far", other_kiosks)

    result = scan_badge(station, badge_token(volunteer), "scanner", START + timedelta(seconds=1))

    assert result.outcome == "checked_in" and len(reads) == 2
    assert sessions() == 2
    assert db.session.scalar(select(func.count()).where(ServiceSession.checked_out_at.is_(None))) == 1


def test_a_scan_that_loses_every_try_asks_for_the_badge_again_and_stores_nothing(ctx, monkeypatch):
    """Other kiosks check the same volunteer in again between each of this scan's looks and its
    write. After a few tries it gives up with a plain message, not a 500, and stores nothing."""
    import kiosk.checkin.attendance as attendance

    station, volunteer = ctx
    station.duplicate_window_minutes = 0
    db.session.commit()
    read_so_far, reads = attendance._attendance_so_far, []

    def busy_kiosks(station, volunteer, now):
        db.session.execute(ServiceSession.__table__.update().values(checked_out_at=START))
        so_far = read_so_far(station, volunteer, now)  # not checked in...
        reads.append(so_far)
        db.session.add(ServiceSession(station_id=station.id, volunteer_id=volunteer.id,
                                      checked_in_at=START - timedelta(hours=1), check_in_method="camera"))
        db.session.commit()  # ...until another kiosk checks them in again
        return so_far
    monkeypatch.setattr(attendance, "_attendance_so_far", busy_kiosks)

    with pytest.raises(DomainError, match="Please scan your badge again"):
        scan_badge(station, badge_token(volunteer), "scanner", START + timedelta(seconds=1))

    assert len(reads) == attendance.TRIES
    assert db.session.scalar(select(func.count()).where(ServiceSession.check_in_method == "scanner")) == 0
