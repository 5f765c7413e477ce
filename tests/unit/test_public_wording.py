"""Issue 13: a volunteer's name written by a resident in a suggestion is not published. What public
views show is the suggestion's public wording: the text with registered names and phone-like numbers
masked, fixed when a keeper publishes it, and editable by the keeper."""

import pytest
from sqlalchemy import select

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station
from kiosk.core.text import mask_names_in
from kiosk.people.models import Keeper, Volunteer
from kiosk.people.privacy import erase_volunteer
from kiosk.people.volunteers import register_volunteer, registered_names
from kiosk.suggest.box import change, event_label, history, masked_text, open311, wording_of, wordings
from tests.unit.test_suggestions import drop

# --- Masking names inside text -------------------------------------------------------------


def test_a_name_inside_chinese_text_without_spaces_is_masked_like_the_honor_roll():
    assert mask_names_in("谢谢王小明帮我修好了门", ["王小明"]) == "谢谢王*明帮我修好了门"
    assert mask_names_in("李华来过", ["李华"]) == "李*来过"
    assert mask_names_in("欧阳明月很耐心", ["欧阳明月"]) == "欧*月很耐心"


def test_a_chinese_name_inside_a_longer_word_is_masked_all_the_same():
    # Chinese has no spaces: nobody can tell where a word ends, so a name is hidden wherever it
    # stands (the keeper reads the wording before it is public and may put the word back).
    assert mask_names_in("张华明天来", ["张华"]) == "张*明天来"
    assert mask_names_in("向阳小区的路灯", ["向阳"]) == "向*小区的路灯"


def test_a_latin_name_is_masked_only_as_a_whole_word():
    assert mask_names_in("Lily said Li helped", ["Li"]) == "Lily said L* helped"
    assert mask_names_in("谢谢Anna帮忙", ["Anna"]) == "谢谢A*a帮忙"
    assert mask_names_in("Annabel came", ["Anna"]) == "Annabel came"


def test_several_names_each_masked_and_the_longer_name_first():
    assert mask_names_in("王小明和李华都来了，王小明又来了", ["李华", "王小明"]) == "王*明和李*都来了，王*明又来了"
    assert mask_names_in("王小明来了", ["王小", "王小明"]) == "王*明来了"


def test_one_character_names_and_no_names_change_nothing():
    assert mask_names_in("王来了", ["王", "", "  "]) == "王来了"
    assert mask_names_in("楼道灯坏了", []) == "楼道灯坏了"
    assert mask_names_in("", ["王小明"]) == ""


def test_masked_text_hides_names_and_phone_numbers_together():
    assert masked_text("王小明的电话 139 1234 5678", ["王小明"]) == "王*明的电话 ***"


@pytest.mark.parametrize("written, shown", [
    ("找张 晓华", "找张*华"), ("找张晓 华", "找张*华"), ("电话138.0013.8001", "电话***"),
    ("电话(138)0013-8001", "电话***"), ("电话一三八零零一三八零零一", "电话***"), ("电话１３８００１３８００１", "电话***"),
    ("一共三个人", "一共三个人"), ("买了2斤", "买了2斤"), ("电话138－0013－8000", "电话***"),
    ("电话１３８－００１３－８０００", "电话***"), ("将于2026.12.05上门", "将于2026.12.05上门"),
    ("9.00-11.30开放", "9.00-11.30开放"), ("2026-12-05 9.00", "2026-12-05 9.00"),
], ids=["space in a name", "space before the last character", "dots", "brackets", "chinese numerals", "full-width",
        "a few numerals", "a small number", "full-width dashes", "full-width digits and dashes", "a date",
        "a time span", "a date and a time"])
def test_the_ways_people_write_names_and_numbers_are_masked_too(written, shown):
    assert masked_text(written, ["张晓华"]) == shown


def test_a_name_written_in_the_other_script_is_masked_too():
    # A resident from Hong Kong or Taiwan writes 張曉華 for the 张晓华 a keeper registered (and a
    # name registered in 繁體 is written in 简体 by others): the same person, the same mask.
    assert mask_names_in("謝謝張曉華幫忙", ["张晓华"]) == "謝謝張*華幫忙"
    assert mask_names_in("谢谢张晓华帮忙", ["張曉華"]) == "谢谢张*华帮忙"
    assert mask_names_in("張 曉華來了，陳明也來了", ["张晓华", "陈明"]) == "張*華來了，陳*也來了"
    assert masked_text("請找陳明，電話１３８００１３８０００", ["陈明"]) == "請找陳*，電話***"


def test_the_other_script_does_not_move_what_is_masked():
    # Words around a name that convert to another length or shape (乾淨 -> 干净, 頭髮 -> 头发)
    # leave the mask on the name itself and the rest of the text as written.
    assert mask_names_in("頭髮乾淨的王小明", ["王小明"]) == "頭髮乾淨的王*明"
    assert mask_names_in("Lily 說 Li 幫了忙", ["Li"]) == "Lily 說 L* 幫了忙"


