"""The station's settings (kiosk/settings/station.py): what each may be, all or none, one audit
event per save; and times as keepers type them (core/forms.py clock_time)."""

from dataclasses import replace
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from kiosk.checkin.attendance import record_attendance
from kiosk.checkin.hours import confirm_day
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import clock_time
from kiosk.core.stations import add_station, local_today
from kiosk.people.models import AuditEvent, Volunteer
from kiosk.points.ledger import balance
from kiosk.settings.station import change_settings, settings_of
from tests.conftest import START
from tests.unit.test_recognition import ctx, keeper  # noqa: F401  (ctx is a fixture)


@pytest.mark.parametrize("typed, read", [
    ("8:00", time(8)), ("08:00", time(8)), ("８：００", time(8)), (" 8 : 00 ", time(8)), ("8", time(8)),
    ("0800", time(8)), ("800", time(8)), ("20.30", time(20, 30)), ("２０．３０", time(20, 30)), ("0:00", time(0)),
    ("23:59", time(23, 59)),
])
def test_a_time_is_read_as_keepers_type_it(typed, read):
    assert clock_time(typed) == read


@pytest.mark.parametrize("typed", ["", " ", "24:00", "25:00", "8:60", "8:0", "8:000", "八点", "8点", "abc", "12345",
                                   "-1:00", "²:00", "８：６０", "8:00 pm"])
def test_what_is_not_a_time_of_day_is_not_read(typed):
    assert clock_time(typed) is None


def events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "station.settings")
                                   .order_by(AuditEvent.id)))


def test_a_save_changes_what_differs_and_records_it_once(ctx):
    wanted = replace(settings_of(ctx), name="  幸福里暖心驿站 ", closes_at=time(18, 0), hours_rounding_minutes=15,
                     person_in_charge=" 王  主任 ", contact="０１０－６５１２３４５６")
    changed = change_settings(keeper(), ctx, wanted, START)
    assert set(changed) == {"closes_at", "hours_rounding_minutes", "person_in_charge", "contact"}
    assert (ctx.name, ctx.closes_at, ctx.hours_rounding_minutes, ctx.person_in_charge, ctx.contact) == (
        "幸福里暖心驿站", time(18, 0), 15, "王 主任", "010-65123456")
    [event] = events()
    assert event.keeper_id == keeper().id and event.station_id == ctx.id
    assert event.before == {"closes_at": "20:00", "hours_rounding_minutes": 30, "person_in_charge": "", "contact": ""}
    assert event.after == {"closes_at": "18:00", "hours_rounding_minutes": 15, "person_in_charge": "王 主任",
                           "contact": "010-65123456"}
    # The same again: nothing to change, nothing recorded.
    assert change_settings(keeper(), ctx, settings_of(ctx), START) == {} and len(events()) == 1


@pytest.mark.parametrize("typed, kept", [
    ("幸福里\n暖心驿站", "幸福里暖心驿站"), ("幸福里\r\n 暖心驿站", "幸福里暖心驿站"), ("幸福里，\n暖心驿站", "幸福里，暖心驿站"),
    ("Happy\nValley Station", "Happy Valley Station"), ("幸福里\nHappy Valley", "幸福里 Happy Valley"),
    ("幸福里 暖心驿站", "幸福里 暖心驿站"),  # a space typed on one line is the keeper's own
])
def test_a_name_pasted_on_two_lines_is_joined_as_it_is_written(ctx, typed, kept):
    """Probe: 幸福里⏎暖心驿站 was saved as 幸福里 暖心驿站, a space Chinese never writes inside a name."""
    change_settings(keeper(), ctx, replace(settings_of(ctx), name=typed, name_hant=typed,
                                           person_in_charge=typed), START)
    assert (ctx.name, ctx.name_hant, ctx.person_in_charge) == (kept, kept, kept)


