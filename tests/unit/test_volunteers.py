import pytest

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.text import clean_mobile, clean_name, mask_name, without_country_code
from kiosk.people.models import Volunteer
from kiosk.people.volunteers import check_birth_year, register_volunteer
from tests.conftest import in_english


@pytest.mark.parametrize(
    "name, masked",
    [("张晓华", "张*华"), ("张华", "张*"), ("欧阳明月", "欧*月"), ("李", "李*"), ("Li Ming", "L*g")],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "raw, clean",
    [("13800138000", "13800138000"), ("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
     ("008613800138000", "13800138000"), ("１３８００１３８０００", "13800138000"),
     # Probe: Excel and some phones' contacts keep the country code without its +.
     ("8613800138000", "13800138000"), ("86 138 0013 8000", "13800138000"), ("86-138-0013-8000", "13800138000")],
)
def test_clean_mobile_accepts_what_people_type(raw, clean):
    assert clean_mobile(raw) == clean


@pytest.mark.parametrize("raw", ["", "12345", "23800138000", "1380013800", "138001380001", "abc", "1380013800x",
                                 "86138001380", "8612800138000", "86138001380001", "8686 138 0013 8000"])
def test_clean_mobile_refuses_bad_numbers(raw):
    with pytest.raises(DomainError) as err:
        clean_mobile(raw)
    assert err.value.field == "mobile"


@pytest.mark.parametrize("typed, left", [
    ("8613800138000", "13800138000"), ("+86 138 0013 8000", "138 0013 8000"), ("86 138-0013-8000", "138-0013-8000"),
    # A bare 86 goes only before a whole mobile: a volunteer number, four digits or a part of a
    # number searched for keep it.
    ("8613", "8613"), ("861380013", "861380013"), ("86138001380001", "86138001380001"), ("8601", "8601"),
])
def test_the_country_code_goes_from_a_mobile_however_it_is_written(typed, left):
    # One helper for every place a mobile is read (forms, import, search, the forgotten badge)
    assert without_country_code(typed) == left


@pytest.mark.parametrize("raw", ["", "   ", "张" * 41, "张\x00华", "a\u202eb"])
def test_clean_name_refuses_empty_long_and_control_characters(raw):
    with pytest.raises(DomainError):
        clean_name(raw)


@pytest.mark.parametrize("raw", ["-1", "2026-02-30", "99999", "<>", "😀", "·"])
def test_a_persons_name_without_a_letter_or_character_is_refused(app, raw):
    """Probe: "-1" saved as a volunteer's name stood on the badge and the kiosk."""
    with in_english(app), pytest.raises(DomainError, match="at least one letter") as refused:
        clean_name(raw)
    assert refused.value.field == "name"
    assert clean_name(raw, person=False) == raw  # a service or a gift may be called "100"


@pytest.mark.parametrize(
    "raw, clean",
    [("张 伟", "张伟"), (" 欧阳　明月 ", "欧阳明月"), ("張 曉 華", "張曉華"), ("阿卜杜 · 买买提", "阿卜杜·买买提"),
     ("O'Brien  Smith", "O'Brien Smith"), ("Anna Li", "Anna Li"), ("李 Anna", "李 Anna"), ("张 3", "张 3")],
)
def test_clean_name_drops_spaces_between_chinese_characters_only(raw, clean):
    assert clean_name(raw) == clean


def test_a_chinese_name_typed_with_a_space_is_masked_as_the_name_it_is():
    assert mask_name(clean_name("张 伟")) == "张*", "not 张*伟"


def test_the_name_of_a_thing_keeps_its_spaces():
    assert clean_name("爱心 雨伞", person=False) == "爱心 雨伞"


@pytest.mark.parametrize("year", [1900, 1958, 2020])
def test_a_birth_year_from_1900_to_six_years_ago_is_kept(year):
    assert check_birth_year(year, 2026) == year


@pytest.mark.parametrize("year", [1899, 2021, 2025, 2026, 2027])
def test_a_birth_year_of_this_year_or_a_child_under_six_is_refused_beside_the_field(app, year):
    """A volunteer born this year is a slip of the finger (2026 for 1926, or this year's date)."""
    with app.test_request_context(), pytest.raises(DomainError) as refused:
        check_birth_year(year, 2026)
    assert refused.value.field == "birth_year"
    assert "1900" in str(refused.value.message) and "2020" in str(refused.value.message)


def test_register_numbers_per_station_and_refuses_a_second_same_mobile(app, station):
    with app.app_context():
        st = db.session.get(Station, station)
        v = register_volunteer(st, name="  新 志愿者 ", mobile="139 0000 0001")
        assert (v.number, v.name, v.mobile, v.mobile_tail) == ("0021", "新志愿者", "13900000001", "0001")
        with pytest.raises(DomainError) as err:
            register_volunteer(st, name="别人", mobile="13900000001")
        assert err.value.field == "mobile"
        db.session.rollback()
        assert db.session.query(Volunteer).count() == 20


@pytest.mark.parametrize("typed", ["１３９ ００００ ０００１", "139 0000 0001", "139-0000-0001", "０００１", "ＡＬＩＣＥ", " alice ",
                                   "+86 139 0000 0001", "+8613900000001", "0086 139-0000-0001", "8613900000001",
                                   "86 139 0000 0001"])
def test_a_keeper_finds_a_volunteer_however_the_keyboard_types_the_search(app, station, typed):
    """A Chinese keyboard in full-width mode types １３９; people type mobiles in groups."""
    from kiosk.people.volunteers import search_volunteers

    with app.app_context():
        st = db.session.get(Station, station)
        alice = register_volunteer(st, name="Alice", mobile="139 0000 0001")
        assert alice in search_volunteers(st, typed)


def test_namesakes_are_the_stations_others_under_the_same_name_however_written(app, station):
    from datetime import UTC, datetime

    from kiosk.people.volunteers import namesakes

    with app.app_context():
        here = db.session.get(Station, station)
        other = Station(slug="other", name="另一个驿站")
        db.session.add(other)
        db.session.flush()
        zhang = db.session.scalar(db.select(Volunteer).where(Volunteer.number == "0001", Volunteer.station_id == here.id))
        again = register_volunteer(here, name="張曉華", mobile="13900000001")
        register_volunteer(other, name="张晓华", mobile="13900000002")  # another station's: not a namesake here
        erased = register_volunteer(here, name="张晓华", mobile="13900000003")
        erased.erased_at = datetime(2026, 11, 1, tzinfo=UTC)
        latin = register_volunteer(here, name="Anna Li", mobile="13900000004")
        assert namesakes(again) == [zhang]
        assert namesakes(zhang) == [again]
        assert namesakes(register_volunteer(here, name="anna  li", mobile="13900000005")) == [latin]
        assert namesakes(register_volunteer(here, name="新名字", mobile="13900000006")) == []


def test_skills_and_the_national_code_keep_no_hidden_characters(app, station):
    """A right-to-left override shown on the volunteer's page reverses what follows it; a code with
    a zero-width space is not the code the national system has."""
    from kiosk.people.volunteers import split_list, update_volunteer

    assert split_list("\u202e理发、\u200b家政\x07") == ["理发", "家政"]
    with app.app_context():
        st = db.session.get(Station, station)
        v = register_volunteer(st, name="新人", mobile="13900000001", national_code="\u202eA12\u200b3 ")
        assert v.national_code == "A12 3"
        update_volunteer(v, name="新人", mobile="13900000001", birth_year=None, teams=[], skills=[],
                         national_code="\u200b", id_type=None, id_number=None, hide_from_honor_roll=False)
        assert v.national_code is None


def test_a_station_name_keeps_no_hidden_characters(app, station):
    from kiosk.core.stations import station_name

    with app.app_context():
        assert station_name("\u202e南苑\x00驿站 ") == "南苑 驿站"
        with pytest.raises(DomainError):
            station_name("\u202e\u200b")
