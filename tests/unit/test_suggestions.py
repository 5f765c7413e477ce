"""Issue 6: the suggestion box (建议筒) without HTTP: submitting, tracking codes, rate limits, the keeper's
statuses, replies, notes, history, duplicates and hiding, "you said, we did", and the Open311 fields."""

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select

import kiosk.suggest.box as suggestions_module
from kiosk.suggest.box import ADDRESS_LIMITS
from kiosk.core.edits import EditedMeanwhile, edit_stamp
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.photos import prepare_photo
from kiosk.core.stations import add_station
from kiosk.people.models import Keeper
from kiosk.suggest.models import Suggestion, SuggestionCategory, SuggestionEvent
from kiosk.suggest.box import (
    masked_text,
    RATE_LIMITS,
    TooManySuggestions,
    by_tracking_code,
    categories,
    category_label,
    change,
    counts,
    editable_details,
    event_label,
    history,
    inbox,
    open311,
    public_requests,
    status_label,
    submit,
    submitter_key,
    you_said_we_did,
)
from tests.conftest import in_english
from tests.images import TEXT_AS_JPG, gps_jpeg, jpeg, png, truncated_jpeg

NOT_A_PHOTO = "This file is not a photo we can read. Please choose a JPEG or PNG picture."
WRITE_IT = "Please write your suggestion."
TOO_LONG = "Please keep it to 500 characters or fewer."
CHOOSE = "Please choose what it is about."
BAD_MOBILE = "Please enter an 11-digit mobile number starting with 1."
NO_SUCH_CODE = "No other suggestion has this tracking code."
SAY_WHY = "Please say why in the public reply before declining."
CODE = re.compile(r"S-[2-9A-HJKMNP-Z]{6}")


# --- Fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station)


@pytest.fixture
def now(clock):
    return clock.now()


@pytest.fixture
def keeper(ctx):
    return db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))


def category(station, code="safety") -> SuggestionCategory:
    return db.session.scalar(select(SuggestionCategory).where(
        SuggestionCategory.station_id == station.id, SuggestionCategory.code == code))


def drop(station, when, text="楼道灯坏了，晚上很黑", code="safety", photo=None, contact=None, anonymous=False,
         source="kiosk", device="kiosk-tablet-1", category_id=None, address=None,
         station_kiosk=None) -> Suggestion:
    # Each device has its own address unless a test says they share one. The photo is re-encoded
    # first, as the kiosk does it. A kiosk suggestion comes from the station's set-up kiosk tablet
    # unless a test says otherwise.
    prepared = prepare_photo(photo, kind="suggestions") if photo else None
    suggestion = submit(station, category_id=category(station, code).id if category_id is None else category_id,
                        text=text, photo=prepared, contact=contact, anonymous=anonymous, source=source,
                        device_id=device, address=address if address is not None else f"addr-of-{device}", now=when,
                        station_kiosk=source == "kiosk" if station_kiosk is None else station_kiosk)
    if prepared:
        db.session.commit()  # a photo is written once its suggestion is committed
    return suggestion


def suggestion_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Suggestion))


def uploads() -> list[Path]:
    folder = Path(current_app.instance_path) / "uploads"
    return sorted(p for p in folder.rglob("*") if p.is_file())


def actions(suggestion) -> list[str]:
    return [e.action for e in history(suggestion)]


# --- Submitting ----------------------------------------------------------------------------


def test_a_suggestion_is_stored_with_a_tracking_code_and_a_received_event(ctx, now):
    s = drop(ctx, now, contact=" +86 138-0013 8000 ", source="phone", device="phone-abc")
    assert CODE.fullmatch(s.tracking_code)
    assert (s.station_id, s.category.code, s.text, s.source) == (ctx.id, "safety", "楼道灯坏了，晚上很黑", "phone")
    assert s.contact_mobile == "13800138000"
    assert (s.status, s.hidden, s.photo, s.public_reply, s.internal_note) == ("received", False, None, None, None)
    assert s.created_at == now and s.updated_at == now and s.resolved_at is None
    [event] = history(s)
    assert (event.action, event.keeper_id, event.at) == ("received", None, now)


def test_the_device_is_kept_only_as_a_hash(ctx, now):
    s = drop(ctx, now, device="phone-abc")
    assert s.submitter == submitter_key("phone-abc") != submitter_key("phone-abd")
    assert "phone-abc" not in s.submitter and len(s.submitter) == 64


