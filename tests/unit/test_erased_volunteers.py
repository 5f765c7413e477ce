"""An erased volunteer's record is kept only for the station's hours: nothing can put it to use
again, and the station's own lists (honor picks) let it go when it is erased."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.checkin.corrections import keeper_check_in, record_session
from kiosk.checkin.phone import issue_phone_code
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.gifts.redemptions import add_gift, give_at_desk
from kiosk.honor.models import HonorPick
from kiosk.honor.roll import honor_roll, pick, this_months_picks
from kiosk.people.badges import badge_stamp
from kiosk.people.models import Volunteer
from kiosk.people.privacy import erase_volunteer
from kiosk.people.volunteers import reissue_badge, set_active
from kiosk.points.ledger import award, balance, spend
from tests.conftest import START
from tests.unit.test_recognition import ctx, keeper  # noqa: F401  (ctx is a fixture)

ERASED = "personal data was erased"


@pytest.fixture
def erased(ctx) -> Volunteer:
    """Volunteer 1, with points and on this month's honor picks, then erased."""
    volunteer = db.session.get(Volunteer, 1)
    award(keeper(), ctx, volunteer, 100, "奖励", START)
    pick(keeper(), ctx, volunteer.number, "最美志愿者", START)
    erase_volunteer(keeper(), ctx, volunteer, volunteer.number, START)
    return volunteer


USES = {
    "reactivate": lambda station, v: set_active(keeper(), station, v, True, START),
    "new badge": lambda station, v: reissue_badge(keeper(), station, v, badge_stamp(v), START),
    "phone code": lambda station, v: issue_phone_code(v, START),
    "check in by hand": lambda station, v: keeper_check_in(keeper(), station, v, START, START),
    "record a session": lambda station, v: record_session(keeper(), station, v, START - timedelta(hours=2),
                                                          START - timedelta(hours=1), START),
    "bonus": lambda station, v: award(keeper(), station, v, 5, "奖励", START),
    "correction": lambda station, v: award(keeper(), station, v, -5, "更正", START),
    "spend": lambda station, v: spend(station, v, 5, "毛巾", START),
    "honor pick": lambda station, v: pick(keeper(), station, v.number, "", START),
}


@pytest.mark.parametrize("use", USES)
def test_an_erased_volunteer_cannot_be_put_to_use_again(ctx, erased, use):
    with pytest.raises(DomainError, match=ERASED):
        USES[use](ctx, erased)
    assert not erased.active and erased.badge_nonce is None and erased.phone_code_hash is None


def test_an_erased_volunteer_gets_no_gift_at_the_desk(ctx, erased):
    towel = add_gift(keeper(), ctx, "毛巾", 10, 3, START)
    with pytest.raises(DomainError):
        give_at_desk(keeper(), ctx, erased, towel.id, START)
    assert balance(erased.id) == 100


def test_erasing_takes_the_volunteer_off_the_honor_picks(ctx, erased):
    assert this_months_picks(ctx, START) == []
    assert db.session.scalar(select(func.count()).select_from(HonorPick)) == 0


def test_another_pick_s_note_keeps_an_erased_volunteer_s_name_masked(ctx):
    first, second = db.session.get(Volunteer, 1), db.session.get(Volunteer, 2)
    pick(keeper(), ctx, second.number, f"常和{first.name}一起值班", START)
    erase_volunteer(keeper(), ctx, first, first.number, START)
    assert [e.detail for e in honor_roll(ctx, START).picks] == ["常和张*华一起值班"]


def test_deactivating_an_erased_volunteer_again_is_harmless(ctx, erased):
    set_active(keeper(), ctx, erased, False, START)
    assert not erased.active


def test_an_erased_volunteer_cannot_be_edited_back(ctx, erased):
    from kiosk.people.volunteers import update_volunteer

    with pytest.raises(DomainError, match=ERASED):
        update_volunteer(erased, name="张晓华", mobile="13800138001", birth_year=None, teams=[], skills=[],
                         national_code=None, id_type=None, id_number=None, hide_from_honor_roll=False)
    assert erased.name == "—"


def test_erasing_gives_back_places_in_activities_not_over_and_keeps_past_ones(ctx):
    from kiosk.activities.models import Signup
    from kiosk.activities.schedule import sign_up, signup_count
    from kiosk.people.audit import volunteer_events
    from tests.unit.test_activities import an_activity

    first, second = db.session.get(Volunteer, 1), db.session.get(Volunteer, 2)
    coming = an_activity(ctx, capacity=1)
    on_now = an_activity(ctx, start=START - timedelta(hours=1), name="平安巡防")
    over = an_activity(ctx, start=START - timedelta(days=2), name="学雷锋理发")
    sign_up(ctx, first, coming, START)
    sign_up(ctx, first, on_now, START)
    db.session.add(Signup(activity_id=over.id, volunteer_id=first.id, at=over.starts_at - timedelta(days=1)))
    db.session.flush()
    erase_volunteer(keeper(), ctx, first, first.number, START)
    assert (signup_count(coming.id), signup_count(on_now.id), signup_count(over.id)) == (0, 0, 1)
    sign_up(ctx, second, coming, START)  # the one place is free again
    dropped = [e.before["name"] for e in volunteer_events(first.id) if e.action == "activity.signup_dropped"]
    assert sorted(dropped) == ["平安巡防", "爱心课堂"]


def test_erasing_cancels_gifts_waiting_to_be_handed_over_and_returns_the_stock(ctx):
    from kiosk.gifts.models import Redemption
    from kiosk.gifts.redemptions import ask_for_gift, hand_over

    volunteer = db.session.get(Volunteer, 1)
    award(keeper(), ctx, volunteer, 100, "奖励", START)
    towel = add_gift(keeper(), ctx, "毛巾", 20, 2, START)
    handed = hand_over(keeper(), ctx, ask_for_gift(ctx, volunteer, towel.id, START), START)
    waiting = ask_for_gift(ctx, volunteer, towel.id, START)
    assert towel.stock == 0
    erase_volunteer(keeper(), ctx, volunteer, volunteer.number, START)
    db.session.refresh(towel)
    assert (waiting.status, handed.status, towel.stock) == ("cancelled", "handed", 1)
    assert db.session.scalar(select(func.count()).select_from(Redemption).where(Redemption.status == "waiting")) == 0
