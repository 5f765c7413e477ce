from datetime import timedelta

import pytest

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import issue_badge
from kiosk.people.models import Volunteer
from kiosk.checkin.phone import (
    PHONE_CODE_MAX_TRIES,
    check_station_code,
    issue_phone_code,
    link_phone_with_code,
    remember_token,
    station_code,
    volunteer_for_phone,
)
from tests.conftest import START, in_english


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station), db.session.get(Volunteer, 1)


def test_station_code_is_good_for_about_a_minute(ctx):
    station, _ = ctx
    code = station_code(station, START)
    check_station_code(station, code, START + timedelta(seconds=59))
    with pytest.raises(DomainError, match="expired"):
        check_station_code(station, code, START + timedelta(seconds=61))
    with pytest.raises(DomainError):
        check_station_code(station, code, START - timedelta(minutes=5))  # from the future


@pytest.mark.parametrize("mangle", [lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"), lambda c: "2" + c[1:],
                                    lambda c: "", lambda c: "x" * 5000, lambda c: c.replace("-", "")])
def test_tampered_station_codes_are_refused(ctx, mangle):
    station, _ = ctx
    with pytest.raises(DomainError):
        check_station_code(station, mangle(station_code(station, START)), START)


def test_phone_code_links_once_and_counts_wrong_tries(ctx):
    station, volunteer = ctx
    code = issue_phone_code(volunteer, START)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(DomainError):
        link_phone_with_code(station, "0001", wrong, START)
    assert volunteer.phone_code_tries == 1
    assert link_phone_with_code(station, "1", code, START) is volunteer
    with pytest.raises(DomainError):
        link_phone_with_code(station, "1", code, START)  # used up


def test_phone_code_links_with_number_and_code_typed_in_full_width(ctx):
    # A Chinese keyboard in full-width mode types ０００１ and １２３４５６: the same digits.
    station, volunteer = ctx
    code = issue_phone_code(volunteer, START)
    typed = code.translate({ord("0") + i: 0xFF10 + i for i in range(10)})
    assert link_phone_with_code(station, "０００１", typed, START) is volunteer


def test_phone_code_locks_after_too_many_tries_and_expires(ctx):
    station, volunteer = ctx
    code = issue_phone_code(volunteer, START)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(PHONE_CODE_MAX_TRIES):
        with pytest.raises(DomainError):
            link_phone_with_code(station, "0001", wrong, START)
    with pytest.raises(DomainError, match="Too many"):
        link_phone_with_code(station, "0001", code, START)
    code = issue_phone_code(volunteer, START)
    with pytest.raises(DomainError, match="expired"):
        link_phone_with_code(station, "0001", code, START + timedelta(hours=25))


def test_remembered_phone_forgets_when_the_badge_is_reissued(ctx):
    station, volunteer = ctx
    token = remember_token(volunteer)
    assert volunteer_for_phone(station, token) is volunteer
    assert volunteer_for_phone(station, token + "x") is None
    assert volunteer_for_phone(station, "garbage") is None
    issue_badge(volunteer)
    assert volunteer_for_phone(station, token) is None