def test_tracking_codes_are_short_random_and_without_look_alike_letters(ctx, now):
    codes = [drop(ctx, now, device=f"d{i}").tracking_code for i in range(60)]
    assert len(set(codes)) == 60
    assert all(CODE.fullmatch(c) for c in codes)
    assert not any(ch in c[2:] for c in codes for ch in "01OIL")


def test_a_new_code_never_repeats_one_in_use(ctx, now, monkeypatch):
    first = drop(ctx, now)
    letters = iter(first.tracking_code[2:] + "ABCDEF")
    monkeypatch.setattr(suggestions_module.secrets, "choice", lambda alphabet: next(letters))
    second = drop(ctx, now)
    assert second.tracking_code == "S-ABCDEF" != first.tracking_code


def test_staying_anonymous_keeps_no_contact_even_if_one_was_typed(ctx, now):
    assert drop(ctx, now, contact="13800138000", anonymous=True).contact_mobile is None
    # Nor is a typed contact checked: it is thrown away, not refused.
    assert drop(ctx, now, contact="not a number", anonymous=True).contact_mobile is None


@pytest.mark.parametrize("contact", [None, "", "   "])
def test_a_blank_contact_is_no_contact(ctx, now, contact):
    assert drop(ctx, now, contact=contact).contact_mobile is None


@pytest.mark.parametrize("contact", ["123", "1380013800", "138001380001", "23800138000", "abc", "138-0013-800x"])
def test_a_wrong_contact_mobile_is_refused_and_nothing_stored(ctx, now, contact):
    with pytest.raises(DomainError) as err:
        drop(ctx, now, contact=contact, photo=jpeg())
    assert (str(err.value), err.value.field) == (BAD_MOBILE, "mobile")
    assert suggestion_count() == 0 and uploads() == []


@pytest.mark.parametrize("category_id", [None, "", "abc", "-1", "0", "99999", "9999999999", "1.0", "1 "])
def test_a_missing_or_unknown_category_is_refused(ctx, now, category_id):
    with pytest.raises(DomainError) as err:
        submit(ctx, category_id=category_id, text="路灯坏了", photo=None, contact=None, anonymous=False,
               source="kiosk", device_id="d", now=now)
    assert (str(err.value), err.value.field) == (CHOOSE, "category")
    assert suggestion_count() == 0


def test_another_stations_category_is_refused(ctx, now):
    other = add_station("other", "别的驿站")
    with pytest.raises(DomainError) as err:
        drop(ctx, now, category_id=category(other, "safety").id, photo=jpeg())
    assert err.value.field == "category"
    assert suggestion_count() == 0 and uploads() == []


def test_an_inactive_category_is_neither_offered_nor_accepted(ctx, now):
    old = category(ctx, "neighbours")
    old.active = False
    assert old not in categories(ctx) and len(categories(ctx)) == 5
    with pytest.raises(DomainError) as err:
        drop(ctx, now, code="neighbours")
    assert err.value.field == "category"


def test_the_standard_categories_are_offered_in_order_with_english_labels(ctx):
    found = categories(ctx)
    assert [c.code for c in found] == ["environment", "safety", "facilities", "station", "neighbours", "other"]
    assert [category_label(c) for c in found] == ["Environment", "Safety", "Facilities", "Station services",
                                                  "Neighbour disputes", "Other"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", WRITE_IT),
        (None, WRITE_IT),
        ("   \n\t  \r\n ", WRITE_IT),
        ("\u3000\u3000", WRITE_IT),  # full-width spaces
        ("\x00\x01\x1b\x7f", WRITE_IT),  # control characters and nothing else
        ("\u200b\u200b", WRITE_IT),  # zero-width spaces
        ("x" * 501, TOO_LONG),
        ("建" * 501, TOO_LONG),
        ("a" * 10 * 1024, TOO_LONG),
    ],
)
def test_empty_or_too_long_text_is_refused_and_nothing_stored(ctx, now, text, message):
    with pytest.raises(DomainError) as err:
        drop(ctx, now, text=text, photo=jpeg())
    assert (str(err.value), err.value.field) == (message, "text")
    assert suggestion_count() == 0 and uploads() == []


BLANK_BUG = ("BUG: kiosk/suggestions.py _clean_text (lines 95-96) strips whitespace before it drops control and "
             "invisible characters, so spaces wrapped in them survive as a whitespace-only text")


@pytest.mark.parametrize("text", ["\x00 \x00", "\u200b \u200b", "\x7f\t\x7f", "\u200b\n\u200b"])
def test_spaces_hidden_between_invisible_characters_are_still_no_text(ctx, now, text):
    with pytest.raises(DomainError) as err:
        drop(ctx, now, text=text)
    assert (str(err.value), err.value.field) == (WRITE_IT, "text")


