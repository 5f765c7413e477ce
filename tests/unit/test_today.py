from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from kiosk.checkin.attendance import scan_badge
from kiosk.core.choices import update_choice
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import local_today
from kiosk.people.badges import badge_token
from kiosk.people.keepers import (
    MAX_FAILURES,
    MAX_FAILURES_PER_ADDRESS,
    SignInThrottled,
    WrongSignIn,
    authenticate,
    check_new_username,
    keeper_named,
)
from kiosk.people.models import Keeper, Volunteer
from kiosk.today.report import day_report, day_to_show, live_stamp
from kiosk.walkins.models import WalkInService, WalkInVisit
from kiosk.walkins.visits import add_service, record_visit, service_label, station_services
from tests.conftest import START, in_english

TAP = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station)


def visits():
    return db.session.scalar(select(func.count()).select_from(WalkInVisit))


def scan(station, volunteer_id, when):
    return scan_badge(station, badge_token(db.session.get(Volunteer, volunteer_id)), "scanner", when)


def test_a_double_tap_counts_once_and_a_new_tap_counts_again(ctx):
    water = next(s for s in station_services(ctx) if s.code == "water")
    record_visit(ctx, water.id, TAP, START)
    record_visit(ctx, str(water.id), TAP.upper(), START)
    assert visits() == 1
    record_visit(ctx, water.id, TAP[::-1], START)
    assert visits() == 2


# Probe: a double tap on a tablet sends two taps 0.15–0.35 s apart, and the first answer has already
# given the tiles new tap ids, so both were counted.
def test_the_same_tile_again_from_the_same_tablet_a_moment_later_counts_once(ctx):
    water, rest = (next(s for s in station_services(ctx) if s.code == code) for code in ("water", "rest"))
    tablet, other_tablet = ["addr:10.0.0.5", "device:a"], ["addr:10.0.0.5", "device:b"]
    record_visit(ctx, water.id, TAP, START, tablet)
    record_visit(ctx, water.id, "1" * 32, START + timedelta(milliseconds=300), tablet)
    assert visits() == 1
    record_visit(ctx, rest.id, "2" * 32, START + timedelta(milliseconds=400), tablet)  # another tile
    record_visit(ctx, water.id, "3" * 32, START + timedelta(milliseconds=500), other_tablet)  # another tablet
    assert visits() == 3
    record_visit(ctx, water.id, "4" * 32, START + timedelta(seconds=3), tablet)  # the next resident
    assert visits() == 4


@pytest.mark.parametrize("service_id, tap_id", [("999", TAP), ("abc", TAP), ("", TAP), ("1", "short"),
                                                ("1", "g" * 32), ("1", "x" * 10_000), ("1", "")])
def test_bad_taps_are_refused(ctx, service_id, tap_id):
    with pytest.raises(DomainError):
        record_visit(ctx, service_id, tap_id, START)
    assert visits() == 0


def test_hidden_services_take_no_taps_and_renames_show(ctx):
    water = next(s for s in station_services(ctx) if s.code == "water")
    assert service_label(water) == "Drinking water"
    update_choice(water, label=service_label, name="  开水  ")
    assert service_label(water) == "开水"
    water.active = False
    with pytest.raises(DomainError):
        record_visit(ctx, water.id, TAP, START)
    assert water not in station_services(ctx) and water in station_services(ctx, include_hidden=True)
    with pytest.raises(DomainError):
        add_service(ctx, "x" * 41)
    assert add_service(ctx, "雨伞借用").position > max(s.position for s in station_services(ctx) if s.code)


def test_a_service_cannot_take_a_name_another_one_has(ctx):
    # Two tiles both saying 喝水 leave a resident guessing which one to tap.
    water = next(s for s in station_services(ctx) if s.code == "water")
    for taken in ("Drinking water", "drinking WATER", "喝水", "喝水 "):  # a standard service, in any language
        with pytest.raises(DomainError, match="already"):
            add_service(ctx, taken)
    umbrella = add_service(ctx, "雨伞借用")
    with pytest.raises(DomainError, match="already"):
        update_choice(water, label=service_label, name="雨伞借用")
    umbrella.active = False  # hidden, still taken: show it again instead
    with pytest.raises(DomainError, match="already"):
        add_service(ctx, "雨伞借用")
    update_choice(umbrella, label=service_label, name="雨伞借用")  # its own name is fine
    assert service_label(water) == "Drinking water"