# --- Whose names ---------------------------------------------------------------------------


@pytest.fixture
def ctx(app, station):
    from tests.conftest import in_english

    with in_english(app):
        yield db.session.get(Station, station)


@pytest.fixture
def keeper(ctx):
    return db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))


def test_registered_names_are_the_stations_volunteers_and_keepers_not_roles_nor_erased_ones(ctx, clock, keeper):
    other = add_station("other", "别的驿站")
    register_volunteer(other, name="外站人", mobile="13900000001")
    gone = db.session.scalar(select(Volunteer).where(Volunteer.station_id == ctx.id, Volunteer.name == "张晓华"))
    erase_volunteer(keeper, ctx, gone, gone.number, clock.now())
    db.session.add(Keeper(station=ctx, username="li", display_name="李芳", password_hash="x"))
    db.session.flush()
    names = registered_names(ctx.id)
    assert {"李桂英", "欧阳明月", "李芳"} <= set(names)
    assert "外站人" not in names and "张晓华" not in names
    assert "站长" not in names  # the demo keeper's display name is a role, not a name
    assert all(len(n) >= 2 for n in names)


# --- Publishing ----------------------------------------------------------------------------


def test_before_publishing_the_wording_is_the_masked_text_and_nothing_is_stored(ctx, clock):
    s = drop(ctx, clock.now(), text="谢谢李桂英阿姨，她电话13912345678")
    assert s.public_wording is None
    assert wording_of(s) == "谢谢李*英阿姨，她电话***"


def test_publishing_fixes_the_masked_wording(ctx, clock, keeper):
    s = drop(ctx, clock.now(), text="谢谢李桂英阿姨")
    change(keeper, s, status="accepted", now=clock.now())
    assert s.public_wording == "谢谢李*英阿姨"
    # A volunteer erased later does not come back unmasked: the wording was fixed when published.
    gone = db.session.scalar(select(Volunteer).where(Volunteer.name == "李桂英"))
    erase_volunteer(keeper, ctx, gone, gone.number, clock.now())
    assert wording_of(s) == "谢谢李*英阿姨" and open311(s)["description"] == "谢谢李*英阿姨"


def test_saving_the_unchanged_wording_before_publishing_stores_nothing(ctx, clock, keeper):
    s = drop(ctx, clock.now(), text="谢谢李桂英阿姨")
    change(keeper, s, public_wording="谢谢李*英阿姨", internal_note="看过", now=clock.now())
    assert s.public_wording is None
    assert "wording" not in [e.action for e in history(s)]


def test_a_keepers_wording_is_stored_and_in_the_history(ctx, clock, keeper):
    s = drop(ctx, clock.now(), text="谢谢李桂英阿姨，向阳小区的路灯修好了")
    clock.advance(hours=1)
    change(keeper, s, status="resolved", public_reply="已转告", now=clock.now(),
           public_wording="  谢谢志愿者阿姨，向阳小区的路灯修好了 \r\n")
    assert s.public_wording == "谢谢志愿者阿姨，向阳小区的路灯修好了"
    assert open311(s)["description"] == "谢谢志愿者阿姨，向阳小区的路灯修好了"
    [event] = [e for e in history(s) if e.action == "wording"]
    assert (event.keeper_id, event.at, event.before, event.after) == (
        keeper.id, clock.now(), None, "谢谢志愿者阿姨，向阳小区的路灯修好了")
    assert event_label(event) == "Public wording updated"


@pytest.mark.parametrize("typed, message", [
    ("", "Please write what residents will see (or hide the suggestion)."),
    (" \u200b\n ", "Please write what residents will see (or hide the suggestion)."),
    ("字" * 501, "Please keep it to 500 characters or fewer."),
])
def test_an_empty_or_too_long_wording_is_refused_on_its_field(ctx, clock, keeper, typed, message):
    s = drop(ctx, clock.now())
    with pytest.raises(DomainError) as refused:
        change(keeper, s, status="accepted", public_wording=typed, now=clock.now())
    assert (refused.value.field, str(refused.value.message)) == ("public_wording", message)


def test_a_suggestion_from_before_public_wording_is_masked_when_shown(ctx, clock, keeper):
    s = drop(ctx, clock.now(), text="王建国和赵德明修好了椅子")
    s.status, s.public_reply, s.resolved_at = "resolved", "谢谢", clock.now()  # as the old version left it
    db.session.flush()
    assert s.public_wording is None
    assert wordings([s]) == {s.id: "王*国和赵*明修好了椅子"}
    assert open311(s)["description"] == "王*国和赵*明修好了椅子"