def test_an_invisible_reason_is_no_reason_to_decline(ctx, now, keeper):
    s = drop(ctx, now)
    with pytest.raises(DomainError) as err:
        change(keeper, s, status="declined", public_reply="\u200b \u200b", now=now)
    assert err.value.field == "public_reply"


def test_five_hundred_characters_are_fine(ctx, now):
    assert drop(ctx, now, text="建" * 500).text == "建" * 500


def test_line_breaks_count_once_and_surrounding_space_goes(ctx, now):
    # A browser sends CRLF; the counter on the page counted each line break as one.
    text = ("a" * 98 + "\r\n") * 5 + "b" * 5  # 500 characters with LF, 505 with CRLF
    s = drop(ctx, now, text="  " + text + "  \r\n")
    assert s.text == ("a" * 98 + "\n") * 5 + "b" * 5 and len(s.text) == 500
    assert drop(ctx, now, text="第一行   \r\n第二行\t").text == "第一行\n第二行"


def test_control_characters_inside_the_text_are_dropped(ctx, now):
    s = drop(ctx, now, text="路灯\x00坏了\x1b[31m\x07，请修")
    assert s.text == "路灯坏了[31m，请修"
    assert all(ch.isprintable() or ch in "\n\t" for ch in s.text)


@pytest.mark.parametrize("typed", ["一家人 👨\u200d👩\u200d👧\u200d👦 都来了", "挂了 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F 旗",
                                   "爱心 ❤\ufe0f", "楼道　灯坏了"])
def test_emoji_sequences_and_full_width_spaces_inside_a_suggestion_stay_whole(ctx, now, typed):
    # The joiner of a family emoji and a flag's tag letters are format characters; dropping them
    # turned 👨‍👩‍👧‍👦 into four faces on the keeper's list and the tracking page.
    assert drop(ctx, now, text=typed).text == typed


def test_a_stray_joiner_or_right_to_left_override_in_a_suggestion_goes(ctx, now):
    assert drop(ctx, now, text="\u200d路灯\u202e坏了\u200d").text == "路灯坏了"


# --- Photos --------------------------------------------------------------------------------


def test_a_photo_is_stored_privately_under_suggestions_without_its_gps(ctx, now):
    s = drop(ctx, now, photo=gps_jpeg())
    folder = Path(current_app.instance_path) / "uploads" / "suggestions"
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", s.photo)
    assert sorted(p.name for p in uploads()) == sorted([s.photo, s.photo.replace(".jpg", "-thumb.jpg")])
    assert all(p.parent == folder for p in uploads())
    data = (folder / s.photo).read_bytes()
    assert b"SpyCam" not in data
    with Image.open(folder / s.photo) as image:
        assert not image.getexif().get_ifd(0x8825)
    assert drop(ctx, now, photo=png()).photo != s.photo


@pytest.mark.parametrize("photo", [TEXT_AS_JPG, truncated_jpeg(), b"%PDF-1.4\n" + b"0" * 300,
                                   b"\xff\xd8\xff\xe0" + b"\x00" * 200])
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_stored(ctx, now, photo):
    with pytest.raises(DomainError) as err:
        drop(ctx, now, photo=photo)
    assert (str(err.value), err.value.field) == (NOT_A_PHOTO, "photo")
    assert suggestion_count() == 0 and uploads() == []


def test_a_photo_with_bad_text_is_not_stored(ctx, now):
    with pytest.raises(DomainError):
        drop(ctx, now, text="", photo=jpeg())
    assert uploads() == []


# --- Rate limits ---------------------------------------------------------------------------


@pytest.mark.parametrize("source, limit", [("kiosk", 20), ("phone", 3)])
def test_one_device_may_leave_so_many_an_hour(ctx, clock, source, limit):
    assert RATE_LIMITS[source] == limit
    for i in range(limit):
        drop(ctx, clock.now(), source=source, device="dev-1")
        clock.advance(minutes=1)
    with pytest.raises(TooManySuggestions) as err:
        drop(ctx, clock.now(), source=source, device="dev-1", photo=jpeg())
    assert err.value.status == 429
    assert str(err.value) == {"kiosk": "This tablet has had many suggestions just now. Please try again in a while, "
                                       "or scan the code with your own phone.",
                              "phone": "Many suggestions have come from here just now. Please try again in a while."}[source]
    assert suggestion_count() == limit and uploads() == []
    # Another device is not affected.
    assert drop(ctx, clock.now(), source=source, device="dev-2").source == source
    # An hour after the first, one slot is free again; and only one.
    clock.advance(hours=1, minutes=1, seconds=-limit * 60)
    drop(ctx, clock.now(), source=source, device="dev-1")
    with pytest.raises(TooManySuggestions):
        drop(ctx, clock.now(), source=source, device="dev-1")


