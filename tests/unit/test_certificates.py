"""Service certificates: the figures (checked against hours worked out here from the raw
sessions), the period, numbering per station and year, two keepers issuing at once, revoking."""

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from kiosk.activities.models import Activity
from kiosk.certificates.models import Certificate
from kiosk.certificates.register import (AlreadyCertified, by_token, compact_days, half_hours, issue_certificate,
                                         next_serial, printed_rows, revoke_certificate, service_figures,
                                         set_station_details)
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station
from kiosk.people.models import AuditEvent, Keeper, Volunteer
from kiosk.people.privacy import erase_volunteer
from tests.conftest import START, at_once, in_english

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV_1, NOV_20 = date(2026, 11, 1), date(2026, 11, 20)


@pytest.fixture
def ctx(app, station):
    """The demo station with the person in charge and contact every certificate prints."""
    with in_english(app):
        yield with_details(db.session.get(Station, station))


def with_details(station: Station) -> Station:
    station.person_in_charge, station.contact = "王主任", "010-65123456"
    db.session.flush()
    return station


def keeper() -> Keeper:
    return db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))


def volunteer(number: int = 1) -> Volunteer:
    return db.session.get(Volunteer, number)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment in Shanghai in November 2026, as the aware UTC instant it is stored as."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def session(station, who, start, minutes, confirmed=True, activity=None) -> ServiceSession:
    s = ServiceSession(station_id=station.id, volunteer_id=who.id, checked_in_at=start,
                       checked_out_at=start + timedelta(minutes=minutes) if minutes is not None else None,
                       check_in_method="scanner", check_out_method="scanner" if minutes is not None else None,
                       confirmed_at=START if confirmed else None, activity_id=activity.id if activity else None)
    db.session.add(s)
    db.session.flush()
    return s


def activity(station, name) -> Activity:
    a = Activity(station_id=station.id, name=name, starts_at=local(1, 8), ends_at=local(30, 20), created_at=START)
    db.session.add(a)
    db.session.flush()
    return a


def hours_by_hand(raw_minutes: list[int], step: int = 30) -> Decimal:
    """Each session to the station's step (half up), their sum to the half hour (half up), in hours."""
    stepped = sum(int((Decimal(m) / step).quantize(Decimal(1), ROUND_HALF_UP)) * step for m in raw_minutes)
    return (Decimal(stepped) / 30).quantize(Decimal(1), ROUND_HALF_UP) / 2


# --- The figures ---------------------------------------------------------------------------


def test_figures_count_confirmed_finished_sessions_in_the_days_per_activity(ctx):
    me, other = volunteer(1), volunteer(2)
    lesson, haircut = activity(ctx, "爱心课堂"), activity(ctx, "学雷锋理发")
    nanyuan = add_station("nanyuan", "南苑暖心驿站")
    counted = {  # activity -> (check-in, raw minutes) of the sessions that count
        "学雷锋理发": [(local(1, 0, 5), 75)],  # five past midnight on the first day
        None: [(local(2, 9), 200), (local(2, 14), 45)],  # the everyday duty, twice on one day
        "爱心课堂": [(local(5, 9), 95), (local(20, 23, 30), 130)],  # the last session begins late on the last day
    }
    for name, sessions in counted.items():
        for start, minutes in sessions:
            session(ctx, me, start, minutes, activity={"爱心课堂": lesson, "学雷锋理发": haircut}.get(name))
    session(ctx, me, local(31, 23, 50, month=10), 120)  # the evening before the first day
    session(ctx, me, local(21, 0, 10), 120)  # just after the last day
    session(ctx, me, local(10, 9), 120, confirmed=False, activity=lesson)  # nobody confirmed it
    session(ctx, me, local(12, 9), None, confirmed=False)  # still on duty
    session(ctx, other, local(10, 9), 120)  # someone else's
    session(nanyuan, me, local(10, 9), 120)  # recorded by another station: theirs to certify

    figures = service_figures(ctx, me.id, NOV_1, NOV_20)

    expected = {name: hours_by_hand([m for _start, m in sessions]) for name, sessions in counted.items()}
    assert expected == {"学雷锋理发": Decimal("1.5"), None: Decimal("4.5"), "爱心课堂": Decimal("3.5")}
    assert [(row["activity"], Decimal(row["minutes"]) / 60) for row in figures["rows"]] == list(expected.items())
    assert [row["days"] for row in figures["rows"]] == [["2026-11-01"], ["2026-11-02"], ["2026-11-05", "2026-11-20"]]
    assert Decimal(figures["minutes"]) / 60 == sum(expected.values()) == Decimal("9.5")


