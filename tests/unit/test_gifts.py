"""Gift rules without HTTP: a tap only asks (`offer_gift`), the answer takes the gift once
(`ask_for_gift` with the question's one-time token), after checking the points and stock again."""

import pytest
from sqlalchemy import func, select, update

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station
from kiosk.gifts.models import Gift, Redemption
from kiosk.core.edits import EditedMeanwhile, edit_stamp
from kiosk.gifts.redemptions import (GiftChoice, add_gift, ask_for_gift, change_gift, choice_again, choose_by_badge,
                                     editable_details, give_at_desk, offer_gift)
from kiosk.people.badges import badge_token
from kiosk.people.models import Keeper, Volunteer
from kiosk.points.ledger import award, balance
from kiosk.points.models import PointsLine
from tests.conftest import START, at_once, in_english


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        here = db.session.get(Station, station)
        keeper = db.session.scalar(select(Keeper).where(Keeper.station_id == station))
        award(keeper, here, db.session.get(Volunteer, 1), 300, "最美志愿者", START)
        db.session.commit()
        yield here


def a_gift(station, name="保温杯", points=150, stock=2) -> Gift:
    gift = add_gift(db.session.scalar(select(Keeper)), station, name, points, stock, START)
    db.session.commit()
    return gift


def volunteer() -> Volunteer:
    return db.session.get(Volunteer, 1)


def counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count()).select_from(Redemption)), balance(1),
            db.session.scalar(select(func.sum(Gift.stock))))


def test_a_question_spends_nothing_and_says_what_would_be_left(ctx):
    cup = a_gift(ctx)
    question = offer_gift(ctx, volunteer(), cup.id)
    assert (question.gift.name, question.points, question.left) == ("保温杯", 150, 150)
    assert len(question.once) == 32 and offer_gift(ctx, volunteer(), cup.id).once != question.once
    assert counts() == (0, 300, 2)


@pytest.mark.parametrize("points, stock, active, message", [
    (150, 0, True, "Sorry, this gift has run out."),
    (301, 2, True, "Not enough points: you have 300, this one needs 301."),
    (150, 2, False, "This gift is no longer offered."),
])
def test_a_question_is_not_asked_when_the_answer_could_only_be_no(ctx, points, stock, active, message):
    cup = a_gift(ctx, points=points, stock=stock)
    cup.active = active
    with pytest.raises(DomainError, match=message):
        offer_gift(ctx, volunteer(), cup.id)


def test_a_question_about_another_stations_gift_is_refused(ctx):
    other = add_station("nanyuan", "南苑暖心驿站")
    umbrella = a_gift(other, name="雨伞", points=10)
    for gift_id in (umbrella.id, 424242):
        with pytest.raises(DomainError, match="no longer offered"):
            offer_gift(ctx, volunteer(), gift_id)


def test_the_same_answer_twice_takes_one_gift(ctx):
    cup = a_gift(ctx)
    once = offer_gift(ctx, volunteer(), cup.id).once
    first = ask_for_gift(ctx, volunteer(), cup.id, START, once=once)
    db.session.commit()
    again = ask_for_gift(ctx, volunteer(), cup.id, START, once=once)
    assert again.id == first.id and first.once == once
    assert counts() == (1, 150, 1)
    assert db.session.scalar(select(func.count()).select_from(PointsLine).where(PointsLine.kind == "gift")) == 1


def test_an_answer_checks_the_stock_and_the_points_again(ctx):
    cup = a_gift(ctx, stock=3)
    first, second = (offer_gift(ctx, volunteer(), cup.id).once for _ in range(2))
    cup.stock = 0
    db.session.commit()
    with pytest.raises(DomainError, match="run out"):
        ask_for_gift(ctx, volunteer(), cup.id, START, once=first)
    db.session.rollback()
    cup.stock = 3
    ask_for_gift(ctx, volunteer(), cup.id, START)  # taken at the keeper's desk meanwhile
    ask_for_gift(ctx, volunteer(), cup.id, START)
    db.session.commit()
    with pytest.raises(DomainError, match="Not enough points: you have 0, this one needs 150."):
        ask_for_gift(ctx, volunteer(), cup.id, START, once=second)
    db.session.rollback()
    assert counts() == (2, 0, 1)


@pytest.mark.parametrize("once", ["", "x" * 32, "AB" * 16, "ab" * 17])
def test_an_answer_with_a_token_this_kiosk_did_not_write_is_refused(ctx, once):
    cup = a_gift(ctx)
    with pytest.raises(DomainError, match="scan your badge again"):
        ask_for_gift(ctx, volunteer(), cup.id, START, once=once)
    db.session.rollback()
    assert counts() == (0, 300, 2)


def test_a_used_token_takes_nothing_else(ctx):
    cup, towel = a_gift(ctx), a_gift(ctx, name="毛巾", points=30)
    once = offer_gift(ctx, volunteer(), cup.id).once
    ask_for_gift(ctx, volunteer(), cup.id, START, once=once)
    db.session.commit()
    with pytest.raises(DomainError, match="scan your badge again"):
        ask_for_gift(ctx, volunteer(), towel.id, START, once=once)
    db.session.rollback()
    with pytest.raises(DomainError, match="scan your badge again"):  # nor for another volunteer
        ask_for_gift(ctx, db.session.get(Volunteer, 2), cup.id, START, once=once)
    db.session.rollback()
    assert counts() == (1, 150, 3)