def test_a_service_without_a_name_is_asked_for_its_name_not_a_persons(ctx):
    with pytest.raises(DomainError) as refused:
        add_service(ctx, "  ")
    assert refused.value.field == "name"
    with force_locale("zh_Hans"):
        assert str(refused.value.message) == "请填写名称"


def test_day_report_counts_the_station_day(ctx):
    scan(ctx, 1, START)
    scan(ctx, 2, START + timedelta(minutes=10))
    scan(ctx, 1, START + timedelta(hours=3, minutes=30))
    rest = next(s for s in station_services(ctx) if s.code == "rest")
    for i in range(3):
        record_visit(ctx, rest.id, f"{i:032x}", START + timedelta(minutes=i))
    scan(ctx, 3, START - timedelta(days=1))  # yesterday: not today's
    report = day_report(ctx, date(2026, 11, 22), START + timedelta(hours=4))
    assert (report.volunteer_count, report.person_times, report.total_minutes, report.visitor_count) == (2, 2, 210, 3)
    assert [s.volunteer_id for s in report.on_duty] == [2]
    assert dict((s.code, n) for s, n in report.walk_ins)["rest"] == 3
    assert [s.volunteer_id for s in day_report(ctx, date(2026, 11, 22), START, query="0002").matching] == [2]
    assert [s.volunteer_id for s in day_report(ctx, date(2026, 11, 22), START, query="张晓").matching] == [1]
    yesterday = day_report(ctx, date(2026, 11, 21), START)
    assert not yesterday.is_today and [s.volunteer_id for s in yesterday.sessions] == [3]


def test_a_search_narrows_the_list_but_not_the_days_totals(ctx):
    scan(ctx, 1, START)
    scan(ctx, 2, START + timedelta(minutes=10))
    scan(ctx, 1, START + timedelta(hours=3, minutes=30))
    now = START + timedelta(hours=4)
    whole = day_report(ctx, date(2026, 11, 22), now)
    for query in ("0002", "李桂英", "xxxx"):
        found = day_report(ctx, date(2026, 11, 22), now, query=query)
        assert (found.volunteer_count, found.person_times, found.total_minutes, found.visitor_count) == (
            whole.volunteer_count, whole.person_times, whole.total_minutes, whole.visitor_count) == (2, 2, 210, 0)
        assert [s.volunteer_id for s in found.on_duty] == [2]  # who is here now is the day's too
        assert [s.volunteer_id for s in found.matching] == ([] if query == "xxxx" else [2])
    assert whole.matching == whole.sessions and whole.query == ""


def test_live_stamp_changes_with_any_change_and_only_then(ctx):
    day = date(2026, 11, 22)
    empty = live_stamp(ctx, day)
    assert live_stamp(ctx, day) == empty
    scan(ctx, 1, START)
    after_scan = live_stamp(ctx, day)
    assert after_scan != empty
    scan(ctx, 1, START + timedelta(minutes=1))  # inside the window: nothing changed
    assert live_stamp(ctx, day) == after_scan
    record_visit(ctx, station_services(ctx)[0].id, TAP, START)
    after_tap = live_stamp(ctx, day)
    assert after_tap != after_scan
    scan(ctx, 1, START + timedelta(hours=2))
    assert live_stamp(ctx, day) != after_tap


def test_an_evening_patrol_begun_yesterday_is_on_duty_after_midnight_and_its_check_out_shows(ctx):
    evening = START + timedelta(hours=12)  # 21:00 local, after closing
    scan(ctx, 1, evening)
    after_midnight = evening + timedelta(hours=3, minutes=10)
    today = local_today(ctx, after_midnight)
    report = day_report(ctx, today, after_midnight)
    assert [s.volunteer_id for s in report.on_duty] == [1] and report.sessions == []  # not today's figures
    before = live_stamp(ctx, today)
    scan(ctx, 1, after_midnight + timedelta(minutes=20))  # 00:30: the check-out
    assert day_report(ctx, today, after_midnight).on_duty == [] and live_stamp(ctx, today) != before