@pytest.mark.parametrize("step", [1, 15, 30, 60])
def test_hours_follow_the_stations_rounding_then_the_half_hour(ctx, step):
    ctx.hours_rounding_minutes = step
    raw = [100, 100, 44]
    for day, minutes in zip((3, 4, 5), raw, strict=True):
        session(ctx, volunteer(1), local(day, 9), minutes)
    figures = service_figures(ctx, 1, NOV_1, NOV_20)
    assert Decimal(figures["minutes"]) / 60 == hours_by_hand(raw, step)
    assert figures["minutes"] % 30 == 0


def test_the_everyday_duty_is_named_in_the_readers_language_and_days_are_written_compactly(ctx):
    session(ctx, volunteer(1), local(3, 9), 60)
    session(ctx, volunteer(1), local(9, 9), 60)
    certificate = issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START)
    assert printed_rows(certificate) == [{"activity": "Station duty", "days": "2026-11-03, 09", "minutes": 120}]
    days = ["2026-11-03", "2026-11-05", "2026-12-01", "2027-01-02"]
    assert compact_days(days) == "2026-11-03, 05; 2026-12-01; 2027-01-02"


@pytest.mark.parametrize("minutes, certified", [(0, 0), (14, 0), (15, 30), (30, 30), (44, 30), (45, 60), (200, 210)])
def test_half_hours_round_half_up(minutes, certified):
    assert half_hours(minutes) == certified


# --- Issuing -------------------------------------------------------------------------------


def test_a_certificate_records_its_figures_serial_token_and_an_audit_event(ctx):
    session(ctx, volunteer(1), local(3, 9), 180)
    certificate = issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START)
    assert (certificate.serial, certificate.minutes, certificate.issued_by_id) == ("2026-0001", 180, keeper().id)
    assert (certificate.period_start, certificate.period_end, certificate.revoked_at) == (NOV_1, NOV_20, None)
    assert 16 <= len(certificate.verify_token) <= 32 and by_token(certificate.verify_token) is certificate
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issued"))
    assert (event.volunteer_id, event.after["serial"]) == (1, "2026-0001")


@pytest.mark.parametrize("start, end, words", [
    (date(2026, 11, 20), date(2026, 11, 1), "comes after"),
    (date(2026, 11, 1), date(2026, 11, 23), "future"),  # the station's today is 22 November
    (date(2021, 11, 20), date(2026, 11, 20), "at most 5 years"),
    (date(1999, 12, 31), date(2000, 1, 5), "Please enter a date"),
])
def test_a_period_that_makes_no_sense_is_refused(ctx, start, end, words):
    session(ctx, volunteer(1), local(3, 9), 180)
    with pytest.raises(DomainError, match=words):
        issue_certificate(keeper(), ctx, volunteer(1), start, end, START)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_five_years_to_the_day_and_today_are_allowed(ctx):
    session(ctx, volunteer(1), local(22, 8), 60)  # today, already over
    certificate = issue_certificate(keeper(), ctx, volunteer(1), date(2021, 11, 23), date(2026, 11, 22), START)
    assert certificate.minutes == 60


@pytest.mark.parametrize("person_in_charge, contact", [("", "010-65123456"), ("王主任", ""), ("", "")])
def test_no_certificate_while_the_person_in_charge_or_contact_is_blank(ctx, person_in_charge, contact):
    """Printed as "—" they could never be filled in afterwards: only revoking would help."""
    session(ctx, volunteer(1), local(3, 9), 180)
    ctx.person_in_charge, ctx.contact = person_in_charge, contact
    with pytest.raises(DomainError, match="person in charge and contact") as refused:
        issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START)
    assert refused.value.field == "station_details"
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "certificate.issued")) == 0


