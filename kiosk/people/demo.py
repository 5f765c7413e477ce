"""The demo station `make run` loads into an empty database."""

import secrets
from datetime import time

from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import set_up_station
from kiosk.people.models import Keeper, Team
from kiosk.people.volunteers import register_volunteer

TEAMS = ["党旗红", "暖心橙", "生态绿", "守护蓝", "文艺紫", "绚丽彩"]
SKILLS = ["理发", "理疗", "家政", "医疗", "心理咨询", "维修", "法律咨询", "助老"]
VOLUNTEERS = [
    ("张晓华", "13800138001", 1958), ("李桂英", "13800138002", 1955), ("王建国", "13800138003", 1960),
    ("刘淑芬", "13800138004", 1962), ("陈志强", "13800138005", 1975), ("杨秀兰", "13800138006", 1953),
    ("赵德明", "13800138007", 1957), ("黄丽娟", "13800138008", 1968), ("周文涛", "13800138009", 1990),
    ("吴玉珍", "13800138010", 1956), ("徐海燕", "13800138011", 1972), ("孙立新", "13800138012", 1964),
    ("马俊杰", "13800138013", 1995), ("朱美玲", "13800138014", 1959), ("胡国平", "13800138015", 1961),
    ("郭晓红", "13800138016", 1983), ("林志华", "13800138017", 1954), ("何春梅", "13800138018", 1966),
    ("高永福", "13800138019", 1950), ("欧阳明月", "13800138020", 1988),
]


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Station))


def load_demo_station() -> tuple[Station, Keeper, str]:
    """Create one station with teams, twenty volunteers and a keeper; returns the keeper's password."""
    station = Station(
        slug="demo",
        name="幸福里暖心驿站",
        name_hant="幸福里暖心驛站",
        timezone="Asia/Shanghai",
        opens_at=time(8, 0),
        closes_at=time(20, 0),
        duplicate_window_minutes=5,
        hours_rounding_minutes=30,
    )
    db.session.add(station)
    teams = [Team(station=station, name=name) for name in TEAMS]
    db.session.add_all(teams)
    db.session.flush()
    for i, (name, mobile, born) in enumerate(VOLUNTEERS):
        register_volunteer(
            station,
            name=name,
            mobile=mobile,
            birth_year=born,
            teams=[teams[i % len(teams)]],
            skills=[SKILLS[i % len(SKILLS)]],
        )
    set_up_station(station)  # every feature's standard lists
    password = secrets.token_urlsafe(9)
    keeper = Keeper(station=station, username="keeper", display_name="站长", role="keeper", active=True)
    keeper.set_password(password)
    db.session.add(keeper)
    db.session.flush()
    return station, keeper, password