def test_sign_in_is_throttled_after_repeated_failures(ctx):
    keeper = db.session.scalar(select(Keeper))
    keeper.set_password("right")
    for _ in range(MAX_FAILURES):
        with pytest.raises(WrongSignIn) as wrong:
            authenticate("keeper", "wrong", "10.0.0.5", START)
        assert wrong.value.keep_changes  # the failed try is kept, however the refusal is shown
    with pytest.raises(SignInThrottled, match="Too many"):
        authenticate("keeper", "right", "10.0.0.5", START)  # that name from that address waits
    # Guessing from one address does not lock the real keeper out elsewhere.
    assert authenticate("keeper", "right", "10.0.0.6", START) is keeper
    assert authenticate("keeper", "right", "10.0.0.5", START + timedelta(minutes=16)) is keeper


def test_a_wrong_sign_in_warns_how_many_tries_are_left_the_same_for_a_name_that_is_no_keepers(ctx):
    db.session.scalar(select(Keeper)).set_password("right")

    def wrong_five_times(username, address):
        said = []
        for _ in range(MAX_FAILURES):
            with pytest.raises(WrongSignIn) as wrong:
                authenticate(username, "wrong", address, START)
            said.append(str(wrong.value.message))
        return said

    real, unknown = wrong_five_times("keeper", "10.0.0.5"), wrong_five_times("nobody", "10.0.0.6")
    assert real == unknown  # the warning tells no name apart
    assert real == ["The user name or password is not right.",
                    "The user name or password is not right. 3 more wrong tries and you will have to wait "
                    "15 minutes to try again.",
                    "The user name or password is not right. 2 more wrong tries and you will have to wait "
                    "15 minutes to try again.",
                    "The user name or password is not right. 1 more wrong try and you will have to wait "
                    "15 minutes to try again.",
                    "The user name or password is not right. Now please wait 15 minutes before trying again."]
    with pytest.raises(SignInThrottled, match="Too many"):
        authenticate("keeper", "right", "10.0.0.5", START)


def test_the_warning_counts_the_addresss_own_limit_when_that_comes_first(ctx):
    for n in range(MAX_FAILURES_PER_ADDRESS - 2):
        with pytest.raises(WrongSignIn):
            authenticate(f"name{n % 8}", "wrong", "10.0.0.7", START)
    with pytest.raises(WrongSignIn, match="1 more wrong try "):
        authenticate("someone-new", "wrong", "10.0.0.7", START)  # the first for this name, the address's 19th


def test_a_user_name_signs_in_whatever_its_capitals_and_is_throttled_as_one(ctx):
    keeper = db.session.scalar(select(Keeper))
    keeper.set_password("right")
    assert authenticate(" KEEPER ", "right", "10.0.0.5", START) is keeper
    for typed in ("Keeper", "KEEPER", "keeper", "kEEPER", "KeePer")[:MAX_FAILURES]:
        with pytest.raises(WrongSignIn):
            authenticate(typed, "wrong", "10.0.0.5", START)
    with pytest.raises(SignInThrottled):
        authenticate("keeper", "right", "10.0.0.5", START)  # five spellings, one keeper's failures


def test_a_user_name_typed_in_full_width_letters_signs_in_and_is_throttled_as_the_same_name(ctx):
    """A Chinese keyboard left in 全角 mode types ｋｅｅｐｅｒ: that is the keeper's name (it was "wrong")."""
    keeper = db.session.scalar(select(Keeper))
    keeper.set_password("right")
    assert authenticate("ｋｅｅｐｅｒ", "right", "10.0.0.5", START) is keeper
    assert authenticate("ＫＥＥＰＥＲ", "right", "10.0.0.5", START) is keeper
    for typed in ("ｋｅｅｐｅｒ", "keeper", "ＫＥＥＰＥＲ", "Keeper", "ｋeeper")[:MAX_FAILURES]:
        with pytest.raises(WrongSignIn):
            authenticate(typed, "wrong", "10.0.0.5", START)
    with pytest.raises(SignInThrottled):
        authenticate("keeper", "right", "10.0.0.5", START)