def test_a_fresh_cookie_does_not_reset_the_limit_of_an_address(ctx, clock):
    # A script that throws its device cookie away each time still comes from one address: a few
    # phones may share it (a family's Wi-Fi), not twenty (issue 10: 3 an hour became 20).
    for i in range(ADDRESS_LIMITS["phone"]):
        drop(ctx, clock.now(), source="phone", device=f"fresh-{i}", address="10.0.0.9")
    with pytest.raises(TooManySuggestions):
        drop(ctx, clock.now(), source="phone", device="fresh-new", address="10.0.0.9")
    assert drop(ctx, clock.now(), source="phone", device="fresh-new", address="10.0.0.10").source == "phone"


def test_an_hour_later_the_device_may_leave_a_full_set_again(ctx, clock):
    for _ in range(3):
        drop(ctx, clock.now(), source="phone", device="p")
    with pytest.raises(TooManySuggestions):
        drop(ctx, clock.now(), source="phone", device="p")
    clock.advance(hours=1)  # exactly an hour: the three still count
    with pytest.raises(TooManySuggestions):
        drop(ctx, clock.now(), source="phone", device="p")
    clock.advance(minutes=1)
    for _ in range(3):
        drop(ctx, clock.now(), source="phone", device="p")
    assert suggestion_count() == 6


def test_refused_suggestions_do_not_count_towards_the_limit(ctx, now):
    for _ in range(5):
        with pytest.raises(DomainError):
            drop(ctx, now, text="", source="phone", device="p")
    for _ in range(3):
        drop(ctx, now, source="phone", device="p")
    assert suggestion_count() == 3


# --- Finding by tracking code --------------------------------------------------------------


def test_a_suggestion_is_found_by_its_code_however_it_is_typed(ctx, now):
    s = drop(ctx, now)
    code = s.tracking_code
    for typed in (code, code.lower(), code.replace("-", ""), code.replace("-", "").lower(), f"  {code} ",
                  f"{code[:4]} {code[4:]}", "s-" + code[2:].lower()):
        assert by_tracking_code(typed) is s, typed


# Probe: an em dash, the 一 a Chinese keyboard often gives for the dash, or no S- at all found nothing.
def test_a_suggestion_is_found_whatever_dash_is_typed_and_without_the_s(ctx, now):
    s = drop(ctx, now)
    rest = s.tracking_code[2:]
    for typed in ("s—" + rest, "S一" + rest, "S——" + rest, "S–" + rest, "S－" + rest, "S‐" + rest, rest,
                  rest.lower(), f" {rest[:3]} {rest[3:]} ", "ｓ一" + rest.lower(), "S 一 " + rest):
        assert by_tracking_code(typed) is s, typed


@pytest.mark.parametrize("typed", ["一{rest}", "S一一{rest}", "S-一{rest}", "S———{rest}", "S一{rest}一",
                                   "{rest}一", "X—{rest}", "S—{short}", "{short}", "S{rest}Z", "一", "S一", "—"])
def test_a_dash_or_a_missing_s_makes_no_false_match(ctx, now, typed):
    s = drop(ctx, now)
    rest = s.tracking_code[2:]
    assert by_tracking_code(typed.format(rest=rest, short=rest[:5])) is None


@pytest.mark.parametrize("typed", [None, "", "S-", "S-ABC", "S-ABCDEFG", "S-ABCDE0", "S-OOOOOO", "X-ABCDEF",
                                   "ABCDEF", "S--ABCDEF", "S-ABCDEF" + "Z" * 5000, "'; DROP TABLE suggestion; --",
                                   "S-ABCD\x00F"])
def test_garbage_codes_find_nothing(ctx, now, typed):
    drop(ctx, now)
    assert by_tracking_code(typed) is None


# --- The keeper's changes ------------------------------------------------------------------


