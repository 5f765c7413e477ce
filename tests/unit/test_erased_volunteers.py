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
from kiosk.people.privacy import erase_volunteer, everything_about
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


# --- A keeper's words about an erased volunteer ----------------------------------------------------

WANG, WANG_MOBILE = "王建国", "13800138003"  # volunteer 3 of the demo station


@pytest.fixture
def written_about(ctx):
    """Volunteer 3 (王建国) with everything a keeper can write about them: an honor pick's note, a
    bonus's reason and its reversal's, a revoked certificate's reason, an internal note on what they
    sent from their phone; then erased."""
    from kiosk.certificates.register import issue_certificate, revoke_certificate
    from kiosk.checkin.models import ServiceSession
    from kiosk.points.ledger import reverse
    from kiosk.suggest.box import change, submit
    from kiosk.suggest.models import SuggestionCategory

    wang = db.session.get(Volunteer, 3)
    assert (wang.name, wang.mobile) == (WANG, WANG_MOBILE)
    pick(keeper(), ctx, wang.number, f"{WANG}热心修灯，电话{WANG_MOBILE}", START)
    award(keeper(), ctx, wang, 5, f"表扬{WANG}修灯", START)
    reverse(keeper(), ctx, award(keeper(), ctx, wang, 3, f"{WANG}值班", START), f"{WANG}说记重了，电话 138 0013 8003", START)
    db.session.add(ServiceSession(station_id=ctx.id, volunteer_id=wang.id, checked_in_at=START - timedelta(days=2),
                                  checked_out_at=START - timedelta(days=2, hours=-3), check_in_method="scanner",
                                  check_out_method="scanner", confirmed_at=START))
    ctx.person_in_charge, ctx.contact = "王主任", "010-65123456"  # printed on every certificate
    db.session.flush()
    start = (START - timedelta(days=3)).date()
    revoke_certificate(keeper(), ctx, issue_certificate(keeper(), ctx, wang, start, start + timedelta(days=2), START),
                       f"{WANG}的时长改了", START)
    category = db.session.scalar(select(SuggestionCategory).where(SuggestionCategory.station_id == ctx.id))
    lead = submit(ctx, category_id=category.id, text="路灯坏了", photo=None, contact=None, anonymous=False,
                  source="phone", device_id="wang-phone", now=START, volunteer_id=wang.id)
    change(keeper(), lead, internal_note=f"{WANG}发现的，回电{WANG_MOBILE}", now=START)
    erase_volunteer(keeper(), ctx, wang, wang.number, START)
    db.session.flush()
    return wang


def every_text_column():
    """(table, column) of every column in the schema that can hold words: text and JSON."""
    from sqlalchemy import JSON, String

    return sorted((table.name, column.name) for table in db.metadata.tables.values() for column in table.columns
                  if isinstance(column.type, String | JSON))


# Every column that can hold words, and what erasing a volunteer does about it. A new column fails
# the test below until it is put here: one that can hold a keeper's words about a volunteer it is
# linked to is masked when they are erased (`masked_words` in an `add_before_erase` hook; a value
# in the audit trail, by `words` in `add_audit_labels`).
def columns(table: str, *names: str) -> set[tuple[str, str]]:
    return {(table, name) for name in names}


MASKED = (columns("audit_event", "before", "after") | columns("certificate", "revoke_reason")
          | columns("points_line", "reason") | columns("suggestion", "internal_note"))
GONE = (columns("volunteer", "name", "mobile", "mobile_tail", "skills", "national_code", "id_type", "id_number",
                "badge_nonce", "phone_code_hash")
        | columns("honor_pick", "note"))  # the pick goes; another pick's note masks the name (drop_erased)