def test_two_accounts_differing_only_in_capitals_each_sign_in_as_typed_and_never_at_random(ctx):
    # Made before user names ignored capitals; the command now refuses the second.
    for name in ("Lina", "lina"):
        db.session.add(Keeper(username=name, display_name=name, password_hash="-", station=ctx, role="keeper",
                              active=True))
    db.session.flush()
    assert keeper_named("Lina").username == "Lina" and keeper_named("lina").username == "lina"
    assert keeper_named("LINA") is None
    assert keeper_named("KEEPER").username == "keeper" and keeper_named("nobody") is None


@pytest.mark.parametrize("typed", ["keeper", "Keeper", "KEEPER", "ｋｅｅｐｅｒ", "ＫＥＥＰＥＲ", "Ｋeeper"],
                         ids=["same", "capital", "capitals", "full-width", "full-width capitals", "mixed"])
def test_a_new_user_name_that_is_an_existing_one_in_other_letters_is_refused(ctx, typed):
    # Sign-in ignores capitals, and a Chinese keyboard in full-width (全角) mode types ｋｅｅｐｅｒ:
    # beside "keeper" either would be a second account one keeper cannot tell from their own.
    with pytest.raises(DomainError, match="A keeper named “keeper” already exists") as refused:
        check_new_username(typed)
    assert refused.value.field == "username"


@pytest.mark.parametrize("typed", [" keeper", "keeper ", "\u3000keeper"], ids=["space", "trailing", "full-width space"])
def test_a_new_user_name_with_spaces_around_an_existing_one_is_refused_as_that_name(ctx, typed):
    with pytest.raises(DomainError, match="A keeper named “keeper” already exists"):
        check_new_username(typed)


@pytest.mark.parametrize("typed, says", [("", "no spaces"), ("  ", "no spaces"), ("wang xiao", "no spaces"),
                                         (" wang", "no spaces"), ("k" * 41, "1 to 40")])
def test_a_new_user_name_a_keeper_could_not_type_is_refused(ctx, typed, says):
    with pytest.raises(DomainError, match=says):
        check_new_username(typed)


def test_a_new_user_name_unlike_any_other_is_fine(ctx):
    for typed in ("wang", "Wang2", "王站长", "keeper-2"):
        assert check_new_username(typed) == typed


def test_an_address_that_guesses_many_names_waits(ctx):
    for n in range(MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(WrongSignIn):
            authenticate(f"name{n % 4}", "wrong", "10.0.0.7", START)
    with pytest.raises(SignInThrottled):
        authenticate("someone-else", "whatever", "10.0.0.7", START)


def test_services_belong_to_their_station(ctx):
    other = Station(slug="b", name="乙站")
    db.session.add(other)
    db.session.flush()
    service = WalkInService(station_id=other.id, code="water", position=0, active=True)
    db.session.add(service)
    db.session.flush()
    with pytest.raises(DomainError):
        record_visit(ctx, service.id, TAP, START)


@pytest.mark.parametrize("raw, shown", [("", date(2026, 11, 22)), ("2026-11-22", date(2026, 11, 22)),
                                        ("2000-01-01", date(2000, 1, 1)), ("2026-11-21", date(2026, 11, 21))])
def test_day_to_show_is_the_day_asked_for_or_today(ctx, raw, shown):
    assert day_to_show(raw, date(2026, 11, 22)) == shown


@pytest.mark.parametrize("raw, message", [("2026-11-23", "has not come yet"), ("9999-12-31", "has not come yet"),
                                          ("2026-02-30", "cannot be shown"), ("1999-12-31", "cannot be shown"),
                                          ("abc", "cannot be shown"), ("9" * 1000, "cannot be shown")])
def test_a_day_that_cannot_be_shown_is_refused_with_a_reason(ctx, raw, message):
    with pytest.raises(DomainError, match=message) as err:
        day_to_show(raw, date(2026, 11, 22))
    assert err.value.field == "day"