def test_the_same_answer_landing_first_from_another_send_is_this_volunteers(ctx, monkeypatch):
    """Two sends of one answer at once (PostgreSQL lets both past the first look): the other's
    row lands between this one's look and its write. The unique token stops the second gift, and
    the stock it took comes back."""
    cup = a_gift(ctx)
    once = offer_gift(ctx, volunteer(), cup.id).once
    first = ask_for_gift(ctx, volunteer(), cup.id, START, once=once)
    db.session.commit()
    looks = []

    def first_look_misses(station, volunteer, gift_id, token):
        looks.append(token)
        if len(looks) == 1:
            return None
        return real(station, volunteer, gift_id, token)

    import kiosk.gifts.redemptions as redemptions
    real = redemptions._answered
    monkeypatch.setattr(redemptions, "_answered", first_look_misses)
    assert ask_for_gift(ctx, volunteer(), cup.id, START, once=once).id == first.id
    db.session.commit()
    assert len(looks) == 2 and counts() == (1, 150, 1)


def test_answers_sent_together_take_one_gift(app, ctx):
    cup = a_gift(ctx, stock=5)
    once = offer_gift(ctx, volunteer(), cup.id).once
    station_id, cup_id = ctx.id, cup.id
    db.session.commit()  # this test's own session lets the writers in
    results = at_once(app, 4, lambda i: ask_for_gift(db.session.get(Station, station_id),
                                                   db.session.get(Volunteer, 1), cup_id, START, once=once))
    assert results == ["ok"] * 4
    db.session.rollback()
    assert counts() == (1, 150, 4)


def test_the_choice_read_again_has_the_points_and_stock_of_now(ctx):
    cup = a_gift(ctx, stock=1)
    choice = choose_by_badge(ctx, badge_token(volunteer()))
    ask_for_gift(ctx, volunteer(), cup.id, START)
    db.session.commit()
    again = choice_again(ctx, choice.token)
    assert isinstance(again, GiftChoice) and again.token == choice.token
    assert (again.points, [g.stock for g in again.gifts]) == (150, [0])


def test_the_keeper_is_told_before_deactivating_that_a_gift_is_waiting_and_it_stays(ctx):
    from kiosk.people.privacy import deactivation_warnings
    from kiosk.people.volunteers import set_active

    cup = a_gift(ctx)
    assert deactivation_warnings(ctx, volunteer(), START) == []
    ask_for_gift(ctx, volunteer(), cup.id, START, offer_gift(ctx, volunteer(), cup.id).once)
    db.session.commit()
    (warning,) = deactivation_warnings(ctx, volunteer(), START)
    assert "保温杯" in warning and "Gifts page" in warning
    set_active(db.session.scalar(select(Keeper)), ctx, volunteer(), False, START)
    db.session.commit()
    # Points already spent: the gift waits for the keeper to hand over or cancel.
    assert db.session.scalars(select(Redemption.status)).all() == ["waiting"] and balance(1) == 150


def test_a_keepers_change_from_a_row_opened_before_a_gift_was_taken_is_refused_and_the_stock_stays(ctx):
    cup = a_gift(ctx, stock=5)
    seen = edit_stamp(editable_details(cup))
    ask_for_gift(ctx, volunteer(), cup.id, START)  # at the kiosk or another keeper's desk meanwhile
    db.session.commit()
    with pytest.raises(EditedMeanwhile):
        change_gift(db.session.scalar(select(Keeper)), ctx, cup, "保温杯", 120, 5, True, START, seen=seen)
    db.session.rollback()
    assert (cup.points, cup.stock) == (150, 4)
    change_gift(db.session.scalar(select(Keeper)), ctx, cup, "保温杯", 120, 4, True, START,
                seen=edit_stamp(editable_details(cup)))
    assert (cup.points, cup.stock) == (120, 4)


def test_a_gift_taken_between_the_keepers_look_and_their_save_is_not_put_back_in_stock(ctx):
    """The stamp matched the row this request read, but a gift was taken after that read (another
    writer in between, as PostgreSQL allows): the save still never writes over that stock."""
    cup = a_gift(ctx, stock=5)
    seen = edit_stamp(editable_details(cup))
    db.session.execute(update(Gift).where(Gift.id == cup.id).values(stock=Gift.stock - 1)
                       .execution_options(synchronize_session=False))  # the row read above is now out of date
    with pytest.raises(EditedMeanwhile):
        change_gift(db.session.scalar(select(Keeper)), ctx, cup, "保温杯", 120, 5, True, START, seen=seen)
    db.session.rollback()
    assert db.session.scalar(select(Gift.stock).where(Gift.id == cup.id)) == 5


def test_a_gift_refused_at_the_keepers_desk_names_whose_points_are_short(ctx):
    cup = a_gift(ctx, points=301)
    with pytest.raises(DomainError, match=f"Not enough points: {volunteer().name} has 300, this one needs 301."):
        give_at_desk(db.session.scalar(select(Keeper)), ctx, volunteer(), cup.id, START)
    db.session.rollback()
    assert counts() == (0, 300, 2)
