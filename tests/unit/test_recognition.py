"""Confirmed hours, points, stars and gifts: the rules, computed again here from the raw sessions."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.checkin.corrections import confirm_session, correct_session, delete_session
from kiosk.checkin.hours import confirm_day, confirmed_minutes, days_to_confirm
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.gifts.models import Gift, Redemption
from kiosk.gifts.redemptions import add_gift, ask_for_gift, cancel, change_gift, hand_over
from kiosk.people.models import Keeper, Volunteer
from kiosk.points.ledger import (award, balance, lines, points_for, reverse, set_points_per_hour, settle_hours,
                                 spend)
from kiosk.points.models import PointsLine
from kiosk.stars.ladder import level_for, new_levels_in_year, parse_ladder, stars_of
from tests.conftest import START, at_once, in_english
from tests.databases import on_postgres


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station)


def keeper() -> Keeper:
    return db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))


def volunteer(number: int = 1) -> Volunteer:
    return db.session.get(Volunteer, number)


def session(station, who, start, minutes, needs_review=False) -> ServiceSession:
    s = ServiceSession(station_id=station.id, volunteer_id=who.id, checked_in_at=start,
                       checked_out_at=start + timedelta(minutes=minutes), check_in_method="scanner",
                       check_out_method="scanner", needs_review=needs_review)
    db.session.add(s)
    db.session.flush()
    return s


# --- Confirmed hours ------------------------------------------------------------------------


def test_one_tap_confirms_the_finished_sessions_of_a_day_and_nothing_else(ctx):
    a, b = volunteer(1), volunteer(2)
    day_one = [session(ctx, a, START, 120), session(ctx, b, START + timedelta(hours=1), 90)]
    flagged = session(ctx, a, START + timedelta(hours=4), 60, needs_review=True)
    next_day = session(ctx, a, START + timedelta(days=1), 60)
    on_duty = ServiceSession(station_id=ctx.id, volunteer_id=b.id, checked_in_at=START + timedelta(hours=5),
                             check_in_method="scanner")
    db.session.add(on_duty)
    db.session.flush()
    now = START + timedelta(days=2)
    days = {d.day: (d.ready, d.flagged, d.on_duty) for d in days_to_confirm(ctx)}
    assert days == {START.date(): (2, 1, 1), (START + timedelta(days=1)).date(): (1, 0, 0)}
    assert confirm_day(keeper(), ctx, START.date(), now) == 2
    assert all(s.confirmed_at == now and s.confirmed_by_id == keeper().id for s in day_one)
    assert flagged.confirmed_at is None and next_day.confirmed_at is None and on_duty.confirmed_at is None
    with pytest.raises(DomainError, match="Nothing left"):
        confirm_day(keeper(), ctx, START.date(), now)
    confirm_session(keeper(), ctx, flagged, now)
    assert flagged.confirmed_at == now
    assert confirmed_minutes(ctx, a.id) == 120 + 60


def test_a_day_in_the_future_cannot_be_confirmed(ctx):
    with pytest.raises(DomainError):
        confirm_day(keeper(), ctx, (START + timedelta(days=3)).date(), START)


# --- Points ---------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes, per_hour, points", [(0, 10, 0), (30, 10, 5), (60, 10, 10), (90, 10, 15),
                                                       (210, 10, 35), (60, 1, 1), (30, 1, 0), (600, 0, 0)])
def test_points_for_confirmed_minutes(minutes, per_hour, points):
    assert points_for(minutes, per_hour) == points


def test_confirmed_hours_earn_points_once_and_changes_are_settled_line_by_line(ctx):
    who = volunteer(1)
    first = session(ctx, who, START, 180)
    second = session(ctx, who, START + timedelta(hours=5), 60)
    now = START + timedelta(days=1)
    assert balance(who.id) == 0  # unconfirmed hours earn nothing
    confirm_day(keeper(), ctx, START.date(), now)
    assert balance(who.id) == 30 + 10
    settle_hours(ctx, who.id, now)  # settling again adds nothing
    assert balance(who.id) == 40 and len(lines(who.id)) == 2
    correct_session(keeper(), ctx, first, first.checked_in_at, first.checked_in_at + timedelta(hours=2), now)
    assert balance(who.id) == 20 + 10
    delete_session(keeper(), ctx, second, now)
    assert balance(who.id) == 20
    # Every line is still there; the balance is their sum, explained line by line.
    amounts = sorted(line.amount for line in lines(who.id))
    assert amounts == sorted([30, 10, -10, -10]) and sum(amounts) == balance(who.id)
    assert {line.kind for line in lines(who.id)} == {"hours"}
    # Each says why: a keeper who deleted a session reads "session deleted", not "hours changed".
    assert sorted((line.amount, line.reason or "") for line in lines(who.id) if line.amount < 0) == [
        (-10, "changed"), (-10, "deleted")]


# --- A changed rate counts from then on -------------------------------------------------------


def new_lines(who, since_id=0) -> list[tuple]:
    """(kind, amount, per hour, reason) of the lines written after `since_id`, oldest first."""
    return [(line.kind, line.amount, line.per_hour, line.reason)
            for line in sorted(lines(who.id), key=lambda line: line.id) if line.id > since_id]


def last_id() -> int:
    return db.session.scalar(select(func.max(PointsLine.id))) or 0


def test_a_higher_rate_pays_only_hours_confirmed_after_it(ctx):
    """The probe's steps: days confirmed at 10 an hour, the rate set to 20, another day confirmed:
    that day earns 20 an hour and the days already paid get no line at all."""
    who = volunteer(1)
    session(ctx, who, START, 60)
    session(ctx, who, START + timedelta(days=1), 60)
    session(ctx, who, START + timedelta(days=1, hours=2), 30)
    now = START + timedelta(days=3)
    confirm_day(keeper(), ctx, START.date(), now)
    confirm_day(keeper(), ctx, (START + timedelta(days=1)).date(), now)
    assert balance(who.id) == 10 + 10 + 5
    set_points_per_hour(keeper(), ctx, 20, now)
    before = last_id()
    session(ctx, who, START + timedelta(days=2), 120)
    confirm_day(keeper(), ctx, (START + timedelta(days=2)).date(), now)
    assert new_lines(who, before) == [("hours", 40, 20, None)]
    assert balance(who.id) == 25 + 40
    settle_hours(ctx, who.id, now)  # settling again adds nothing
    assert new_lines(who, before) == [("hours", 40, 20, None)]


def test_a_lower_rate_takes_nothing_back_from_hours_already_paid(ctx):
    """…then the rate set back to 10 and a day confirmed: no −25/−35 lines, only the day's own."""
    who = volunteer(1)
    session(ctx, who, START, 150)
    now = START + timedelta(days=3)
    confirm_day(keeper(), ctx, START.date(), now)
    set_points_per_hour(keeper(), ctx, 20, now)
    session(ctx, who, START + timedelta(days=1), 90)
    confirm_day(keeper(), ctx, (START + timedelta(days=1)).date(), now)
    assert balance(who.id) == 25 + 30
    set_points_per_hour(keeper(), ctx, 10, now)
    before = last_id()
    session(ctx, who, START + timedelta(days=2), 60)
    confirm_day(keeper(), ctx, (START + timedelta(days=2)).date(), now)
    assert new_lines(who, before) == [("hours", 10, 10, None)]
    assert balance(who.id) == 25 + 30 + 10
    set_points_per_hour(keeper(), ctx, 0, now)  # points switched off: nothing given is taken
    settle_hours(ctx, who.id, now)
    assert new_lines(who, before) == [("hours", 10, 10, None)]


