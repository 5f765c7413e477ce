from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Keeper, Team, Volunteer


def test_seed_demo_loads_once_and_prints_a_working_password(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    password = first.output.split("password:")[1].split()[0]
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
    missing = runner.invoke(args=["keeper-password", "nobody"])
    assert missing.exit_code != 0 and "No keeper" in missing.output
