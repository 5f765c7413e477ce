"""A rush of scans, measured with wrk: check-in throughput and latency at 1, 4 and 16 concurrent
scans, beside the limit of this stack (raw sqlite3 in Flask doing the same read, write and commit)
and a bare Flask endpoint, on SQLite and (when KIOSK_BENCH_POSTGRES names a server, as
`make bench` arranges) on PostgreSQL. The kiosk runs as a station box serves it (gunicorn 2
workers x 4 threads, the clients straight on gunicorn) and as a district serves it (nginx with
docs/nginx-district.conf in front of 2 sync workers). Every scan writes: the duplicate window is 0
and badges rotate. It prints a table and writes bench/results/rush.json (also its last line).

    .venv/bin/python bench/rush_bench.py [--seconds 8] [--connections 1,4,16] [--volunteers 400]
                                         [--district-workers 2] [--no-postgres]
"""

import argparse
import contextlib
import http.client
import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkin_bench import (CSRF_INPUT, REPO, HarnessError, Server, answers, build_database,  # noqa: E402
                           children, free_port, process_rss_kib, run)

RESULTS = REPO / "bench" / "results"
NGINX_SITE = REPO / "docs" / "nginx-district.conf"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--connections", default="1,4,16")
    p.add_argument("--volunteers", type=int, default=400)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--district-workers", type=int, default=2,
                   help="sync workers behind nginx in the district set-up (0: do not run it)")
    p.add_argument("--no-postgres", action="store_true", help="SQLite only, even when a server is named")
    return p.parse_args(argv)


LUA = """
local tokens = {%(tokens)s}
local n = 0
local prefix = "%(prefix)s"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["HX-Request"] = "true"
%(cookie)s
request = function()
  n = n + 1
  -- Threads start at different places, so two connections rarely scan one badge at once.
  local i = ((n * 7919 + math.random(0, #tokens - 1)) %% #tokens) + 1
  return wrk.format(nil, nil, nil, prefix .. tokens[i])
end
"""