def test_hours_confirmed_while_points_were_off_earn_nothing_when_they_are_turned_on(ctx):
    """A station with points off (0 an hour) confirms a day, then turns points on: the next day
    confirmed earns its own points and the day confirmed before earns none, then or later."""
    who = volunteer(1)
    now = START + timedelta(days=3)
    set_points_per_hour(keeper(), ctx, 0, now)
    session(ctx, who, START, 120)
    confirm_day(keeper(), ctx, START.date(), now)
    assert balance(who.id) == 0
    set_points_per_hour(keeper(), ctx, 10, now)
    session(ctx, who, START + timedelta(days=1), 60)
    confirm_day(keeper(), ctx, (START + timedelta(days=1)).date(), now)
    settle_hours(ctx, who.id, now)
    assert balance(who.id) == 10
    assert [(kind, amount) for kind, amount, *_ in new_lines(who)] == [("hours", 10)]  # no line of nothing shown


def test_a_session_too_short_to_earn_when_confirmed_keeps_its_rate_when_corrected_longer(ctx):
    """5 minutes at 10 an hour earn nothing (half-hour rounding); corrected to the hour it really
    was after the rate went to 20, it earns at its own 10."""
    who = volunteer(1)
    now = START + timedelta(days=1)
    short = session(ctx, who, START, 5)
    confirm_day(keeper(), ctx, START.date(), now)
    assert balance(who.id) == 0
    set_points_per_hour(keeper(), ctx, 20, now)
    correct_session(keeper(), ctx, short, short.checked_in_at, short.checked_in_at + timedelta(hours=1), now)
    assert new_lines(who) == [("hours", 10, 10, None)] and balance(who.id) == 10