def test_the_same_days_again_point_to_the_valid_certificate_until_it_is_revoked(ctx):
    session(ctx, volunteer(1), local(3, 9), 180)
    first = issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START)
    with pytest.raises(AlreadyCertified, match="Certificate 2026-0001 already covers exactly these days") as refused:
        issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START)
    assert refused.value.certificate is first
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    # Other days, or another volunteer's same days, are another certificate.
    session(ctx, volunteer(2), local(3, 9), 60)
    assert issue_certificate(keeper(), ctx, volunteer(1), NOV_1, date(2026, 11, 21), START).serial == "2026-0002"
    assert issue_certificate(keeper(), ctx, volunteer(2), NOV_1, NOV_20, START).serial == "2026-0003"
    # Revoked (its hours were out of date), the same days may be certified anew.
    revoke_certificate(keeper(), ctx, first, "时长有更正", START)
    assert issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START).serial == "2026-0004"


def test_hours_not_confirmed_yet_are_confirmed_under_to_review_first(ctx):
    session(ctx, volunteer(1), local(3, 9), 180, confirmed=False)
    with pytest.raises(DomainError, match="not confirmed yet. Confirm them under To review") as refused:
        issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START)
    assert refused.value.review
    session(ctx, volunteer(1), local(4, 9), None, confirmed=False)  # still on duty: To review shows that day too
    with pytest.raises(DomainError, match="not confirmed yet"):
        issue_certificate(keeper(), ctx, volunteer(1), date(2026, 11, 4), date(2026, 11, 4), START)


def test_days_without_service_say_so_and_name_the_nearest_day_with_confirmed_hours(ctx):
    # 22:00 on 7 November to 09:00 on the 8th, confirmed: 11 hours, counted on the 7th, the day it began.
    session(ctx, volunteer(1), local(7, 22), 11 * 60)
    session(ctx, volunteer(1), local(1, 9), 60)
    session(ctx, volunteer(2), local(8, 9), 60, confirmed=False)  # another volunteer's, not theirs
    with pytest.raises(DomainError) as refused:
        issue_certificate(keeper(), ctx, volunteer(1), date(2026, 11, 8), date(2026, 11, 8), START)
    assert str(refused.value.message) == ("No hours of service in these days. The nearest day with confirmed hours "
                                          "is November 7, 2026.")
    assert not getattr(refused.value, "review", False)
    with pytest.raises(DomainError) as refused:  # nearer after than before
        issue_certificate(keeper(), ctx, volunteer(1), date(2026, 10, 20), date(2026, 10, 30), START)
    assert str(refused.value.message).endswith("is November 1, 2026.")
    with pytest.raises(DomainError) as refused:  # none anywhere
        issue_certificate(keeper(), ctx, volunteer(3), NOV_1, NOV_20, START)
    assert str(refused.value.message) == "No hours of service in these days."


def test_an_erased_volunteer_gets_no_certificate(ctx):
    session(ctx, volunteer(1), local(3, 9), 180)
    erase_volunteer(keeper(), ctx, volunteer(1), volunteer(1).number, START)
    with pytest.raises(DomainError, match="erased"):
        issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START)