def test_statuses_move_along_and_each_change_is_kept_with_who_and_before_after(ctx, clock, keeper):
    s = drop(ctx, clock.now())
    times = []
    for status in ("accepted", "in_progress", "resolved"):
        times.append(clock.advance(hours=1))
        change(keeper, s, status=status, now=clock.now())
    assert s.status == "resolved" and s.resolved_at == times[-1] and s.updated_at == times[-1]
    events = history(s)
    assert [(e.action, e.before, e.after, e.keeper_id, e.at) for e in events[1:]] == [
        ("status", "received", "accepted", keeper.id, times[0]),
        ("status", "accepted", "in_progress", keeper.id, times[1]),
        ("status", "in_progress", "resolved", keeper.id, times[2]),
    ]
    assert [event_label(e) for e in events] == ["Dropped in the box", "Status: Received → Accepted",
                                                "Status: Accepted → In progress", "Status: In progress → Resolved"]


def test_reopening_clears_the_resolved_date(ctx, clock, keeper):
    s = drop(ctx, clock.now())
    change(keeper, s, status="resolved", now=clock.advance(hours=1))
    change(keeper, s, status="in_progress", now=clock.advance(hours=1))
    assert s.resolved_at is None and s.status == "in_progress"


def test_declining_needs_a_public_reason(ctx, now, keeper):
    s = drop(ctx, now)
    db.session.commit()
    with pytest.raises(DomainError) as err:
        change(keeper, s, status="declined", public_reply="   ", now=now)
    assert (str(err.value), err.value.field) == (SAY_WHY, "public_reply")
    db.session.rollback()
    s = db.session.get(Suggestion, s.id)
    assert s.status == "received" and actions(s) == ["received"]
    change(keeper, s, status="declined", public_reply="这属于物业管理范围，已转交物业。", now=now)
    assert (s.status, s.public_reply, s.resolved_at) == ("declined", "这属于物业管理范围，已转交物业。", now)


def test_a_declined_suggestion_keeps_its_reason(ctx, now, keeper):
    s = drop(ctx, now)
    change(keeper, s, status="declined", public_reply="不在本站职责范围", now=now)
    db.session.commit()
    try:
        change(keeper, s, status="declined", public_reply="", now=now)
    except DomainError as err:
        assert err.field == "public_reply"
        db.session.rollback()
    s = db.session.get(Suggestion, s.id)
    assert s.status == "declined" and s.public_reply == "不在本站职责范围"


@pytest.mark.parametrize("status", ["", "done", "RESOLVED", "closed", "open"])
def test_an_unknown_status_is_refused(ctx, now, keeper, status):
    s = drop(ctx, now)
    with pytest.raises(DomainError) as err:
        change(keeper, s, status=status, now=now)
    assert err.value.field == "status"


def test_the_same_status_again_is_no_change(ctx, clock, keeper):
    s = drop(ctx, clock.now())
    change(keeper, s, status="received", public_reply=None, internal_note=None, hidden=False, duplicate_of="",
           now=clock.advance(hours=1))
    assert actions(s) == ["received"] and s.updated_at != clock.now()


def test_a_suggestion_answered_in_public_is_reopened_not_sent_back_to_received(ctx, clock, keeper):
    s = drop(ctx, clock.now())
    change(keeper, s, status="accepted", public_reply="已联系物业。", now=clock.advance(hours=1))
    change(keeper, s, status="resolved", now=clock.advance(hours=1))
    with pytest.raises(DomainError) as err:
        change(keeper, s, status="received", now=clock.advance(hours=1))
    assert err.value.field == "status" and "In progress" in str(err.value)
    change(keeper, s, status="in_progress", now=clock.now())
    assert s.status == "in_progress" and s.public_reply == "已联系物业。" and s.resolved_at is None


def test_a_change_from_a_page_opened_before_another_keepers_is_refused_and_changes_nothing(ctx, clock, keeper):
    s = drop(ctx, clock.now())
    seen = edit_stamp(editable_details(s))
    change(keeper, s, status="resolved", public_reply="灯已换好", internal_note="周二换的", now=clock.advance(hours=1),
           seen=seen)
    db.session.commit()
    with pytest.raises(EditedMeanwhile):
        change(keeper, s, status="accepted", public_reply="会尽快处理", internal_note="明天去看",
               now=clock.advance(hours=1), seen=seen)
    db.session.rollback()
    s = db.session.get(Suggestion, s.id)
    assert (s.status, s.public_reply, s.internal_note) == ("resolved", "灯已换好", "周二换的")
    assert actions(s) == ["received", "reply", "note", "status"]
    # Each thing the page shows is in the stamp: a hidden mark or a duplicate mark is a change too.
    for changed in ({"hidden": True}, {"duplicate_of": drop(ctx, clock.now()).tracking_code},
                    {"public_wording": "楼道的灯坏了"}):
        seen = edit_stamp(editable_details(s))
        change(keeper, s, now=clock.now(), **changed)
        with pytest.raises(EditedMeanwhile):
            change(keeper, s, internal_note="再看看", now=clock.now(), seen=seen)


