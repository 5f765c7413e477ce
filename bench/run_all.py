"""Every benchmark in one run, with the targets beside the figures: `make bench` (a few minutes,
SQLite and PostgreSQL) or `make bench-quick` (under two minutes, SQLite only, shorter runs).

Runs rush_bench.py (wrk against the kiosk, a raw-sqlite3 endpoint and bare Flask),
browser_bench.py (scan to confirmation, the decoder, bytes a tablet loads), today_bench.py
(the Today view after years of history) and district_bench.py (Today and a year's export over a
300-station district's three years; a tenth of it in the quick run), each in its own process,
and writes their figures
together to bench/results.json, which is also the last line printed.

    .venv/bin/python bench/run_all.py [--quick]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results.json"

# key: (target, "max" or "min"): what the figure must stay under, or reach.
TARGETS = {
    "checkin_ratio_vs_raw": (0.5, "min"),
    "checkin_p99_ms": (50, "max"),
    "checkin_district_p99_ms": (50, "max"),
    "checkin_district_pg_p99_ms": (50, "max"),
    "checkin_p50_ms_1": (5, "max"),
    "today_ratio": (1.2, "max"),
    "today_ratio_large": (1.2, "max"),
    "report_month_ms_large": (500, "max"),
    "report_year_ms_large": (2000, "max"),
    "export_year_rss_mb": (100, "max"),
    "rss_mb_per_worker": (80, "max"),
    "home_bytes_gz": (40 * 1024, "max"),
    "scan_to_confirm_p50_ms": (150, "max"),
    "decoder_speedup": (3, "min"),
}
# Figures the quick run lacks, and why.
QUICK_NOT_MEASURED = {"checkin_district_pg_p99_ms": "the quick run is SQLite only"}


def run(script: str, *args: str) -> None:
    print(f"\n=== {script} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(BENCH / script), *args], check=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, SQLite only: under two minutes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        browser_json, today_json = Path(tmp) / "browser.json", Path(tmp) / "today.json"
        district_json = Path(tmp) / "district.json"
        if args.quick:
            run("rush_bench.py", "--seconds", "3", "--connections", "1,16", "--no-postgres")
            run("browser_bench.py", "--scans", "10", "--frames", "5", "--json", str(browser_json))
            run("today_bench.py", "--years", "1", "--runs", "10", "--json", str(today_json))
            run("district_bench.py", "--stations", "30", "--volunteers", "15000", "--sessions", "300000",
                "--swap-items", "5000", "--suggestions", "2000", "--runs", "10", "--no-postgres",
                "--json", str(district_json))
        else:
            run("rush_bench.py")
            run("browser_bench.py", "--json", str(browser_json))
            run("today_bench.py", "--json", str(today_json))
            run("district_bench.py", "--json", str(district_json))
        rush = json.loads((BENCH / "results" / "rush.json").read_text())["summary"]
        browser = json.loads(browser_json.read_text())
        today = json.loads(today_json.read_text())
        district = json.loads(district_json.read_text())
    figures = {**rush, **{k: v for k, v in browser.items() if k != "decoder_frames"},
               "today_ratio": today["today_ratio"], "today_worst_ratio": today["today_worst_ratio"],
               **{k: v for k, v in district.items() if k != "export_year"}}
    not_measured = QUICK_NOT_MEASURED if args.quick else {}
    for key in not_measured:
        figures.setdefault(key, None)
    targets = {}
    print(f"\n{'figure':28}{'measured':>12}{'target':>12}  met")
    for key, (target, kind) in TARGETS.items():
        value = figures.get(key)
        met = None if value is None else (value >= target if kind == "min" else value <= target)
        targets[key] = {"value": value, "target": target, "kind": kind, "met": met}
        shown = "—" if value is None else f"{value:,}"
        print(f"{key:28}{shown:>12}{('≥ ' if kind == 'min' else '≤ ') + f'{target:,}':>12}  "
              f"{'not measured' if met is None else 'yes' if met else 'NO'}")
    result = {**figures, "quick": args.quick, "targets": targets, "not_measured": not_measured,
              "decoder_frames": browser.get("decoder_frames")}
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