def test_a_session_given_the_number_of_one_confirmed_for_nothing_starts_at_the_rate_of_its_day(ctx):
    who = volunteer(1)
    now = START + timedelta(days=1)
    set_points_per_hour(keeper(), ctx, 0, now)
    mistaken = session(ctx, who, START, 120)
    confirm_day(keeper(), ctx, START.date(), now)
    number = mistaken.id
    delete_session(keeper(), ctx, mistaken, now)
    set_points_per_hour(keeper(), ctx, 20, now)
    again = session(ctx, who, START, 120)
    assert again.id == number or on_postgres()  # PostgreSQL never gives a number twice
    confirm_session(keeper(), ctx, again, now)
    assert new_lines(who) == [("hours", 40, 20, None)]
    assert balance(who.id) == 40


def test_a_correction_after_a_rate_change_is_priced_at_the_sessions_own_rate(ctx):
    who = volunteer(1)
    long_day = session(ctx, who, START, 180)
    now = START + timedelta(days=3)
    confirm_day(keeper(), ctx, START.date(), now)  # 30 at 10 an hour
    set_points_per_hour(keeper(), ctx, 20, now)
    session(ctx, who, START + timedelta(days=1), 60)
    confirm_day(keeper(), ctx, (START + timedelta(days=1)).date(), now)  # 20 at 20 an hour
    before = last_id()
    # The 3-hour day was 2 hours: 10 back (its own 10 an hour), not 40 (today's 20).
    correct_session(keeper(), ctx, long_day, long_day.checked_in_at, long_day.checked_in_at + timedelta(hours=2), now)
    assert new_lines(who, before) == [("hours", -10, 10, "changed")]
    set_points_per_hour(keeper(), ctx, 5, now)
    # …and 4 hours after all: 20 more, still at 10 an hour.
    correct_session(keeper(), ctx, long_day, long_day.checked_in_at, long_day.checked_in_at + timedelta(hours=4), now)
    assert new_lines(who, before) == [("hours", -10, 10, "changed"), ("hours", 20, 10, "changed")]
    assert balance(who.id) == 40 + 20
    settle_hours(ctx, who.id, now)
    assert balance(who.id) == 60 and len(new_lines(who, before)) == 2
    # Deleted, it gives back what it holds, at its own rate.
    delete_session(keeper(), ctx, long_day, now)
    assert new_lines(who, before)[-1] == ("hours", -40, 10, "deleted") and balance(who.id) == 20