NOT_A_KEEPERS_WORDS_ABOUT_THEM = (
    # Codes, tokens, hashes, numbers.
    columns("audit_event", "action") | columns("certificate", "serial", "verify_token") | columns("honor_pick", "month")
    | columns("points_line", "kind", "once") | columns("rate_event", "kind", "key") | columns("rating", "device_key")
    | columns("redemption", "status", "once") | columns("service_session", "check_in_method", "check_out_method")
    | columns("sign_in_attempt", "username", "address") | columns("volunteer", "number")
    | columns("suggestion", "tracking_code", "photo", "source", "submitter", "origin", "status", "submit_token")
    | columns("suggestion_event", "action") | columns("swap_event", "action") | columns("walk_in_visit", "tap_id")
    | columns("swap_item", "code", "condition", "photo", "status", "removed_reason", "intake_token", "take_token")
    # The station, its keepers and its own lists.
    | columns("station", "slug", "name", "name_hant", "timezone", "star_hours", "person_in_charge", "contact")
    | columns("keeper", "username", "display_name", "password_hash", "role") | columns("team", "name")
    | columns("gift", "name") | columns("suggestion_category", "code", "name")
    | columns("swap_category", "code", "name")
    | columns("walk_in_service", "code", "name")
    # Activities belong to no one volunteer; a certificate's figures are activities and hours.
    | columns("activity", "name", "place", "content", "person_in_charge", "organiser")
    | columns("certificate", "figures")
    # Residents' own words stay as written (README: the suggestion box); what goes public (the
    # wording, the reply, and their copies in its history) was masked when a keeper saved it.
    | columns("suggestion", "text", "contact_mobile", "public_reply", "public_wording")
    | columns("suggestion_event", "before", "after") | columns("rating", "words")
    # The swap shelf keeps no volunteer.
    | columns("swap_item", "title", "contact_mobile", "removed_note") | columns("swap_event", "note"))


def test_every_column_that_can_hold_words_is_masked_gone_or_no_keepers_words_about_a_volunteer(app):
    with app.app_context():
        in_schema = set(every_text_column())
    listed = MASKED | GONE | NOT_A_KEEPERS_WORDS_ABOUT_THEM
    assert not MASKED & GONE and not (MASKED | GONE) & NOT_A_KEEPERS_WORDS_ABOUT_THEM
    assert in_schema - listed == set(), "a new column: say above what erasing a volunteer does to it"
    assert listed - in_schema == set(), "no longer in the schema"


def test_an_erased_volunteers_name_and_mobile_are_nowhere_in_the_database(ctx, written_about):
    """Every column that can hold words, in every row: what keepers wrote about them stays, masked."""
    for table, column in every_text_column():
        values = [str(v) for v in db.session.execute(select(db.metadata.tables[table].c[column])).scalars()]
        for text in values:
            assert WANG not in text and WANG_MOBILE not in text and "138 0013 8003" not in text, (table, column, text)
        if (table, column) in MASKED:  # the fixture wrote in each, and the words are still there
            assert any("王*国" in text for text in values), (table, column)


def test_what_keepers_wrote_about_an_erased_volunteer_stays_with_the_name_and_number_masked(ctx, written_about):
    from kiosk.certificates.models import Certificate
    from kiosk.people.audit import volunteer_events
    from kiosk.points.ledger import lines
    from kiosk.suggest.models import Suggestion

    assert [line.reason for line in lines(written_about.id)] == ["王*国说记重了，电话 ***", "王*国值班", "表扬王*国修灯"]
    events = {e.action: (e.before, e.after) for e in volunteer_events(written_about.id)}
    assert events["honor.picked"][1] == {"month": "2026-11", "note": "王*国热心修灯，电话***"}
    assert events["points.reversed"] == ({"amount": 3, "reason": "王*国值班"}, {"amount": -3})
    assert events["certificate.revoked"][1]["reason"] == "王*国的时长改了"
    assert db.session.scalar(select(Certificate.revoke_reason)) == "王*国的时长改了"
    lead = db.session.scalar(select(Suggestion).where(Suggestion.volunteer_id == written_about.id))
    assert (lead.internal_note, lead.text) == ("王*国发现的，回电***", "路灯坏了")


def test_the_export_after_erasing_has_the_keepers_words_masked(ctx, written_about):
    record = everything_about(keeper(), ctx, written_about, START)
    notes = [c["after"]["note"] for c in record["changes_by_keepers"] if c["action"] == "honor.picked"]
    assert notes == ["王*国热心修灯，电话***"]
    assert "表扬王*国修灯" in [line["reason"] for line in record["points"]]


def test_the_export_of_an_erased_volunteer_has_nothing_for_what_was_erased(ctx, erased):
    """No placeholder that reads like a real value ("00000000001" is an odd mobile, "—" an odd name)."""
    record = everything_about(keeper(), ctx, erased, START)["volunteer"]
    gone = ("name", "mobile", "birth_year", "national_code", "id_type", "id_number")
    assert {field: record[field] for field in gone} == dict.fromkeys(gone)
    assert (record["teams"], record["skills"], record["has_badge"]) == ([], [], False)
    assert (record["number"], record["erased_at"]) == (erased.number, START.isoformat())
