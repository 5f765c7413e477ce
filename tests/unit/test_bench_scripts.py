"""The benchmarks in bench/ still run: each script here runs on a tiny database and must give its
figures. (`make bench` runs them full size; a change to the kiosk or to one bench script once
broke another script unnoticed until the next full run.) The rush and browser benches need `wrk`
and a camera page and stay with `make bench`."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_district_bench_gives_its_figures(tmp_path):
    out = tmp_path / "district.json"
    run("district_bench.py", "--stations", "2", "--volunteers", "100", "--sessions", "2000", "--swap-items", "20",
        "--suggestions", "20", "--runs", "1", "--no-postgres", "--json", str(out))
    figures = json.loads(out.read_text())
    for name in ("report_month_ms_large", "report_year_ms_large", "today_ratio_large", "export_year_rss_mb"):
        assert figures[name] > 0, name
    assert {fmt: figures["export_year"][fmt]["status"] for fmt in ("csv", "xlsx")} == {"csv": 200, "xlsx": 200}


def test_the_today_bench_gives_its_figures(tmp_path):
    out = tmp_path / "today.json"
    run("today_bench.py", "--years", "1", "--sessions-per-day", "2", "--taps-per-day", "2", "--runs", "2",
        "--json", str(out))
    figures = json.loads(out.read_text())
    assert figures["today_ratio"] > 0 and figures["sessions"] > 0


def test_the_check_in_profile_runs_for_check_ins_and_for_refused_scans():
    assert "20 check-ins, five rounds: best" in run("profile_checkin.py", "--scans", "20", "--volunteers", "20",
                                                     "--history", "3", "--top", "1")
    assert "20 refused scans, five rounds: best" in run("profile_checkin.py", "--scans", "20", "--volunteers", "20",
                                                         "--not-a-badge", "--top", "1")


def test_the_district_bench_points_the_shipped_nginx_config_at_its_own_ports(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import rush_bench
    finally:
        sys.path.remove(str(BENCH))
    config = rush_bench.nginx_config(5001, 8081, tmp_path, "t")
    assert "server 127.0.0.1:5001;" in config and "listen 127.0.0.1:8081;" in config
    assert ":5000;" not in config and "listen 80;" not in config


def test_the_shipped_nginx_config_lets_the_kiosk_refuse_a_large_body_in_its_own_words():
    import re

    from kiosk.core.config import Defaults

    site = (BENCH.parent / "docs" / "nginx-district.conf").read_text()
    megabytes = int(re.search(r"^\s*client_max_body_size (\d+)m;", site, re.M).group(1))
    assert megabytes * 1024 * 1024 > Defaults.MAX_CONTENT_LENGTH