def test_a_session_first_confirmed_after_the_change_earns_the_new_rate(ctx):
    """A flagged session from before the change, confirmed after it, is priced at the rate of the
    day it is confirmed; the day confirmed before it keeps its own."""
    who = volunteer(1)
    session(ctx, who, START, 60)
    flagged = session(ctx, who, START + timedelta(hours=3), 60, needs_review=True)
    now = START + timedelta(days=1)
    confirm_day(keeper(), ctx, START.date(), now)
    set_points_per_hour(keeper(), ctx, 30, now)
    before = last_id()
    confirm_session(keeper(), ctx, flagged, now)
    assert new_lines(who, before) == [("hours", 30, 30, None)]
    assert balance(who.id) == 10 + 30


def test_a_session_given_the_number_of_a_deleted_one_starts_at_the_rate_of_its_day(ctx):
    """SQLite gives a new row the number of the last one deleted: the new session does not inherit
    the deleted one's rate, and reads as confirmed hours, not as a change."""
    who = volunteer(1)
    mistaken = session(ctx, who, START, 120)
    now = START + timedelta(days=1)
    confirm_day(keeper(), ctx, START.date(), now)
    number = mistaken.id
    delete_session(keeper(), ctx, mistaken, now)
    set_points_per_hour(keeper(), ctx, 20, now)
    before = last_id()
    again = session(ctx, who, START, 120)
    assert again.id == number or on_postgres()  # PostgreSQL never gives a number twice
    confirm_session(keeper(), ctx, again, now)
    assert new_lines(who, before) == [("hours", 40, 20, None)]
    assert balance(who.id) == 40


def test_a_rate_change_keeps_the_waived_lines_right(ctx):
    """Points spent, the rate raised, then a paid session shortened and set back: the lines at the
    session's own rate, the balance at zero and then where it was."""
    who = volunteer(1)
    day = session(ctx, who, START, 360)
    now = START + timedelta(days=1)
    confirm_day(keeper(), ctx, START.date(), now)  # 60 at 10 an hour
    award(keeper(), ctx, who, -55, "更正", now)
    set_points_per_hour(keeper(), ctx, 50, now)
    before = last_id()
    correct_session(keeper(), ctx, day, day.checked_in_at, day.checked_in_at + timedelta(hours=1), now)
    assert new_lines(who, before) == [("hours", -50, 10, "changed"), ("waived", 45, None, None)]
    assert balance(who.id) == 0
    correct_session(keeper(), ctx, day, day.checked_in_at, day.checked_in_at + timedelta(hours=6), now)
    assert new_lines(who, before)[2:] == [("hours", 50, 10, "changed"), ("unwaived", -45, None, None)]
    assert balance(who.id) == 5
    settle_hours(ctx, who.id, now)
    assert len(new_lines(who, before)) == 4


def test_hours_lines_without_a_rate_count_at_todays_rate_until_a_line_keeps_one(ctx):
    """A line from before rates were stored that the upgrade did not fill in is priced as every
    line was then, at today's rate; the next line of that session keeps the rate it was priced at."""
    who = volunteer(1)
    day = session(ctx, who, START, 120)
    day.confirmed_at = START + timedelta(days=1)
    db.session.add(PointsLine(station_id=ctx.id, volunteer_id=who.id, amount=20, kind="hours", session_id=day.id,
                              at=day.confirmed_at))
    db.session.flush()
    now = START + timedelta(days=2)
    settle_hours(ctx, who.id, now)
    assert balance(who.id) == 20  # unchanged at today's 10
    set_points_per_hour(keeper(), ctx, 20, now)
    before = last_id()
    correct_session(keeper(), ctx, day, day.checked_in_at, day.checked_in_at + timedelta(hours=3), now)
    assert new_lines(who, before) == [("hours", 40, 20, "changed")]
    set_points_per_hour(keeper(), ctx, 10, now)
    settle_hours(ctx, who.id, now)
    assert balance(who.id) == 60 and len(new_lines(who, before)) == 1