def test_a_public_reply_and_an_internal_note_are_saved_and_logged(ctx, clock, keeper):
    s = drop(ctx, clock.now())
    change(keeper, s, public_reply="  已联系物业，本周内更换灯泡。\r\n谢谢！ ", internal_note="物业王经理 电话已打",
           now=clock.advance(hours=1))
    assert s.public_reply == "已联系物业，本周内更换灯泡。\n谢谢！"
    assert s.internal_note == "物业王经理 电话已打"
    events = {e.action: e for e in history(s)}
    assert events["reply"].after == s.public_reply and events["reply"].before is None
    # The history never copies the internal note's words.
    assert events["note"].before is None and events["note"].after is None
    assert event_label(events["reply"]) == "Public reply updated"
    assert event_label(events["note"]) == "Internal note updated"
    change(keeper, s, public_reply="", internal_note="", now=clock.advance(hours=1))
    assert s.public_reply is None and s.internal_note is None


@pytest.mark.parametrize("field", ["public_reply", "internal_note"])
def test_replies_and_notes_have_a_length_limit(ctx, now, keeper, field):
    s = drop(ctx, now)
    change(keeper, s, **{field: "字" * 1000}, now=now)
    with pytest.raises(DomainError) as err:
        change(keeper, s, **{field: "字" * 1001}, now=now)
    assert err.value.field == field and "1000" in str(err.value)


def test_hiding_and_showing_are_logged(ctx, clock, keeper):
    s = drop(ctx, clock.now())
    change(keeper, s, hidden=True, now=clock.advance(minutes=1))
    assert s.hidden is True
    change(keeper, s, hidden=True, now=clock.advance(minutes=1))
    change(keeper, s, hidden=False, now=clock.advance(minutes=1))
    assert s.hidden is False
    assert actions(s) == ["received", "hidden", "shown"]


def test_marking_a_duplicate_by_its_code_however_typed(ctx, clock, keeper):
    original = drop(ctx, clock.now(), device="a")
    again = drop(ctx, clock.now(), device="b")
    change(keeper, again, duplicate_of=" " + original.tracking_code.replace("-", "").lower(), now=clock.now())
    assert again.duplicate_of_id == original.id and again.duplicate_of is original
    event = history(again)[-1]
    assert (event.action, event.after, event.keeper_id) == ("duplicate", original.tracking_code, keeper.id)
    assert event_label(event) == f"Marked as a duplicate of {original.tracking_code}"
    change(keeper, again, duplicate_of="", now=clock.now())
    assert again.duplicate_of_id is None and event_label(history(again)[-1]) == "Not a duplicate"


def test_a_duplicate_must_be_another_suggestion_of_this_station(ctx, now, keeper):
    s = drop(ctx, now, device="a")
    other = add_station("other", "别的驿站")
    elsewhere = drop(other, now, device="b")
    for code in (s.tracking_code, elsewhere.tracking_code, "S-ZZZZZZ", "garbage", "S-0OIL00"):
        with pytest.raises(DomainError) as err:
            change(keeper, s, duplicate_of=code, now=now)
        assert (str(err.value), err.value.field) == (NO_SUCH_CODE, "duplicate_of"), code
    assert s.duplicate_of_id is None


# Probe: S-A marked a duplicate of S-B, then S-B of S-A: both saved, each page pointing at the other.
def test_a_duplicate_never_goes_round_in_a_ring(ctx, clock, keeper):
    a, b, c = (drop(ctx, clock.now(), device=d) for d in "abc")
    change(keeper, a, duplicate_of=b.tracking_code, now=clock.now())
    with pytest.raises(DomainError) as err:
        change(keeper, b, duplicate_of=a.tracking_code.replace("-", "").lower(), now=clock.now())
    assert err.value.field == "duplicate_of"
    assert str(err.value) == (f"{a.tracking_code} is already marked as a duplicate of this one (directly or through "
                              f"another). To turn it round, first clear the duplicate mark on {a.tracking_code}.")
    assert b.duplicate_of_id is None and actions(b) == ["received"]
    change(keeper, b, duplicate_of=c.tracking_code, now=clock.now())  # a → b → c: a chain is fine
    for original in (a, b):  # c → a would go c → a → b → c
        with pytest.raises(DomainError) as err:
            change(keeper, c, duplicate_of=original.tracking_code, now=clock.now())
        assert original.tracking_code in str(err.value) and err.value.field == "duplicate_of"
    assert c.duplicate_of_id is None
    change(keeper, a, duplicate_of="", now=clock.now())  # turned round, as the message says
    change(keeper, c, duplicate_of=a.tracking_code, now=clock.now())
    assert (c.duplicate_of_id, b.duplicate_of_id) == (a.id, c.id)


