"""Where a check-in's time goes, in one process: N scans through Flask's test client on a fresh
station (every scan a write), timed, then profiled with cProfile. With --history N every volunteer
first has N closed sessions, one a day (a regular after N days of service). With --not-a-badge
every scan reads something that is not a badge: the kiosk's own cost of a scan request (request,
session cookie, CSRF, form, station, the refusal's fragment) with no volunteer read and nothing
written, the floor under a check-in.

    .venv/bin/python bench/profile_checkin.py [--scans 400] [--history 0] [--not-a-badge] [--top 30]
                                              [--sort tottime]
"""

import argparse
import cProfile
import pstats
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkin_bench import REPO, build_database  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scans", type=int, default=400)
    p.add_argument("--volunteers", type=int, default=200)
    p.add_argument("--history", type=int, default=0, help="closed sessions each volunteer already has")
    p.add_argument("--not-a-badge", action="store_true", help="scan text that is no badge: nothing read or written")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--sort", default="tottime")
    args = p.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from kiosk import create_app

    with tempfile.TemporaryDirectory() as tmp:
        secret = secrets.token_hex(16)
        url, tokens = build_database(Path(tmp), secret, args.volunteers)
        app = create_app({"SECRET_KEY": secret, "INSTANCE_PATH": str(Path(tmp) / "instance"),
                          "SQLALCHEMY_DATABASE_URI": url})
        if args.history:
            add_history(app, args.history)
        client = app.test_client()
        page = client.get("/checkin/").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        headers = {"HX-Request": "true"}

        if args.not_a_badge:
            tokens, expected = ["hello kiosk"], 422
        else:
            expected = 200

        def scan(i: int) -> None:
            response = client.post("/checkin/scan", headers=headers,
                                   data={"method": "scanner", "csrf_token": csrf, "code": tokens[i % len(tokens)]})
            assert response.status_code == expected, response.status_code

        for i in range(50):  # warm up: statements compiled, templates loaded
            scan(i)
        rounds = []
        for _ in range(5):  # the best of five rounds: what the code costs, less what else the box did
            start = time.perf_counter()
            for i in range(args.scans):
                scan(i)
            rounds.append((time.perf_counter() - start) / args.scans * 1000)
        print(f"{args.scans} {'refused scans' if args.not_a_badge else 'check-ins'}, five rounds: best {min(rounds):.2f} ms each, median {sorted(rounds)[2]:.2f}")
        profile = cProfile.Profile()
        profile.enable()
        for i in range(args.scans):
            scan(i)
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


def add_history(app, days: int) -> None:
    from datetime import timedelta

    from sqlalchemy import insert, select

    from kiosk.checkin.models import ServiceSession
    from kiosk.core.clock import utcnow
    from kiosk.core.extensions import db
    from kiosk.people.models import Volunteer

    with app.app_context():
        now = utcnow()
        for volunteer_id, station_id in db.session.execute(select(Volunteer.id, Volunteer.station_id)):
            db.session.execute(insert(ServiceSession), [
                {"station_id": station_id, "volunteer_id": volunteer_id, "checked_in_at": start,
                 "checked_out_at": start + timedelta(hours=3, minutes=day % 50), "check_in_method": "scanner",
                 "confirmed_at": start + timedelta(days=1), "updated_at": start}
                for day in range(1, days + 1) for start in [now - timedelta(days=day, hours=4)]])
        db.session.commit()


if __name__ == "__main__":
    sys.exit(main())