def test_a_keeper_bonus_needs_a_reason_and_a_correction_cannot_take_below_zero(ctx):
    who = volunteer(1)
    with pytest.raises(DomainError, match="say why"):
        award(keeper(), ctx, who, 50, "   ", START)
    with pytest.raises(DomainError):
        award(keeper(), ctx, who, 0, "nothing", START)
    line = award(keeper(), ctx, who, 50, "最美志愿者", START)
    assert (line.kind, balance(who.id)) == ("bonus", 50)
    with pytest.raises(DomainError, match="Not enough points"):
        award(keeper(), ctx, who, -51, "typo", START)
    award(keeper(), ctx, who, -20, "typo", START)
    assert balance(who.id) == 30


def test_a_line_is_reversed_once_and_never_edited(ctx):
    who = volunteer(1)
    bonus = award(keeper(), ctx, who, 40, "活动奖励", START)
    reversal = reverse(keeper(), ctx, bonus, "given twice", START)
    assert (reversal.amount, reversal.reverses_id, balance(who.id)) == (-40, bonus.id, 0)
    with pytest.raises(DomainError, match="reversed already"):
        reverse(keeper(), ctx, bonus, "again", START)
    with pytest.raises(DomainError):
        reverse(keeper(), ctx, reversal, "undo the undo", START)
    assert bonus.amount == 40  # the original line is untouched


def test_a_gifts_points_come_back_only_by_cancelling_the_gift(ctx):
    who = volunteer(1)
    award(keeper(), ctx, who, 50, "奖励", START)
    towel = add_gift(keeper(), ctx, "毛巾", 30, 1, START)
    redemption = ask_for_gift(ctx, who, towel.id, START)
    spent = db.session.scalar(select(PointsLine).where(PointsLine.kind == "gift"))
    with pytest.raises(DomainError, match="when the gift is cancelled"):
        reverse(keeper(), ctx, spent, "oops", START)
    assert (balance(who.id), towel.stock, redemption.status) == (20, 0, "waiting")
    cancel(keeper(), ctx, redemption, START)
    assert (balance(who.id), towel.stock) == (50, 1)


def test_spending_more_than_the_balance_changes_nothing(ctx):
    who = volunteer(1)
    award(keeper(), ctx, who, 30, "奖励", START)
    with pytest.raises(DomainError, match="Not enough points: you have 30, this one needs 31."):
        spend(ctx, who, 31, "毛巾", START)
    spend(ctx, who, 30, "毛巾", START)
    assert balance(who.id) == 0


# --- Stars ----------------------------------------------------------------------------------


LADDER = (100, 300, 600, 1000, 1500)


@pytest.mark.parametrize("hours, level", [(0, 0), (99.5, 0), (100, 1), (100.5, 1), (299.5, 1), (300, 2), (599.5, 2),
                                          (600, 3), (999.5, 3), (1000, 4), (1499.5, 4), (1500, 5), (5000, 5)])
def test_stars_at_and_around_every_threshold(hours, level):
    assert level_for(int(hours * 60), LADDER) == level


def test_a_regional_ladder_is_accepted_and_a_wrong_one_refused():
    assert parse_ladder("100，200、500,800, 1000") == (100, 200, 500, 800, 1000)
    for wrong in ("", "100,300,600,1000", "100,300,300,1000,1500", "0,1,2,3,4", "a,b,c,d,e", "1,2,3,4,5,6",
                  "100,300,600,1000,99999999"):
        with pytest.raises(DomainError):
            parse_ladder(wrong)


def test_stars_count_only_confirmed_hours(ctx):
    who = volunteer(1)
    ctx.star_hours = "2,4,6,8,10"
    for day in range(3):
        session(ctx, who, START + timedelta(days=day), 150)  # 2.5 h each
    assert stars_of(ctx, who.id).level == 0
    confirm_day(keeper(), ctx, START.date(), START + timedelta(days=5))
    confirm_day(keeper(), ctx, (START + timedelta(days=1)).date(), START + timedelta(days=5))
    stars = stars_of(ctx, who.id)
    assert (stars.level, stars.minutes, stars.next_hours, stars.minutes_to_next) == (2, 300, 6, 60)