def lua_script(tmp: Path, name: str, tokens: list[str], prefix: str, cookie: str | None) -> Path:
    path = tmp / f"{name}.lua"
    path.write_text(LUA % {"tokens": ",".join(f'"{t}"' for t in tokens), "prefix": prefix,
                           "cookie": f'wrk.headers["Cookie"] = "{cookie}"' if cookie else ""})
    return path


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, connections: int, seconds: int, script: Path | None) -> dict:
    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = milliseconds(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = milliseconds(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": round(rps, 1), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2),
            "errors": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def kiosk_session(port: int) -> tuple[str, str]:
    """A kiosk tablet's session cookie and the CSRF token of its check-in page."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/checkin/")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = "; ".join(h.split(";", 1)[0] for k, h in response.getheaders() if k.lower() == "set-cookie")
    conn.close()
    return cookie, CSRF_INPUT.search(page).group(1)


def served(name: str, app: str, args, tmp: Path, env: dict, ready: str) -> Server:
    server = Server(name, app, args, tmp, env=env, pythonpath=REPO / "bench")
    try:
        server.wait_ready(ready)
        server.wait_workers_idle()
    except BaseException:
        server.stop()  # a server that never became ready is not left running
        raise
    return server


def run_kiosk(label: str, url: str, tokens: list[str], args, tmp: Path, secret: str, floor: bool = False,
              proxy: bool = False) -> dict:
    """wrk against the kiosk's scan at each concurrency. With `floor`, also scans of text that is
    no badge at the top concurrency: the kiosk's own cost of a scan request with nothing read or
    written (a 422 each), the most a check-in could ever reach on this stack. With `proxy`, the
    clients reach gunicorn through nginx, as in a district."""
    env = {"KIOSK_DATABASE_URL": url, "KIOSK_SECRET_KEY": secret}
    if proxy:
        env["KIOSK_TRUSTED_PROXIES"] = "1"
    server = served(label, "kiosk:create_app()", args, tmp, env, "/checkin/")
    try:
        with (nginx_in_front(server.port, tmp, label) if proxy else contextlib.nullcontext(server.port)) as port:
            cookie, csrf = kiosk_session(port)
            # A worker at rest after answering the kiosk page once: what a station box holds all day.
            idle = max(process_rss_kib(pid) for pid in children(server.proc.pid))
            prefix = f"method=scanner&csrf_token={urllib.parse.quote(csrf)}&code="
            script = lua_script(tmp, label, tokens, prefix, cookie)
            results = {}
            server.start_monitor()
            for c in args.connections:
                results[c] = wrk(f"http://127.0.0.1:{port}/checkin/scan", c, args.seconds, script)
            if floor:
                refused = lua_script(tmp, f"{label}-floor", ["NOT-A-BADGE"], prefix, cookie)
                results["floor"] = wrk(f"http://127.0.0.1:{port}/checkin/scan", max(args.connections), args.seconds,
                                       refused)
            server.stop_monitor()
        results["rss_mb_per_worker"] = round(idle / 1024, 1)
        results["rss_mb_per_worker_under_load"] = round(max(server.peak_worker_kib, 0) / 1024, 1)
        results["log_problems"] = server.log_problems()
        if results["log_problems"]:
            results["first_traceback"] = server.first_traceback()
        return results
    finally:
        server.stop()


def nginx_config(upstream_port: int, listen_port: int, tmp: Path, name: str) -> str:
    """docs/nginx-district.conf, as shipped, with its upstream and listen lines pointed at this
    run's ports, inside a main configuration of its own (no root, no system files touched). One
    nginx process: on a small box the app's workers need the cores."""
    site = NGINX_SITE.read_text()
    site, upstreams = re.subn(r"server 127\.0\.0\.1:5000;", f"server 127.0.0.1:{upstream_port};", site)
    site, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen_port};", site)
    if (upstreams, listens) != (1, 1):
        raise HarnessError(f"{NGINX_SITE.name} no longer has one `server 127.0.0.1:5000;` and one `listen 80;` line")
    temp = tmp / f"nginx-{name}"
    return f"""daemon off;
worker_processes 1;
pid {temp}/nginx.pid;
error_log {temp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{site}
}}
"""


@contextlib.contextmanager
def nginx_in_front(upstream_port: int, tmp: Path, name: str):
    """nginx on a free port in front of gunicorn; yields that port."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise HarnessError("nginx is not installed: `make bench` installs it (apt-get install nginx)")
    port = free_port()
    (tmp / f"nginx-{name}").mkdir(exist_ok=True)
    config = tmp / f"nginx-{name}.conf"
    config.write_text(nginx_config(upstream_port, port, tmp, name))
    proc = subprocess.Popen([nginx, "-c", str(config), "-e", str(tmp / f"nginx-{name}" / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                raise HarnessError(f"nginx exited: {proc.stderr.read().decode(errors='replace')}")
            if answers(port, "/checkin/"):
                break
            if time.monotonic() > deadline:
                raise HarnessError("nginx did not answer within 15 s")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def main(argv=None) -> int:
    args = parse_args(argv)
    args.connections = [int(c) for c in args.connections.split(",")]
    if not shutil.which("wrk"):
        raise HarnessError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    secret = secrets.token_hex(16)
    table = {}
    with tempfile.TemporaryDirectory(prefix="kiosk-rush-") as tmpdir:
        tmp = Path(tmpdir)
        url, tokens = build_database(tmp, secret, args.volunteers)
        nonces = _nonces(url)

        bare = served("bare", "bare_app:app", args, tmp, {}, "/")
        try:
            table["hello"] = {c: wrk(f"http://127.0.0.1:{bare.port}/", c, args.seconds, None) for c in args.connections}
        finally:
            bare.stop()

        raw_db = tmp / "raw.sqlite"
        _copy_sqlite(tmp / "kiosk.sqlite", raw_db)
        raw = served("raw", "raw_app:app", args, tmp, {"RAW_DATABASE": str(raw_db)}, "/")
        try:
            script = lua_script(tmp, "raw", nonces, "code=", None)
            table["raw_sqlite3"] = {c: wrk(f"http://127.0.0.1:{raw.port}/scan", c, args.seconds, script)
                                    for c in args.connections}
        finally:
            raw.stop()

        table["kiosk_sqlite"] = run_kiosk("kiosk-sqlite", url, tokens, args, tmp, secret)
        # The district set-up: nginx in front of sync workers, one request at a time each. The
        # floor is measured here: straight on gthread workers, wrk's new connections may all land
        # on one worker (see bench/README), and the floor then measured that, not the kiosk.
        district = argparse.Namespace(**{**vars(args), "workers": args.district_workers, "threads": 1})
        if args.district_workers:
            table["kiosk_sqlite_district"] = run_kiosk("kiosk-sqlite-district", url, tokens, district, tmp, secret,
                                                       floor=True, proxy=True)
        postgres = None if args.no_postgres else _postgres_database(tmp)
        if postgres:
            pg_url, pg_tokens = build_database(tmp, secret, args.volunteers, url=postgres)
            table["kiosk_postgres"] = run_kiosk("kiosk-postgres", pg_url, pg_tokens, args, tmp, secret)
            if args.district_workers:
                table["kiosk_postgres_district"] = run_kiosk("kiosk-postgres-district", pg_url, pg_tokens, district,
                                                             tmp, secret, proxy=True)
    summary = report(table, args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rush.json").write_text(json.dumps({"table": table, "summary": summary}, indent=2))
    print(json.dumps(summary))
    return 0


def _copy_sqlite(source: Path, target: Path) -> None:
    """A copy through SQLite's backup API: a plain file copy would leave out what is still in the
    write-ahead log (the volunteers just made), and every raw scan would answer "unknown"."""
    import sqlite3

    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _nonces(url: str) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return [r[0] for r in conn.execute("SELECT badge_nonce FROM volunteer ORDER BY id")]
    finally:
        conn.close()


def _postgres_database(tmp: Path) -> str | None:
    import os

    server = os.environ.get("KIOSK_BENCH_POSTGRES") or os.environ.get("KIOSK_TEST_POSTGRES")
    if not server:
        return None
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"rush_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def report(table: dict, args) -> dict:
    district = f"nginx + {args.district_workers} sync"
    rows = [("hello", "bare Flask"), ("raw_sqlite3", "raw sqlite3 check-in"), ("kiosk_sqlite", "kiosk, SQLite"),
            ("kiosk_sqlite_district", f"  {district}"), ("kiosk_postgres", "kiosk, PostgreSQL"),
            ("kiosk_postgres_district", f"  {district}")]
    print(f"\n{'':24}" + "".join(f"{f'{c} at once':>30}" for c in args.connections))
    print(f"{'':24}" + "".join(f"{'req/s   p50 ms   p99 ms':>30}" for _ in args.connections))
    for key, label in rows:
        if key in table:
            cells = "".join(f"{table[key][c]['rps']:>14.0f}{table[key][c]['p50_ms']:>8.1f}{table[key][c]['p99_ms']:>8.1f}"
                            for c in args.connections)
            print(f"{label:24}{cells}")
    top = max(args.connections)
    summary = {
        "hello_rps": table["hello"][top]["rps"], "raw_rps": table["raw_sqlite3"][top]["rps"],
        "checkin_rps": table["kiosk_sqlite"][top]["rps"],
        "checkin_ratio_vs_raw": round(table["kiosk_sqlite"][top]["rps"] / table["raw_sqlite3"][top]["rps"], 2),
        "checkin_p50_ms": table["kiosk_sqlite"][top]["p50_ms"], "checkin_p99_ms": table["kiosk_sqlite"][top]["p99_ms"],
        "checkin_p50_ms_1": table["kiosk_sqlite"][min(args.connections)]["p50_ms"],
        "checkin_errors": sum(table["kiosk_sqlite"][c]["errors"] for c in args.connections),
        "raw_errors": sum(table["raw_sqlite3"][c]["errors"] for c in args.connections),
        "rss_mb_per_worker": table["kiosk_sqlite"]["rss_mb_per_worker"],
        "rss_mb_per_worker_under_load": table["kiosk_sqlite"]["rss_mb_per_worker_under_load"],
    }
    if "kiosk_sqlite_district" in table:
        floor = table["kiosk_sqlite_district"]["floor"]
        print(f"{'  the same, not a badge':24}{'':>{30 * (len(args.connections) - 1)}}"
              f"{floor['rps']:>14.0f}{floor['p50_ms']:>8.1f}{floor['p99_ms']:>8.1f}   (the floor: nothing read or written)")
        summary.update(checkin_floor_rps=floor["rps"],
                       checkin_floor_ratio_vs_raw=round(floor["rps"] / summary["raw_rps"], 2))
    for key, name in (("kiosk_sqlite_district", "checkin_district"), ("kiosk_postgres_district", "checkin_district_pg")):
        if key in table:
            row = table[key]
            summary.update({f"{name}_rps": row[top]["rps"],
                            f"{name}_ratio_vs_raw": round(row[top]["rps"] / table["raw_sqlite3"][top]["rps"], 2),
                            f"{name}_p50_ms": row[top]["p50_ms"], f"{name}_p99_ms": row[top]["p99_ms"],
                            f"{name}_p50_ms_1": row[min(args.connections)]["p50_ms"],
                            f"{name}_errors": sum(row[c]["errors"] for c in args.connections)})
    if "kiosk_postgres" in table:
        summary.update(checkin_pg_rps=table["kiosk_postgres"][top]["rps"],
                       checkin_pg_ratio_vs_raw=round(table["kiosk_postgres"][top]["rps"] / table["raw_sqlite3"][top]["rps"], 2),
                       checkin_pg_p99_ms=table["kiosk_postgres"][top]["p99_ms"],
                       checkin_pg_errors=sum(table["kiosk_postgres"][c]["errors"] for c in args.connections))
    if summary["raw_errors"]:
        print(f"\nWARNING: the raw baseline answered {summary['raw_errors']} scans with an error: it did not write, "
              "so its figures are not a check-in's")
    print(f"\nat {top} scans at once: kiosk {summary['checkin_rps']:.0f}/s = {summary['checkin_ratio_vs_raw']:.2f} × raw "
          f"(target ≥ 0.5), p99 {summary['checkin_p99_ms']:.1f} ms (target ≤ 50)")
    if "checkin_district_p99_ms" in summary:
        print(f"district set-up ({district}): {summary['checkin_district_rps']:.0f}/s, "
              f"p99 {summary['checkin_district_p99_ms']:.1f} ms")
    return summary


if __name__ == "__main__":
    run(main)