def test_serials_run_per_station_and_year_of_issue(ctx):
    nanyuan = with_details(add_station("nanyuan", "南苑暖心驿站"))
    theirs = Volunteer(station_id=nanyuan.id, number="0001", name="林小红", mobile="13900000001", mobile_tail="0001",
                       created_at=START)
    db.session.add(theirs)
    db.session.flush()
    for who in (volunteer(1), volunteer(2), volunteer(3)):
        session(ctx, who, local(3, 9), 60)
    session(nanyuan, theirs, local(3, 9), 60)
    serials = [issue_certificate(keeper(), ctx, volunteer(n), NOV_1, NOV_20, START).serial for n in (1, 2)]
    assert serials == ["2026-0001", "2026-0002"]
    assert issue_certificate(keeper(), nanyuan, theirs, NOV_1, NOV_20, START).serial == "2026-0001"
    # Five minutes into 1 January in Shanghai is still 2026 in UTC: the station's year counts.
    new_year = datetime(2027, 1, 1, 0, 5, tzinfo=SHANGHAI).astimezone(UTC)
    assert issue_certificate(keeper(), ctx, volunteer(3), NOV_1, NOV_20, new_year).serial == "2027-0001"
    assert issue_certificate(keeper(), ctx, volunteer(1), NOV_1, date(2026, 11, 21), new_year).serial == "2027-0002"
    # The next number follows the highest one, also past 9999.
    db.session.add(Certificate(station_id=ctx.id, serial="2027-9999", volunteer_id=1, period_start=NOV_1,
                               period_end=NOV_20, minutes=60, figures={}, verify_token="x" * 22, issued_at=new_year))
    db.session.flush()
    assert next_serial(ctx, 2027) == "2027-10000"
    assert next_serial(ctx, 2026) == "2026-0003"


def test_two_keepers_issuing_at_once_get_two_serials(app, station):
    with app.app_context():
        st = with_details(db.session.get(Station, station))
        for number in (1, 2):
            session(st, volunteer(number), local(3, 9), 120)
        db.session.commit()
    results = at_once(app, 2, lambda i: issue_certificate(keeper(), db.session.get(Station, station),
                                                           volunteer(i + 1), NOV_1, NOV_20, START))
    assert results == ["ok", "ok"], results
    with app.app_context():
        serials = sorted(db.session.scalars(select(Certificate.serial)))
        assert serials == ["2026-0001", "2026-0002"]


# --- Revoking and the station's details --------------------------------------------------------


def test_a_certificate_is_revoked_once_with_a_reason(ctx):
    session(ctx, volunteer(1), local(3, 9), 180)
    certificate = issue_certificate(keeper(), ctx, volunteer(1), NOV_1, NOV_20, START)
    with pytest.raises(DomainError, match="say why"):
        revoke_certificate(keeper(), ctx, certificate, "  \u200b ", START)
    with pytest.raises(DomainError, match="keep this to 200 characters or fewer"):
        revoke_certificate(keeper(), ctx, certificate, "错" * 201, START)
    assert certificate.revoked_at is None
    revoke_certificate(keeper(), ctx, certificate, "时长更正后重开", START + timedelta(hours=1))
    assert (certificate.revoked_at, certificate.revoke_reason) == (START + timedelta(hours=1), "时长更正后重开")
    assert certificate.revoked_by_id == keeper().id
    with pytest.raises(DomainError, match="revoked already"):
        revoke_certificate(keeper(), ctx, certificate, "again", START + timedelta(hours=2))
    assert certificate.revoked_at == START + timedelta(hours=1)
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.volunteer_id == 1)
                                      .order_by(AuditEvent.id)))
    assert actions == ["certificate.issued", "certificate.revoked"]


def test_station_details_are_checked_and_audited(ctx):
    with pytest.raises(DomainError, match="keep this to 40 characters or fewer"):
        set_station_details(keeper(), ctx, "王" * 41, "", START)
    set_station_details(keeper(), ctx, "  王  主任 ", "010-6512 3456", START)
    assert (ctx.person_in_charge, ctx.contact) == ("王 主任", "010-6512 3456")
    set_station_details(keeper(), ctx, "王 主任", "010-6512 3456", START)  # unchanged: nothing to record
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "station.details")))
    assert len(events) == 1 and events[0].after == {"person_in_charge": "王 主任", "contact": "010-6512 3456"}


def test_a_contact_typed_in_full_width_is_kept_in_half_width(ctx):
    set_station_details(keeper(), ctx, "王主任", "０１０－１２３４５６７８（总机）", START)
    assert ctx.contact == "010-12345678(总机)"


def test_an_unknown_or_malformed_token_finds_nothing(ctx):
    assert by_token("") is None and by_token("x" * 22) is None and by_token("../../etc/passwd") is None