def test_the_yearly_list_holds_who_moved_up_that_year(ctx):
    ctx.star_hours = "2,4,6,8,10"
    a, b, c = volunteer(1), volunteer(2), volunteer(3)
    last_year = START.replace(year=START.year - 1)
    for who, when, minutes in [(a, last_year, 150), (a, START, 150), (b, START, 60), (c, last_year, 300)]:
        s = session(ctx, who, when, minutes)
        s.confirmed_at = when + timedelta(days=1)
    db.session.flush()
    moved = {n.volunteer.id: (n.before, n.after, n.minutes) for n in new_levels_in_year(ctx, START.year)}
    assert moved == {a.id: (1, 2, 300)}  # b has not reached a star; c moved up last year
    assert {n.volunteer.id for n in new_levels_in_year(ctx, START.year - 1)} == {a.id, c.id}


# --- Gifts ----------------------------------------------------------------------------------


def test_two_gifts_cannot_share_a_name(ctx):
    towel = add_gift(keeper(), ctx, "毛巾", 30, 1, START)
    with pytest.raises(DomainError, match="already"):
        add_gift(keeper(), ctx, " 毛巾 ", 50, 1, START)
    soap = add_gift(keeper(), ctx, "Soap", 10, 1, START)
    with pytest.raises(DomainError, match="already"):
        change_gift(keeper(), ctx, soap, "毛巾", 10, 1, True, START)
    change_gift(keeper(), ctx, towel, "毛巾", 40, 2, True, START)  # its own name is its own
    assert db.session.scalar(select(func.count()).select_from(Gift)) == 2


def test_a_gift_spends_points_and_stock_and_a_cancel_returns_both(ctx):
    who = volunteer(1)
    award(keeper(), ctx, who, 100, "奖励", START)
    towel = add_gift(keeper(), ctx, "毛巾", 30, 1, START)
    redemption = ask_for_gift(ctx, who, towel.id, START)
    assert (balance(who.id), towel.stock, redemption.status) == (70, 0, "waiting")
    with pytest.raises(DomainError, match="run out"):
        ask_for_gift(ctx, who, towel.id, START)
    hand_over(keeper(), ctx, redemption, START)
    with pytest.raises(DomainError):
        hand_over(keeper(), ctx, redemption, START)
    cancel(keeper(), ctx, redemption, START + timedelta(minutes=5))
    assert (balance(who.id), towel.stock, redemption.status) == (100, 1, "cancelled")
    with pytest.raises(DomainError):
        cancel(keeper(), ctx, redemption, START)
    assert balance(who.id) == sum(line.amount for line in lines(who.id))


def test_the_same_answer_sent_again_after_a_keeper_cancelled_it_says_so_and_takes_nothing(ctx):
    """换 sent again (a resent form, a second tap that waited on a slow link) after a keeper
    cancelled what the first one set aside: no "set aside for you", no second gift."""
    from kiosk.core.once import new_once
    who = volunteer(1)
    award(keeper(), ctx, who, 100, "奖励", START)
    towel = add_gift(keeper(), ctx, "毛巾", 30, 2, START)
    once = new_once()
    redemption = ask_for_gift(ctx, who, towel.id, START, once=once)
    assert ask_for_gift(ctx, who, towel.id, START, once=once) is redemption  # a double tap: one gift
    cancel(keeper(), ctx, redemption, START + timedelta(minutes=1))
    with pytest.raises(DomainError, match="cancelled"):
        ask_for_gift(ctx, who, towel.id, START + timedelta(minutes=2), once=once)
    assert (balance(who.id), towel.stock) == (100, 2)
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1