def test_a_ring_left_from_before_does_not_hang_the_next_change(ctx, clock, keeper):
    a, b, c = (drop(ctx, clock.now(), device=d) for d in "abc")
    a.duplicate_of_id, b.duplicate_of_id = b.id, a.id  # saved before rings were refused
    db.session.flush()
    change(keeper, c, duplicate_of=a.tracking_code, now=clock.now())
    assert c.duplicate_of_id == a.id
    with pytest.raises(DomainError):
        change(keeper, a, duplicate_of=c.tracking_code, now=clock.now())  # a → c → a: not a new ring
    change(keeper, a, duplicate_of=b.tracking_code, status="accepted", now=clock.now())  # the page saved as it was
    assert a.status == "accepted"
    change(keeper, a, duplicate_of="", now=clock.now())  # …and the old ring can be undone
    assert a.duplicate_of_id is None


# --- Lists and counts ----------------------------------------------------------------------


@pytest.fixture
def box(ctx, clock, keeper):
    """Four suggestions a minute apart at this station, one at another; returns them by name."""
    found = {
        "lamp": drop(ctx, clock.now(), code="safety", device="a"),
        "bins": drop(ctx, clock.advance(minutes=1), code="environment", device="b"),
        "bench": drop(ctx, clock.advance(minutes=1), code="facilities", device="c"),
        "noise": drop(ctx, clock.advance(minutes=1), code="environment", device="d"),
    }
    found["elsewhere"] = drop(add_station("other", "别的驿站"), clock.advance(minutes=1), device="e")
    change(keeper, found["bins"], status="accepted", now=clock.now())
    change(keeper, found["bench"], status="resolved", public_reply="长椅已修好", now=clock.now())
    return found


def test_the_inbox_is_newest_first_and_only_this_station(ctx, box):
    assert inbox(ctx) == [box["noise"], box["bench"], box["bins"], box["lamp"]]


def test_the_inbox_filters_by_status_and_category(ctx, box):
    environment = category(ctx, "environment").id
    assert inbox(ctx, status="accepted") == [box["bins"]]
    assert inbox(ctx, status="received") == [box["noise"], box["lamp"]]
    assert inbox(ctx, category_id=environment) == [box["noise"], box["bins"]]
    assert inbox(ctx, status="received", category_id=environment) == [box["noise"]]
    assert inbox(ctx, status="no-such-status") == inbox(ctx)


def test_counts_by_status_and_by_category(ctx, box):
    by_status, by_category = counts(ctx)
    assert by_status == {"received": 2, "accepted": 1, "in_progress": 0, "resolved": 1, "declined": 0}
    assert {c.code: n for c, n in by_category} == {"environment": 2, "safety": 1, "facilities": 1, "station": 0,
                                                   "neighbours": 0, "other": 0}


def test_you_said_we_did_lists_resolved_visible_replies_newest_resolved_first(ctx, clock, keeper, box):
    change(keeper, box["lamp"], status="resolved", public_reply="灯已换", now=clock.advance(hours=1))
    change(keeper, box["noise"], status="resolved", public_reply="已提醒", hidden=True, now=clock.advance(hours=1))
    change(keeper, box["bins"], status="declined", public_reply="不归我们管", now=clock.advance(hours=1))
    change(keeper, box["elsewhere"], status="resolved", public_reply="外站", now=clock.advance(hours=1))
    assert you_said_we_did(ctx) == [box["lamp"], box["bench"]]
    assert you_said_we_did(ctx, limit=1) == [box["lamp"]]
    # Resolving the older one again puts it first.
    change(keeper, box["bench"], status="in_progress", now=clock.advance(hours=1))
    change(keeper, box["bench"], status="resolved", now=clock.advance(hours=1))
    assert you_said_we_did(ctx) == [box["bench"], box["lamp"]]


