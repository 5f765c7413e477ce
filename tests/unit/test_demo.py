from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.models import Keeper, Team, Volunteer
from tests.conftest import START


def test_seed_demo_loads_once_and_prints_a_working_password(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    password = first.output.split("password:")[1].split()[0]
    # As typed in the kiosk's folder: a bare `flask` is not the kiosk's (README, line 10).
    assert "Reset it with: .venv/bin/flask --app kiosk keeper-password keeper" in first.output
    assert "are invented" in first.output and "README, \"A real station\"" in first.output  # and how a real station begins
    second = runner.invoke(args=["seed-demo"])
    assert "not loaded" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 20
        assert set(db.session.scalars(select(Team.name))) == {"党旗红", "暖心橙", "生态绿", "守护蓝", "文艺紫", "绚丽彩"}
        keeper = db.session.scalar(select(Keeper))
        assert keeper.check_password(password) and not keeper.check_password("wrong")


def test_keeper_password_resets_and_refuses_unknown_names(app, runner, station):
    out = runner.invoke(args=["keeper-password", "keeper"])
    new = out.output.split(":")[-1].strip()
    with app.app_context():
        assert db.session.scalar(select(Keeper)).check_password(new)
    capitals = runner.invoke(args=["keeper-password", "KEEPER"])  # as the keeper signs in
    assert capitals.exit_code == 0 and "New password for keeper:" in capitals.output
    missing = runner.invoke(args=["keeper-password", "nobody"])
    assert missing.exit_code != 0 and "No keeper" in missing.output


# Probe: the sign-in form takes " keeper " and ＫＥＥＰＥＲ, the commands said "No keeper named";
# create-keeper said neither that the password shows once nor where to sign in, and a station
# slug nobody has was "Give --station SLUG of an existing station" without naming those there are.
@pytest.mark.parametrize("typed", ["ＫＥＥＰＥＲ", " keeper ", "Keeper"])
def test_the_commands_find_a_keeper_as_the_sign_in_form_does(runner, station, typed):
    out = runner.invoke(args=["keeper-password", typed])
    assert out.exit_code == 0 and "New password for keeper:" in out.output, out.output
    assert runner.invoke(args=["keeper-active", typed, "on"]).exit_code == 0


def test_create_keeper_says_where_to_sign_in_and_which_stations_there_are(runner, station):
    out = runner.invoke(args=["create-keeper", "lina", "--station", "demo"])
    assert out.exit_code == 0 and "shown only once" in out.output and "/keeper/" in out.output
    lost = runner.invoke(args=["create-keeper", "wang", "--station", "nosuch"])
    assert lost.exit_code != 0 and "No station nosuch" in lost.output and "demo" in lost.output


def test_create_station_and_keepers_from_the_command_line(app, runner, station):
    out = runner.invoke(args=["create-station", "nanyuan", "南苑暖心驿站"])
    assert out.exit_code == 0, out.output
    assert runner.invoke(args=["create-station", "nanyuan", "again"]).exit_code != 0
    assert runner.invoke(args=["create-station", "Bad Slug!", "x"]).exit_code != 0
    assert runner.invoke(args=["create-station", "x", "y", "--timezone", "Mars/Base"]).exit_code != 0
    keeper = runner.invoke(args=["create-keeper", "nan", "--station", "nanyuan"])
    admin = runner.invoke(args=["create-keeper", "district", "--admin"])
    assert keeper.exit_code == 0 and admin.exit_code == 0
    assert runner.invoke(args=["create-keeper", "nan", "--station", "nanyuan"]).exit_code != 0
    assert runner.invoke(args=["create-keeper", "lost"]).exit_code != 0
    with app.app_context():
        from kiosk.walkins.models import WalkInService

        nan = db.session.scalar(select(Keeper).where(Keeper.username == "nan"))
        district = db.session.scalar(select(Keeper).where(Keeper.username == "district"))
        assert nan.station.slug == "nanyuan" and nan.check_password(keeper.output.split("Password: ")[1].split()[0])
        assert district.is_admin and district.station_id is None
        nanyuan = db.session.scalar(select(Station).where(Station.slug == "nanyuan"))
        assert db.session.scalar(select(func.count()).select_from(WalkInService).where(WalkInService.station_id == nanyuan.id)) == 6


@pytest.mark.parametrize("args, says", [
    (["create-keeper", "", "--station", "demo"], "no spaces"),
    (["create-keeper", "  ", "--station", "demo"], "no spaces"),
    (["create-keeper", "wang xiao", "--station", "demo"], "no spaces"),
    (["create-keeper", "k" * 41, "--station", "demo"], "1 to 40"),
    (["create-keeper", "wang", "--station", "demo", "--name", "王" * 41], "--name: A name can be at most 40"),
    (["create-keeper", "wang", "--station", "demo", "--name", "  "], "--name: Please enter a name."),
    (["create-keeper", "district", "--admin", "--station", "demo"], "leave out --station"),
    (["create-keeper", "Keeper", "--station", "demo"],
     "A keeper named “keeper” already exists (user names ignore capitals, full-width letters and spaces around them)."),
    (["create-keeper", "ＫＥＥＰＥＲ", "--station", "demo"], "A keeper named “keeper” already exists"),
    (["create-station", "copy", "幸福里暖心驿站"], "this name exists already"),
    (["create-station", "here", "本地站", "--timezone", "localtime"],
     "Unknown time zone “localtime”: use a name such as Asia/Shanghai."),  # as station-timezone says it
    (["create-station", "factory", "工厂站", "--timezone", "Factory"], "Unknown time zone “Factory”"),
], ids=["empty", "blank", "space inside", "too long", "name too long", "blank name", "admin with a station",
        "same user name in capitals", "same user name in full-width letters",
        "same station name", "localtime", "Factory"])
def test_the_commands_refuse_what_would_make_a_keeper_or_station_nobody_can_use(app, runner, station, args, says):
    def counts():
        with app.app_context():
            return [db.session.scalar(select(func.count()).select_from(m)) for m in (Keeper, Station)]

    before = counts()
    out = runner.invoke(args=args)
    assert out.exit_code == 1 and says in out.output, out.output  # a message in English, no traceback
    assert counts() == before


def test_a_chinese_user_name_is_fine(runner, station):
    out = runner.invoke(args=["create-keeper", "王站长", "--station", "demo"])
    assert out.exit_code == 0, out.output



def test_close_forgotten_closes_yesterdays_open_sessions_for_review(app, runner, station, clock):
    from datetime import timedelta

    from kiosk.people.badges import badge_token
    from kiosk.checkin.attendance import scan_badge
    from kiosk.checkin.models import ServiceSession
    from kiosk.core.models import Station

    with app.app_context():
        scan_badge(db.session.get(Station, station), badge_token(db.session.get(Volunteer, 1)), "camera", clock.now())
        db.session.commit()
    assert "Closed 0" in runner.invoke(args=["close-forgotten"]).output  # still open hours: left alone
    clock.advance(days=1)
    assert "Closed 1" in runner.invoke(args=["close-forgotten"]).output
    with app.app_context():
        [session] = db.session.scalars(select(ServiceSession)).all()
        assert session.auto_closed and session.needs_review
        assert session.checked_out_at - session.checked_in_at == timedelta(hours=11)  # 09:00 to closing at 20:00


@pytest.mark.parametrize("seconds, ok", [("45", True), ("20", True), ("19", False), ("301", False), ("x", False)])
def test_how_long_a_check_in_result_stays_is_a_station_setting(app, runner, station, seconds, ok):
    from kiosk.core.models import Station

    with app.app_context():
        assert db.session.get(Station, station).result_seconds == 20  # long enough to read slowly
    out = runner.invoke(args=["result-seconds", "demo", seconds])
    assert (out.exit_code == 0) is ok, out.output
    with app.app_context():
        assert db.session.get(Station, station).result_seconds == (int(seconds) if ok else 20)
    assert runner.invoke(args=["result-seconds", "nowhere", "30"]).exit_code != 0


@pytest.mark.parametrize("zone, ok", [("Asia/Urumqi", True), ("Asia/Shanghai", True), ("Mars/Olympus", False),
                                      ("localtime", False), ("Factory", False), ("", False), ("../../etc/passwd", False)])
def test_a_station_created_in_the_wrong_time_zone_is_put_right_and_its_hours_stay(app, runner, station, zone, ok):
    """The zone chosen at create-station can be changed: the days and times pages show move, what
    was stored (in UTC) does not."""
    from kiosk.checkin.models import ServiceSession
    from kiosk.core.models import Station
    from kiosk.core.stations import local_today

    with app.app_context():
        db.session.add(ServiceSession(station_id=station, volunteer_id=1, checked_in_at=START,
                                      checked_out_at=START + timedelta(hours=2), check_in_method="scanner"))
        db.session.commit()
    out = runner.invoke(args=["station-timezone", "demo", zone])
    assert (out.exit_code == 0) is ok, out.output
    with app.app_context():
        kept = db.session.get(Station, station)
        assert kept.timezone == (zone if ok else "Asia/Shanghai")
        # 16:30 UTC is already the next day in Shanghai (UTC+8), still this one in Urumqi (UTC+6).
        late = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
        assert local_today(kept, late) == (date(2026, 11, 22) if kept.timezone == "Asia/Urumqi" else date(2026, 11, 23))
        [session] = db.session.scalars(select(ServiceSession)).all()
        assert (session.checked_in_at, session.checked_out_at) == (START, START + timedelta(hours=2))
    if not ok:
        assert "Traceback" not in out.output and f"Unknown time zone “{zone}”: use a name such as Asia/Shanghai." in out.output
    assert runner.invoke(args=["station-timezone", "nowhere", "Asia/Shanghai"]).exit_code != 0