def test_a_gift_beyond_the_balance_takes_nothing_from_stock(app, station):
    with in_english(app):
        st = db.session.get(Station, station)
        gift = add_gift(keeper(), st, "保温杯", 80, 3, START)
        db.session.commit()
        with pytest.raises(DomainError, match="Not enough points"):
            ask_for_gift(st, volunteer(1), gift.id, START)
        db.session.rollback()  # what the request does with a refusal
        assert db.session.get(Gift, gift.id).stock == 3
        assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0


@pytest.mark.parametrize("bad", [dict(name=" ", points=1, stock=1), dict(name="x", points=0, stock=1),
                                 dict(name="x", points=1, stock=-1), dict(name="x", points=10**9, stock=1)])
def test_a_gift_needs_a_name_a_price_and_a_stock_that_make_sense(ctx, bad):
    with pytest.raises(DomainError):
        add_gift(keeper(), ctx, bad["name"], bad["points"], bad["stock"], START)
    gift = add_gift(keeper(), ctx, "雨伞", 20, 2, START)
    with pytest.raises(DomainError):
        change_gift(keeper(), ctx, gift, bad["name"], bad["points"], bad["stock"], True, START)


def test_two_redemptions_of_the_last_gift_one_succeeds(app, station):
    with app.app_context():
        st = db.session.get(Station, station)
        for number in (1, 2):
            award(keeper(), st, volunteer(number), 100, "奖励", START)
        gift_id = add_gift(keeper(), st, "最后一个", 50, 1, START).id
        db.session.commit()
    results = at_once(app, 2, lambda i: ask_for_gift(db.session.get(Station, station), volunteer(i + 1), gift_id, START))
    assert sorted(results) == sorted(["ok", "Sorry, this gift has run out."]), results
    with app.app_context():
        assert db.session.get(Gift, gift_id).stock == 0
        assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1
        assert balance(1) + balance(2) == 150


def test_two_redemptions_beyond_a_balance_one_succeeds(app, station):
    with app.app_context():
        st = db.session.get(Station, station)
        award(keeper(), st, volunteer(1), 60, "奖励", START)
        gifts = [add_gift(keeper(), st, name, 50, 5, START).id for name in ("毛巾", "雨伞")]
        db.session.commit()
    results = at_once(app, 2, lambda i: ask_for_gift(db.session.get(Station, station), volunteer(1), gifts[i], START))
    assert sorted(results) == sorted(["ok", "Not enough points: you have 10, this one needs 50."]), results
    with app.app_context():
        assert balance(1) == 10
        assert sum(db.session.get(Gift, g).stock for g in gifts) == 9
        assert db.session.scalar(select(func.count()).select_from(PointsLine).where(PointsLine.kind == "gift")) == 1


# --- A balance never goes below zero --------------------------------------------------------


def test_hours_taken_back_after_the_points_were_spent_stop_at_zero_and_say_so(ctx):
    """The probe's steps: 100 points, 95 deducted, then a confirmed session shortened and another
    deleted. The hours lines still say the whole difference; a waived line keeps the balance at zero."""
    who = volunteer(1)
    first = session(ctx, who, START, 180)                          # 30 points
    second = session(ctx, who, START + timedelta(hours=4), 360)    # 60 points
    confirm_day(keeper(), ctx, START.date(), START + timedelta(days=1))
    bonus = award(keeper(), ctx, who, 10, "奖励", START)
    assert balance(who.id) == 100
    award(keeper(), ctx, who, -95, "更正", START)
    assert balance(who.id) == 5
    later = START + timedelta(days=2)
    correct_session(keeper(), ctx, second, second.checked_in_at, second.checked_in_at + timedelta(hours=1), later)
    assert balance(who.id) == 0
    assert [(line.kind, line.amount) for line in lines(who.id, 2)] == [("waived", 45), ("hours", -50)]
    settle_hours(ctx, who.id, later)  # settling again takes nothing more
    delete_session(keeper(), ctx, first, later)
    assert balance(who.id) == 0
    assert [(line.kind, line.amount) for line in lines(who.id, 2)] == [("waived", 30), ("hours", -30)]
    with pytest.raises(DomainError, match="Not enough points: 0 left"):
        reverse(keeper(), ctx, bonus, "given twice", later)
    with pytest.raises(DomainError, match="Not enough points: 0 left"):
        award(keeper(), ctx, who, -1, "更正", later)
    with pytest.raises(DomainError, match="Not enough points: you have 0, this one needs 1."):
        spend(ctx, who, 1, "毛巾", later)
    # The shortened session was a mistake: setting it back gives back only what was really taken.
    correct_session(keeper(), ctx, second, second.checked_in_at, second.checked_in_at + timedelta(hours=6), later)
    assert balance(who.id) == 5
    assert [(line.kind, line.amount) for line in lines(who.id, 2)] == [("unwaived", -45), ("hours", 50)]
    settle_hours(ctx, who.id, later)
    assert balance(who.id) == 5 and balance(who.id) == sum(line.amount for line in lines(who.id))