@pytest.mark.parametrize("change, field, message", [
    ({"closes_at": time(7, 0)}, "closes_at", "closing time must come after the opening time"),  # the same minute
    ({"opens_at": time(21, 0)}, "closes_at", "closing time must come after the opening time"),
    ({"hours_rounding_minutes": 7}, "hours_rounding_minutes", "Please choose from the list."),
    ({"hours_rounding_minutes": 0}, "hours_rounding_minutes", "Please choose from the list."),
    ({"duplicate_window_minutes": 0}, "duplicate_window_minutes", "from 1 to 60"),
    ({"duplicate_window_minutes": 61}, "duplicate_window_minutes", "from 1 to 60"),
    ({"name": "   "}, "name", "Please enter the station's name"),
    ({"name": "站" * 81}, "name", "at most 80 characters"),
    ({"name": "南苑暖心驿站"}, "name", "A station with this name exists already."),
    ({"person_in_charge": "王" * 41}, "person_in_charge", "keep this to 40 characters or fewer"),
    ({"contact": "1" * 41}, "contact", "keep this to 40 characters or fewer"),
])
def test_a_setting_out_of_bounds_is_refused_and_nothing_else_changes(ctx, change, field, message):
    add_station("nanyuan", "南苑暖心驿站")
    before = settings_of(ctx)
    # Every other field changed too: none of them is kept when one is refused.
    others = {"name": "幸福里新站", "opens_at": time(7, 0), "closes_at": time(19, 0), "hours_rounding_minutes": 60,
              "duplicate_window_minutes": 10, "person_in_charge": "李站长", "contact": "13900001111"}
    wanted = replace(before, **(others | change))
    with pytest.raises(DomainError, match=message) as refused:
        change_settings(keeper(), ctx, wanted, START)
    assert refused.value.field == field
    assert settings_of(ctx) == before and events() == []


def test_every_setting_out_of_bounds_is_named_in_one_refusal(ctx):
    """Probe: one refusal said only the first field at fault; the next send said the next."""
    wanted = replace(settings_of(ctx), name=" ", opens_at=time(18, 0), closes_at=time(7, 0), hours_rounding_minutes=7,
                     duplicate_window_minutes=99, contact="1" * 41)
    with pytest.raises(DomainError) as refused:
        change_settings(keeper(), ctx, wanted, START)
    assert set(refused.value.by_field()) == {"name", "closes_at", "hours_rounding_minutes", "duplicate_window_minutes",
                                             "contact"}


def test_the_station_keeps_its_own_name_and_an_odd_rounding_step_it_already_has(ctx):
    ctx.hours_rounding_minutes = 20  # set by hand once: re-saving the page must not be refused for it
    db.session.flush()
    change_settings(keeper(), ctx, replace(settings_of(ctx), closes_at=time(21, 0)), START)
    assert (ctx.name, ctx.hours_rounding_minutes, ctx.closes_at) == ("幸福里暖心驿站", 20, time(21, 0))


# --- What the page says a change affects, held to what the code does ----------------------------


def a_shift(ctx, clock_start, hours):
    volunteer = db.session.get(Volunteer, 1)
    record_attendance(ctx, volunteer, "scanner", clock_start)
    record_attendance(ctx, volunteer, "scanner", clock_start + timedelta(hours=hours, minutes=15))


def test_a_new_rounding_step_keeps_points_given_until_the_volunteers_hours_next_change(ctx):
    """Points already given stay; the next confirmation works all of the volunteer's confirmed
    sessions out again at the new step (what the settings page says beside the step)."""
    a_shift(ctx, START, 3)  # 3 h 15 min: 3.5 h at the half hour
    confirm_day(keeper(), ctx, local_today(ctx, START), START + timedelta(hours=4))
    assert balance(1) == 35
    change_settings(keeper(), ctx, replace(settings_of(ctx), hours_rounding_minutes=60), START + timedelta(hours=5))
    assert balance(1) == 35  # points already given stay
    later = START + timedelta(days=1)
    a_shift(ctx, later, 1)  # 1 h 15 min: 1 h at the hour
    confirm_day(keeper(), ctx, local_today(ctx, later), later + timedelta(hours=2))
    # 10 for the new session, and the first one's 3.5 h now count as 3 h: 35 - 5 + 10.
    assert balance(1) == 40


def test_no_points_line_is_written_by_the_change_itself(ctx):
    from kiosk.points.models import PointsLine

    change_settings(keeper(), ctx, replace(settings_of(ctx), hours_rounding_minutes=60), START)
    assert db.session.scalar(select(func.count()).select_from(PointsLine)) == 0