def test_public_requests_leave_out_hidden_and_unread_ones_and_filter_by_station(ctx, clock, keeper, box):
    for name in ("lamp", "bench", "noise", "bins", "elsewhere"):
        change(keeper, box[name], status="accepted", now=clock.now())
    change(keeper, box["bins"], hidden=True, now=clock.now())
    assert public_requests(ctx) == [box["noise"], box["bench"], box["lamp"]]
    assert public_requests() == [box["elsewhere"], box["noise"], box["bench"], box["lamp"]]
    other = db.session.scalar(select(Station).where(Station.slug == "other"))
    assert public_requests(other) == [box["elsewhere"]]
    change(keeper, box["noise"], status="received", now=clock.now())  # not looked at: not published
    assert public_requests(ctx) == [box["bench"], box["lamp"]]


def test_masked_text_masks_what_may_be_a_phone_number():
    assert masked_text("楼下张三(139 8765-4321)家漏水", []) == "楼下张三(***)家漏水"
    assert masked_text("3号楼 2 单元", []) == "3号楼 2 单元"


def test_a_reply_keeps_the_stations_own_number_and_service_lines_but_masks_anyone_elses(ctx, now, keeper):
    ctx.contact = "010-6234 5678"
    s = drop(ctx, now)
    change(keeper, s, status="resolved", now=now,
           public_reply="已换滤芯。有问题请打驿站电话 010-62345678（或 62345678），或 400-800-1234；王师傅 13912345678")
    assert s.public_reply == ("已换滤芯。有问题请打驿站电话 010-62345678（或 62345678），或 400-800-1234；"
                              "王师傅 ***")
    ctx.contact = ""
    change(keeper, s, public_reply="请打 010-62345678", now=now)
    assert s.public_reply == "请打 ***"  # without a contact on record, a landline may be anyone's


# --- Open311 -------------------------------------------------------------------------------

OPEN311_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "requested_datetime", "updated_datetime"}


@pytest.mark.parametrize("status, open_or_closed", [("received", "open"), ("accepted", "open"),
                                                    ("in_progress", "open"), ("resolved", "closed"),
                                                    ("declined", "closed")])
def test_open311_status_is_open_or_closed(ctx, now, keeper, status, open_or_closed):
    s = drop(ctx, now)
    change(keeper, s, status=status, public_reply="处理说明", now=now)
    assert open311(s)["status"] == open_or_closed


def test_open311_has_the_georeport_fields_and_never_the_contact_photo_or_note(ctx, clock, keeper):
    s = drop(ctx, clock.now(), code="facilities", contact="13800138000", photo=jpeg(), text="电梯按钮坏了")
    change(keeper, s, status="resolved", public_reply="已报修", internal_note="报修人是3号楼王阿姨",
           now=clock.advance(hours=2))
    data = open311(s)
    assert set(data) == OPEN311_FIELDS
    assert data == {
        "service_request_id": s.tracking_code, "status": "closed", "status_notes": "已报修",
        "service_name": "Facilities", "service_code": "facilities", "description": "电梯按钮坏了",
        "requested_datetime": "2026-11-22T01:00:00+00:00", "updated_datetime": "2026-11-22T03:00:00+00:00",
    }
    assert datetime.fromisoformat(data["updated_datetime"]) - datetime.fromisoformat(data["requested_datetime"]) \
        == timedelta(hours=2)
    flat = repr(data)
    assert "13800138000" not in flat and s.photo[:32] not in flat and "王阿姨" not in flat


def test_open311_of_an_unreplied_suggestion_has_empty_notes(ctx, now):
    assert open311(drop(ctx, now))["status_notes"] == ""


def test_a_keepers_own_category_is_named_and_coded_for_open311(ctx, now):
    own = SuggestionCategory(station_id=ctx.id, code=None, name="电梯", position=9, active=True)
    db.session.add(own)
    db.session.flush()
    data = open311(drop(ctx, now, category_id=own.id))
    assert (data["service_name"], data["service_code"]) == ("电梯", f"custom-{own.id}")


def test_status_labels_read_in_english(ctx):
    assert [status_label(s) for s in ("received", "accepted", "in_progress", "resolved", "declined")] == [
        "Received", "Accepted", "In progress", "Resolved", "Declined"]


def test_events_are_kept_in_the_database_with_the_keeper(ctx, clock, keeper):
    s = drop(ctx, clock.now())
    change(keeper, s, status="accepted", now=clock.advance(minutes=5))
    rows = db.session.scalars(select(SuggestionEvent).where(SuggestionEvent.suggestion_id == s.id)
                              .order_by(SuggestionEvent.id)).all()
    assert [(r.action, r.keeper_id, r.before, r.after) for r in rows] == [
        ("received", None, None, None), ("status", keeper.id, "received", "accepted")]