def test_no_path_takes_a_balance_below_zero(ctx):
    """Session edits and deletions, gifts, deductions and reversals, in a long seeded mix: after
    each, the balance is the sum of its lines and never below zero."""
    import random

    rng = random.Random(7)
    who = volunteer(1)
    towel = add_gift(keeper(), ctx, "毛巾", 15, 1000, START)
    now = START + timedelta(days=30)
    sessions = [session(ctx, who, START + timedelta(days=d), rng.choice([60, 120, 240])) for d in range(12)]
    confirm_day_all = [confirm_day(keeper(), ctx, (START + timedelta(days=d)).date(), now) for d in range(12)]
    assert sum(confirm_day_all) == 12
    alive = list(sessions)
    for _ in range(120):
        choice = rng.choice(["shorten", "lengthen", "delete", "gift", "deduct", "bonus", "reverse", "cancel"])
        try:
            if choice in ("shorten", "lengthen") and alive:
                s = rng.choice(alive)
                correct_session(keeper(), ctx, s, s.checked_in_at,
                                s.checked_in_at + timedelta(minutes=rng.choice([30, 60, 300])), now)
            elif choice == "delete" and alive:
                s = alive.pop(rng.randrange(len(alive)))
                delete_session(keeper(), ctx, s, now)
            elif choice == "gift":
                ask_for_gift(ctx, who, towel.id, now)
            elif choice == "deduct":
                award(keeper(), ctx, who, -rng.randint(1, 40), "更正", now)
            elif choice == "bonus":
                award(keeper(), ctx, who, rng.randint(1, 20), "奖励", now)
            elif choice == "reverse":
                candidates = [line for line in lines(who.id) if line.kind in ("bonus", "correction")]
                if candidates:
                    reverse(keeper(), ctx, rng.choice(candidates), "oops", now)
            elif choice == "cancel":
                waiting = db.session.scalars(select(Redemption).where(Redemption.status == "waiting")).all()
                if waiting:
                    cancel(keeper(), ctx, rng.choice(waiting), now)
        except DomainError:
            pass
        assert 0 <= balance(who.id) == sum(line.amount for line in lines(who.id)), choice


def test_reasons_the_station_writes_read_in_the_readers_language_and_a_keepers_as_typed(app, ctx):
    from flask_babel import force_locale

    from kiosk.points.ledger import reason_label

    who = volunteer(1)
    award(keeper(), ctx, who, 30, "奖励", START)
    towel = add_gift(keeper(), ctx, "毛巾", 30, 1, START)
    cancel(keeper(), ctx, ask_for_gift(ctx, who, towel.id, START), START)
    refund = db.session.scalar(select(PointsLine).where(PointsLine.kind == "reversal"))
    typed = PointsLine(amount=1, kind="bonus", reason="cancelled", keeper_id=keeper().id)
    with force_locale("zh_Hans"):
        assert (reason_label(refund), reason_label(typed)) == ("礼品已取消", "cancelled")
    with force_locale("en"):
        assert reason_label(refund) == "gift cancelled"
