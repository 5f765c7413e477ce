"""Does the keeper's Today view cost the same after three years of history as on the first day?

Builds two SQLite databases, one with only today's activity and one with the same day on top of
three years of sessions and walk-in taps, and times the Today page, its live poll (changed and
unchanged) and the day CSV through Flask's test client. Run: .venv/bin/python bench/today_bench.py
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import insert, select  # noqa: E402

from checkin_bench import CSRF_INPUT  # noqa: E402
from kiosk import create_app  # noqa: E402
from kiosk.checkin.models import ServiceSession
from kiosk.core.clock import MovableClock  # noqa: E402
from kiosk.core.extensions import db  # noqa: E402
from kiosk.people.demo import load_demo_station  # noqa: E402
from kiosk.people.models import Keeper, Volunteer
from kiosk.people.volunteers import register_volunteer  # noqa: E402
from kiosk.walkins.models import WalkInService, WalkInVisit  # noqa: E402

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai


def build(path: Path, years: int, volunteers: int, sessions_per_day: int, taps_per_day: int):
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path / 'kiosk.sqlite'}", "CLOCK": MovableClock(NOW)})
    rng = random.Random(7)
    with app.app_context():
        db.create_all()
        station, keeper, _ = load_demo_station()
        keeper.set_password("bench")
        for i in range(volunteers - 20):
            register_volunteer(station, name=f"志愿者{i}", mobile=f"139{i:08d}")
        db.session.commit()
        ids = list(db.session.scalars(select(Volunteer.id)))
        services = list(db.session.scalars(select(WalkInService.id)))
        days = [NOW - timedelta(days=d) for d in range(1, years * 365 + 1)]
        rows, taps = [], []
        for day in days:
            for _ in range(sessions_per_day):
                start = day - timedelta(hours=rng.uniform(0, 5))
                rows.append({"station_id": station.id, "volunteer_id": rng.choice(ids), "checked_in_at": start,
                             "checked_out_at": start + timedelta(hours=rng.uniform(0.5, 4)), "check_in_method": "camera",
                             "check_out_method": "camera", "auto_closed": False, "needs_review": False, "edited": False,
                             "updated_at": start})
            for _ in range(taps_per_day):
                taps.append({"station_id": station.id, "service_id": rng.choice(services),
                             "at": day - timedelta(hours=rng.uniform(0, 8)), "tap_id": f"{rng.getrandbits(128):032x}"})
            if len(rows) > 20_000:
                db.session.execute(insert(ServiceSession), rows)
                db.session.execute(insert(WalkInVisit), taps)
                rows, taps = [], []
        if rows:
            db.session.execute(insert(ServiceSession), rows)
            db.session.execute(insert(WalkInVisit), taps)
        add_todays_activity(station.id, ids)
        total = db.session.query(ServiceSession).count()
    return app, total


def add_todays_activity(station_id: int, volunteer_ids: list[int]) -> None:
    """Today, the same in every database compared: 30 sessions (10 still open) and 80 taps."""
    services = list(db.session.scalars(select(WalkInService.id).where(WalkInService.station_id == station_id)))
    for i, vid in enumerate(volunteer_ids[:30]):
        start = NOW - timedelta(hours=5) + timedelta(minutes=i)
        db.session.add(ServiceSession(station_id=station_id, volunteer_id=vid, checked_in_at=start,
                                      checked_out_at=None if i < 10 else start + timedelta(hours=2),
                                      check_in_method="scanner", updated_at=start))
    for i in range(80):
        db.session.add(WalkInVisit(station_id=station_id, service_id=services[i % len(services)],
                                   at=NOW - timedelta(minutes=i), tap_id=f"{i:032x}"))
    db.session.commit()


def sign_in(client, password: str = "bench") -> None:
    """As a keeper signs in, through the form: a session also carries the keeper's sign-in version,
    so a hand-made one would not pass."""
    with client.application.app_context():
        username = db.session.scalar(select(Keeper.username))
    token = CSRF_INPUT.search(client.get("/keeper/login").get_data(as_text=True)).group(1)
    signed_in = client.post("/keeper/login", data={"username": username, "password": password, "csrf_token": token})
    assert signed_in.status_code in (302, 303), signed_in.status_code


PATHS = {"Today page": "/keeper/today", "live poll, nothing new (204)": "/keeper/today/live?stamp={stamp}",
         "live poll, changed": "/keeper/today/live?stamp=old", "day CSV": "/keeper/today.csv"}


def keeper_client(app):
    client = app.test_client()
    sign_in(client)
    page = client.get("/keeper/today").get_data(as_text=True)
    return client, page.split('data-stamp="')[1].split('"')[0]


def timed(client, path):
    t0 = time.perf_counter()
    response = client.get(path)
    took = (time.perf_counter() - t0) * 1000
    assert response.status_code in (200, 204), (path, response.status_code)
    return took


def median_ms(client, path, runs):
    """The median of `runs` requests for one page on one database."""
    return statistics.median(timed(client, path) for _ in range(runs))


def measure(apps, runs):
    """The median of each page on each database, the databases taken in turn request by request,
    so a slow moment of the machine falls on both alike rather than on one."""
    clients = [keeper_client(app) for app in apps]
    samples = [{name: [] for name in PATHS} for _ in apps]
    for _ in range(runs):
        for name, path in PATHS.items():
            for (client, stamp), mine in zip(clients, samples):
                mine[name].append(timed(client, path.format(stamp=stamp)))
    return [{name: statistics.median(values) for name, values in mine.items()} for mine in samples]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--sessions-per-day", type=int, default=60)
    parser.add_argument("--taps-per-day", type=int, default=100)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh, fresh_total = build(Path(tmp) / "fresh", 0, 200, 0, 0)
        old, old_total = build(Path(tmp) / "old", args.years, 200, args.sessions_per_day, args.taps_per_day)
        first, later = measure([fresh, old], args.runs)
        for app in (fresh, old):
            with app.app_context():
                db.engine.dispose()
    print(f"sessions in the database: first day {fresh_total}, after {args.years} years {old_total}")
    print(f"{'median ms':32} {'first day':>10} {'year ' + str(args.years):>10} {'ratio':>7}")
    worst = 0.0
    for name in first:
        ratio = later[name] / first[name]
        worst = max(worst, ratio)
        print(f"{name:32} {first[name]:10.2f} {later[name]:10.2f} {ratio:7.2f}")
    print(f"worst ratio {worst:.2f}: {'PASS' if worst < 1.5 else 'FAIL'} (the same cost means under 1.5)")
    if args.json:
        args.json.write_text(json.dumps({"today_ratio": round(later["Today page"] / first["Today page"], 2),
                                         "today_worst_ratio": round(worst, 2), "sessions": old_total,
                                         "first_day_ms": first, "later_ms": later}, indent=2))


if __name__ == "__main__":
    main()
