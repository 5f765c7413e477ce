"""A district's three years in one database, built quickly with bulk inserts from a fixed seed:
300 stations, 150,000 volunteers, 3,000,000 sessions, 50,000 swap items, 20,000 suggestions.
On it: the keeper's Today page and its poll for one station against the same day on an empty
database (`today_ratio_large`); a keeper's month and year report and an admin's district table of a
month (`report_month_ms_large`, `report_year_ms_large`, `report_district_month_ms_large`); and the service-record export of a year, CSV and XLSX, each in a
process of its own whose peak memory is the figure (`export_year_rss_mb`).

    .venv/bin/python bench/district_bench.py [--sessions 3000000] [--json PATH]

On SQLite; the reports also on PostgreSQL when a server is named (KIOSK_BENCH_POSTGRES or
KIOSK_TEST_POSTGRES, as `make bench` does through tests/with_postgres.sh): `*_pg`."""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import rush_bench  # noqa: E402
import today_bench  # noqa: E402
from checkin_bench import CSRF_INPUT  # noqa: E402

NOW = today_bench.NOW  # the day whose Today is compared: 14:00 in Shanghai
CHUNK = 50_000


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stations", type=int, default=300)
    p.add_argument("--volunteers", type=int, default=150_000)
    p.add_argument("--sessions", type=int, default=3_000_000)
    p.add_argument("--swap-items", type=int, default=50_000)
    p.add_argument("--suggestions", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--json", type=Path)
    p.add_argument("--no-postgres", action="store_true",
                   help="SQLite only, even when a server is named (KIOSK_BENCH_POSTGRES or KIOSK_TEST_POSTGRES)")
    return p.parse_args(argv)


def chunks(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def build(path: Path, args, empty: bool, url: str | None = None):
    """The demo station (station 1, keeper password "bench") with today's activity, and, unless
    `empty`, the rest of the district and its three years."""
    from sqlalchemy import insert, select

    from kiosk import create_app
    from kiosk.checkin.models import ServiceSession
    from kiosk.core.clock import MovableClock
    from kiosk.core.extensions import db
    from kiosk.core.models import Station
    from kiosk.people.demo import load_demo_station
    from kiosk.people.models import Volunteer
    from kiosk.suggest.models import Suggestion, SuggestionCategory
    from kiosk.swap.models import SwapCategory, SwapItem

    path.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{path / 'kiosk.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(path),
                      "SQLALCHEMY_DATABASE_URI": url, "CLOCK": MovableClock(NOW)})
    rng = random.Random(2026)
    with app.app_context():
        db.create_all()
        station, keeper, _ = load_demo_station()
        keeper.set_password("bench")
        db.session.commit()
        demo_volunteers = list(db.session.scalars(select(Volunteer.id).where(Volunteer.station_id == station.id)))
        if not empty:
            db.session.execute(insert(Station), [{"slug": f"s{i:03d}", "name": f"第{i}驿站"} for i in range(2, args.stations + 1)])
            stations = list(db.session.scalars(select(Station.id)))
            per_station = args.volunteers // len(stations)
            created = NOW - timedelta(days=4 * 365)
            rows = ({"station_id": sid, "number": f"{n + 100:04d}", "name": f"志愿者{n}", "mobile": f"1{sid:04d}{n:06d}",
                     "mobile_tail": f"{n:06d}"[-4:], "birth_year": 1940 + (sid + n) % 60, "created_at": created}
                    for sid in stations if sid != station.id for n in range(per_station))
            for batch in chunks(rows):
                db.session.execute(insert(Volunteer), batch)
            db.session.commit()
            by_station = {}
            for vid, sid in db.session.execute(select(Volunteer.id, Volunteer.station_id)):
                by_station.setdefault(sid, []).append(vid)
            by_station[station.id] = demo_volunteers
            days = 3 * 365
            per = args.sessions // len(stations)

            def sessions():
                for sid in stations:
                    people = by_station[sid]
                    for k in range(per):
                        start = NOW - timedelta(days=1 + rng.randrange(days), hours=rng.uniform(0, 6))
                        end = start + timedelta(minutes=rng.randrange(30, 240))
                        yield {"station_id": sid, "volunteer_id": people[k % len(people)], "checked_in_at": start,
                               "checked_out_at": end, "check_in_method": "camera", "check_out_method": "camera",
                               "confirmed_at": end if k % 3 else None, "updated_at": end}

            for batch in chunks(sessions()):
                db.session.execute(insert(ServiceSession), batch)
            db.session.commit()
            swap_category = db.session.scalar(select(SwapCategory.id))
            db.session.execute(insert(SwapItem), [
                {"station_id": stations[i % len(stations)], "number": i + 1000, "code": f"D{i:07d}", "title": f"旧物{i}",
                 "category_id": swap_category, "condition": "good", "status": "taken" if i % 2 else "on_shelf",
                 "logged_at": NOW - timedelta(days=rng.randrange(days))} for i in range(args.swap_items)])
            suggestion_category = db.session.scalar(select(SuggestionCategory.id))
            db.session.execute(insert(Suggestion), [
                {"station_id": stations[i % len(stations)], "tracking_code": f"T{i:07d}", "category_id": suggestion_category,
                 "text": "楼道灯坏了", "source": "kiosk", "submitter": "bench", "origin": "bench",
                 "created_at": (made := NOW - timedelta(days=rng.randrange(days))), "updated_at": NOW,
                 "status": "resolved" if i % 3 == 0 else "received",
                 "resolved_at": made + timedelta(days=rng.randrange(1, 20)) if i % 3 == 0 else None}
                for i in range(args.suggestions)])
        today_bench.add_todays_activity(station.id, demo_volunteers)
        total = db.session.query(ServiceSession).count()
        db.engine.dispose()
    return app, url, total


def measure_reports(app, runs: int) -> dict:
    """A keeper's month and year report for station 1 (a three-hundredth of the district's
    sessions: about 10,000 over three years), and an admin's district table of a month."""
    from kiosk.core.extensions import db
    from kiosk.people.models import Keeper

    keeper = app.test_client()
    today_bench.sign_in(keeper)
    with app.app_context():
        admin = Keeper(station_id=None, username="bench-admin", display_name="admin", role="admin", active=True)
        admin.set_password("bench")
        db.session.add(admin)
        db.session.commit()
    district = app.test_client()
    token = CSRF_INPUT.search(district.get("/keeper/login").get_data(as_text=True)).group(1)
    district.post("/keeper/login", data={"username": "bench-admin", "password": "bench", "csrf_token": token})
    month, year = "kind=month&month=2026-10", "kind=year&year=2025"
    for client, path in ((keeper, f"/keeper/reports?{month}"), (district, f"/keeper/reports/district?{month}")):
        assert client.get(path).status_code == 200, path
    return {
        "report_month_ms_large": today_bench.median_ms(keeper, f"/keeper/reports?{month}", runs),
        "report_year_ms_large": today_bench.median_ms(keeper, f"/keeper/reports?{year}", runs),
        "report_year_xlsx_ms_large": today_bench.median_ms(keeper, f"/keeper/reports.xlsx?{year}", max(3, runs // 4)),
        "report_district_month_ms_large": today_bench.median_ms(district, f"/keeper/reports/district?{month}", 3),
    }


# Run in a process of its own, so that its peak memory is the export's.
EXPORT = """
import json, sys, threading, time
sys.path[:0] = [{repo!r}, {repo!r} + "/bench"]
import today_bench
from checkin_bench import CSRF_INPUT
from kiosk import create_app
from kiosk.core.clock import MovableClock

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

app = create_app({{"SECRET_KEY": "bench", "INSTANCE_PATH": {instance!r}, "SQLALCHEMY_DATABASE_URI": {url!r},
                  "CLOCK": MovableClock(today_bench.NOW)}})
client = app.test_client()
today_bench.sign_in(client)
token = CSRF_INPUT.search(client.get("/keeper/records").get_data(as_text=True)).group(1)
before, peak, done = rss_mb(), [0.0], threading.Event()

def sample():  # the resident size while the export runs (the sign-in's password hash peaks higher)
    while not done.is_set():
        peak[0] = max(peak[0], rss_mb())
        time.sleep(0.005)

threading.Thread(target=sample, daemon=True).start()
response = client.post("/keeper/records/service", data={{"start": "2025-11-22", "end": "2026-11-21",
                        "format": {fmt!r}, "csrf_token": token}}, buffered=False)
size = sum(len(chunk) for chunk in response.response)
response.close()
done.set()
print(json.dumps({{"status": response.status_code, "bytes": size, "rss_mb": max(peak[0], rss_mb()), "rss_mb_before": before}}))
"""


def export_year(url: str, instance: Path, fmt: str) -> dict:
    code = EXPORT.format(repo=str(REPO), instance=str(instance), url=url, fmt=fmt)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiosk-district-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        fresh, _url, _ = build(tmp / "fresh", args, empty=True)
        district, url, total = build(tmp / "district", args, empty=False)
        built = time.perf_counter() - started
        first, later = today_bench.measure([fresh, district], args.runs)
        reports = measure_reports(district, args.runs)
        exports = {fmt: export_year(url, tmp / "export", fmt) for fmt in ("csv", "xlsx")}
        server = None if args.no_postgres else rush_bench._postgres_database(tmp)
        reports_pg = {}
        if server:  # the same district on PostgreSQL: the reports (Today's ratio is SQLite's above)
            on_postgres, _url, _ = build(tmp / "district-pg", args, empty=False, url=server)
            reports_pg = {f"{name}_pg": ms for name, ms in measure_reports(on_postgres, args.runs).items()}
    print(f"\ndistrict database: {total:,} sessions, {args.volunteers:,} volunteers, {args.stations} stations, "
          f"built in {built:.0f} s")
    print(f"{'median ms':32} {'empty':>10} {'district':>10} {'ratio':>7}")
    for name in first:
        print(f"{name:32} {first[name]:10.2f} {later[name]:10.2f} {later[name] / first[name]:7.2f}")
    for fmt, e in exports.items():
        print(f"service records of a year, {fmt}: {e['bytes'] / 1024:,.0f} kB in {e['seconds']} s, "
              f"peak RSS {e['rss_mb']:.0f} MB (after sign-in {e['rss_mb_before']:.0f} MB), status {e['status']}")
    for name, ms in {**reports, **reports_pg}.items():
        print(f"{name:32} {ms:10.1f} ms")
    summary = {**{name: round(ms, 1) for name, ms in {**reports, **reports_pg}.items()},
               "today_ratio_large": round(later["Today page"] / first["Today page"], 2),
               "today_poll_ratio_large": round(later["live poll, nothing new (204)"]
                                               / first["live poll, nothing new (204)"], 2),
               "export_year_rss_mb": round(max(e["rss_mb"] for e in exports.values()), 1),
               "export_year": exports, "district_sessions": total, "district_build_s": round(built)}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
