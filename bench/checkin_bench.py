"""Check-in throughput against a bare Flask endpoint, both under gunicorn on this machine.

The target: a check-in (database write and rendered confirmation) runs at about half the
throughput of a bare Flask endpoint on the same box. This builds a throw-away SQLite station, serves
it and a one-line Flask app with the same gunicorn settings, loads each with keep-alive client
threads over loopback, and prints requests/s, latency, errors, the ratio and the kiosk workers'
peak memory. It is a measurement, not a test: the exit code is 0 unless the harness itself broke.

    .venv/bin/python bench/checkin_bench.py [--seconds 10] [--warmup 2] [--clients 8] [--workers 2]
                                            [--threads 4] [--volunteers 200] [--target 0.5] [--json PATH]
"""

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
# WTForms writes id, name, type, value in its own order; match the name and take the value after it.
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
SUCCESS = (b'data-outcome="checked_in"', b'data-outcome="checked_out"')
LOG_PROBLEMS = ("database is locked", "Traceback", "WORKER TIMEOUT", "Error handling request")


class HarnessError(RuntimeError):
    """The bench could not measure (server did not start, a client could not set up…)."""


def run(main) -> None:
    """A bench's entry point: its exit status, or 2 with a plain message when it could not measure."""
    try:
        sys.exit(main())
    except HarnessError as err:
        print(f"bench: {err}", file=sys.stderr)
        sys.exit(2)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each run (templates, caches)")
    p.add_argument("--clients", type=int, default=8, help="client threads, one keep-alive connection each")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (both runs)")
    p.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (both runs)")
    p.add_argument("--volunteers", type=int, default=200,
                   help="volunteers whose badges are scanned (keep it above --clients, or two clients scan one badge)")
    p.add_argument("--target", type=float, default=0.5, help="kiosk/bare throughput ratio to reach")
    p.add_argument("--json", metavar="PATH", help="also write the numbers here as JSON")
    args = p.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or min(args.clients, args.workers, args.threads, args.volunteers) < 1:
        p.error("--seconds, --clients, --workers, --threads and --volunteers must be positive")
    return args


# ---------------------------------------------------------------- the database


def build_database(tmp: Path, secret: str, volunteers: int, url: str | None = None) -> tuple[str, list[str]]:
    """A fresh station in tmp/kiosk.sqlite (or the empty database at `url`); returns its URL and
    one badge token per volunteer."""
    sys.path.insert(0, str(REPO))
    from kiosk import create_app
    from kiosk.people.badges import badge_token
    from kiosk.people.demo import load_demo_station
    from kiosk.core.extensions import db
    from kiosk.people.models import Volunteer
    from kiosk.people.volunteers import register_volunteer
    from sqlalchemy import func, select

    url = url or f"sqlite:///{tmp / 'kiosk.sqlite'}"
    app = create_app({"SECRET_KEY": secret, "INSTANCE_PATH": str(tmp / "instance"), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        station, _keeper, _password = load_demo_station()
        have = db.session.scalar(select(func.count()).select_from(Volunteer))
        for i in range(have, volunteers):
            register_volunteer(station, name=f"志愿者{i + 1:04d}", mobile=f"1390000{i:04d}", birth_year=1950 + i % 50)
        # Every scan must write: no "already in" answers from the duplicate window.
        station.duplicate_window_minutes = 0
        db.session.commit()
        tokens = [badge_token(v) for v in db.session.scalars(select(Volunteer).order_by(Volunteer.id))][:volunteers]
        db.engine.dispose()
    return url, tokens


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int, path: str) -> bool:
    """Whether a server on this box's port answers GET `path` with 200 (False while it starts)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status == 200
    except OSError:
        return False


def gunicorn_path() -> str:
    for candidate in (REPO / ".venv" / "bin" / "gunicorn", Path(sys.executable).parent / "gunicorn"):
        if candidate.exists():
            return str(candidate)
    raise HarnessError("gunicorn not found: run `make install` first")


def control_socket_flags(gunicorn: str) -> list[str]:
    """Recent gunicorn opens a control socket at a fixed path in ~/.gunicorn; a running `make run`
    would share it. Older versions have no such socket and reject the flag."""
    help_text = subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout
    return ["--no-control-socket"] if "--no-control-socket" in help_text else []


def process_cpu_seconds(pid: int) -> float:
    try:
        # utime and stime, counted from the ")" that closes the command name.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def process_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:  # kernels without CONFIG_PROC_CHILDREN: scan every process's parent
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # The field after the ")" that closes the command name: state, then ppid.
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                pass
        return found


class Server:
    """gunicorn in its own session (so Ctrl-C reaches only us and we stop it), logging to a file."""

    def __init__(self, name: str, app: str, args, tmp: Path, env: dict | None = None, pythonpath: Path | None = None):
        self.name, self.port = name, free_port()
        self.log_path = tmp / f"gunicorn-{name}.log"
        gunicorn = gunicorn_path()
        command = [gunicorn, *control_socket_flags(gunicorn), "--workers", str(args.workers), "--threads", str(args.threads),
                   "--bind", f"127.0.0.1:{self.port}", "--log-level", "info"]
        if pythonpath:
            command += ["--pythonpath", str(pythonpath)]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(command + [app], cwd=REPO, env={**os.environ, **(env or {})},
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers = args.workers
        self.peak_worker_kib = 0  # the largest single worker
        self.peak_total_kib = 0   # all workers together at one moment
        self.worker_cpu_percent: list[int] = []
        self._monitoring = threading.Event()

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"{self.name}: gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            if answers(self.port, path):
                return
            time.sleep(0.2)
        raise HarnessError(f"{self.name}: no answer on {path} within {timeout:.0f} s:\n{self.log_tail()}")

    def wait_workers_idle(self, timeout: float = 60) -> None:
        """The first answer proves only one worker is up. A worker still importing the app misses
        the clients' connections, and keep-alive then pins them all to the other one, so wait
        until every worker exists and none is burning CPU any more."""
        deadline = time.monotonic() + timeout
        previous = None
        while time.monotonic() < deadline:
            used = self.worker_cpu()
            total = sum(used.values())
            if len(used) == self.workers and previous is not None and total - previous < 0.02:
                return
            previous = total if len(used) == self.workers else None
            time.sleep(0.5)
        raise HarnessError(f"{self.name}: {self.workers} workers not idle within {timeout:.0f} s:\n{self.log_tail()}")

    def worker_cpu(self) -> dict[int, float]:
        return {pid: process_cpu_seconds(pid) for pid in children(self.proc.pid)}

    def start_monitor(self, interval: float = 0.2) -> None:
        """Track the workers' peak RSS and CPU time until stop_monitor(); call around the load."""
        self._cpu_start, self._wall_start = self.worker_cpu(), time.monotonic()

        def loop():
            while not self._monitoring.wait(interval):
                sizes = [process_rss_kib(pid) for pid in children(self.proc.pid)]
                if sizes:
                    self.peak_worker_kib = max(self.peak_worker_kib, max(sizes))
                    self.peak_total_kib = max(self.peak_total_kib, sum(sizes))

        threading.Thread(target=loop, daemon=True).start()

    def stop_monitor(self) -> None:
        self._monitoring.set()
        wall = time.monotonic() - self._wall_start
        end = self.worker_cpu()
        # Share of one core each worker used: shows whether the load was spread, and whether
        # the workers were busy computing or waiting (for the SQLite write lock, say).
        self.worker_cpu_percent = [round(100 * (end[pid] - self._cpu_start.get(pid, 0.0)) / wall) for pid in sorted(end)]

    def stop(self) -> None:
        self._monitoring.set()
        if self.proc.poll() is None:
            self.proc.terminate()  # the master stops its workers gracefully
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_problems(self) -> dict[str, int]:
        text = self.log_text()
        return {p: text.count(p) for p in LOG_PROBLEMS if p in text}

    def first_traceback(self, lines: int = 40) -> str:
        """The first traceback in the server's log with the lines before it (the log goes with
        its temporary folder, so a failed request can be read afterwards only from here)."""
        log = self.log_text().splitlines()
        start = next((i for i, line in enumerate(log) if line.startswith("Traceback")), None)
        return "" if start is None else "\n".join(log[max(0, start - 3):start + lines])


# ---------------------------------------------------------------- the clients


class Client:
    """One keep-alive connection. Subclasses say what a request is and what counts as success."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def setup(self) -> None:
        pass

    def request(self) -> tuple[bool, str]:
        raise NotImplementedError

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            return response, response.read()  # read all of it, or the connection cannot be reused
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request opens a fresh connection
            raise

    def close(self) -> None:
        self.conn.close()


class BareClient(Client):
    def request(self):
        response, _body = self.send("GET", "/")
        return response.status == 200, str(response.status)


class KioskClient(Client):
    """A kiosk tablet: opens the scan screen once, then posts badge after badge the way htmx does."""

    def __init__(self, port: int, next_token):
        super().__init__(port)
        self.next_token = next_token
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def keep_cookies(self, response) -> None:
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, val = value.split(";", 1)[0].partition("=")
                self.cookies[key.strip()] = val.strip()

    def cookie_header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def setup(self):
        response, body = self.send("GET", "/checkin/")
        self.keep_cookies(response)
        match = CSRF_INPUT.search(body.decode("utf-8", "replace"))
        if response.status != 200 or not match or not self.cookies:
            raise HarnessError(f"GET /checkin/ gave {response.status} without a CSRF token or session cookie")
        self.csrf = match.group(1)

    def request(self):
        form = urllib.parse.urlencode({"code": self.next_token(), "method": "scanner", "csrf_token": self.csrf})
        headers = {"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded", **self.cookie_header()}
        response, body = self.send("POST", "/checkin/scan", form.encode(), headers)
        self.keep_cookies(response)
        if response.status != 200:
            return False, str(response.status)
        if any(s in body for s in SUCCESS):
            return True, "200"
        outcome = re.search(rb'data-outcome="(\w+)"', body)
        return False, "200 " + (outcome.group(1).decode() if outcome else "without outcome")


@dataclass
class RunResult:
    name: str
    seconds: float
    ok: int = 0
    errors: int = 0
    error_kinds: dict = field(default_factory=dict)
    latencies: list = field(default_factory=list)  # seconds, successful requests only

    @property
    def rps(self) -> float:
        return self.ok / self.seconds

    @property
    def mean_ms(self) -> float:
        return 1000 * sum(self.latencies) / len(self.latencies) if self.latencies else float("nan")

    @property
    def p95_ms(self) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def run_load(name: str, make_client, clients: int, warmup: float, seconds: float, stop: threading.Event) -> RunResult:
    """Every client sets up, then all start together; only requests begun inside the measured
    window count. Each loop ends by itself at the deadline (or when `stop` is set)."""
    result = RunResult(name, seconds)
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    window = {}
    setup_errors = []

    def worker():
        client = make_client()
        try:
            try:
                client.setup()
            except Exception as err:  # noqa: BLE001 - reported by the main thread
                setup_errors.append(repr(err))
            ready.wait()
            if setup_errors:
                return
            ok, errors, kinds, latencies = 0, 0, {}, []
            begin, end = window["begin"], window["end"]
            while not stop.is_set():
                started = time.perf_counter()
                if started >= end:
                    break
                try:
                    success, kind = client.request()
                except Exception as err:  # noqa: BLE001 - a failed request is an error, not a crash
                    success, kind = False, type(err).__name__
                if started < begin:
                    continue  # warm-up
                if success:
                    ok += 1
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
                    kinds[kind] = kinds.get(kind, 0) + 1
            with lock:
                result.ok += ok
                result.errors += errors
                result.latencies.extend(latencies)
                for kind, n in kinds.items():
                    result.error_kinds[kind] = result.error_kinds.get(kind, 0) + n
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    # Set the window before releasing the barrier, so every client sees the same one.
    start = time.perf_counter() + 0.05
    window.update(begin=start + warmup, end=start + warmup + seconds)
    try:
        ready.wait(timeout=120)
    except threading.BrokenBarrierError:
        raise HarnessError(f"{name}: clients did not get ready within 120 s") from None
    for t in threads:
        while t.is_alive():  # short joins, so Ctrl-C is noticed at once
            t.join(0.2)
    if setup_errors:
        raise HarnessError(f"{name}: {len(setup_errors)} client(s) could not start: {setup_errors[0]}")
    return result


# ---------------------------------------------------------------- the report


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB" if kib else "n/a"


def report(args, bare: RunResult, bare_server: Server, kiosk: RunResult, kiosk_server: Server) -> dict:
    """Print the table and return the same numbers for --json."""
    ratio = kiosk.rps / bare.rps if bare.rps else 0.0
    verdict = "PASS" if ratio >= args.target else "FAIL"

    def row(label: str, run: RunResult, server: Server) -> tuple:
        cpu = "+".join(f"{p}%" for p in server.worker_cpu_percent) or "n/a"
        return (label, f"{run.rps:.1f}", f"{run.mean_ms:.1f}", f"{run.p95_ms:.1f}", str(run.ok), str(run.errors),
                cpu, mib(server.peak_worker_kib), mib(server.peak_total_kib))

    rows = [
        ("", "req/s", "mean ms", "p95 ms", "ok", "errors", "worker CPU", "peak RSS/worker", "all workers"),
        row("bare Flask GET /", bare, bare_server),
        row("kiosk POST /checkin/scan", kiosk, kiosk_server),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    print(f"{os.cpu_count()} CPUs, Python {platform.python_version()}, gunicorn {args.workers} workers × "
          f"{args.threads} threads, {args.clients} clients, {args.seconds:g} s (+{args.warmup:g} s warm-up), "
          f"{args.volunteers} volunteers")
    for r in rows:
        print("  ".join(r[0].ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
    print(f"ratio kiosk/bare: {ratio:.2f}  (target {args.target:g})  {verdict}")
    for run, server in ((bare, bare_server), (kiosk, kiosk_server)):
        if run.error_kinds:
            print(f"{run.name} errors: " + ", ".join(f"{k} ×{n}" for k, n in sorted(run.error_kinds.items())))
        problems = server.log_problems()
        if problems:
            print(f"{run.name} gunicorn log: " + ", ".join(f"{k!r} ×{n}" for k, n in problems.items()))
            print("  last lines:\n  " + server.log_tail(15).replace("\n", "\n  "))

    def numbers(run: RunResult, server: Server) -> dict:
        return {"requests_per_second": round(run.rps, 2), "mean_ms": round(run.mean_ms, 2), "p95_ms": round(run.p95_ms, 2),
                "ok": run.ok, "errors": run.errors, "error_kinds": run.error_kinds,
                "worker_cpu_percent": server.worker_cpu_percent,
                "peak_worker_rss_kib": server.peak_worker_kib, "peak_total_worker_rss_kib": server.peak_total_kib,
                "gunicorn_log_problems": server.log_problems()}

    return {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {k: getattr(args, k) for k in ("seconds", "warmup", "clients", "workers", "threads", "volunteers", "target")},
        "bare": numbers(bare, bare_server),
        "kiosk": numbers(kiosk, kiosk_server),
        "ratio": round(ratio, 3),
        "pass": ratio >= args.target,
    }


# ---------------------------------------------------------------- main


def interrupted(_signum, _frame):
    """A plain `kill` cleans up the way Ctrl-C does."""
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupted)
    stop = threading.Event()
    servers: list[Server] = []
    tmpdir = tempfile.TemporaryDirectory(prefix="checkin-bench-")
    tmp = Path(tmpdir.name)
    try:
        secret = secrets.token_hex(32)
        print(f"Building a station with {args.volunteers} volunteers in {tmp} …", flush=True)
        url, tokens = build_database(tmp, secret, args.volunteers)

        print("bare Flask: starting gunicorn and loading it …", flush=True)
        bare_server = Server("bare", "bare_app:app", args, tmp, pythonpath=BENCH)
        servers.append(bare_server)
        bare_server.wait_ready("/")
        bare_server.wait_workers_idle()
        bare_server.start_monitor()
        bare = run_load("bare", lambda: BareClient(bare_server.port), args.clients, args.warmup, args.seconds, stop)
        bare_server.stop_monitor()
        bare_server.stop()

        print("kiosk: starting gunicorn and loading it …", flush=True)
        env = {"KIOSK_DATABASE_URL": url, "KIOSK_SECRET_KEY": secret, "KIOSK_STATION": "demo"}
        kiosk_server = Server("kiosk", "kiosk:create_app()", args, tmp, env=env)
        servers.append(kiosk_server)
        kiosk_server.wait_ready("/checkin/")
        kiosk_server.wait_workers_idle()
        # Round-robin over every badge across all clients, so no two clients scan one volunteer at once.
        counter, counter_lock = [0], threading.Lock()

        def next_token():
            with counter_lock:
                counter[0] += 1
                return tokens[counter[0] % len(tokens)]

        kiosk_server.start_monitor()
        kiosk = run_load("kiosk", lambda: KioskClient(kiosk_server.port, next_token),
                         args.clients, args.warmup, args.seconds, stop)
        kiosk_server.stop_monitor()
        kiosk_server.stop()

        numbers = report(args, bare, bare_server, kiosk, kiosk_server)
        if args.json:
            try:
                Path(args.json).write_text(json.dumps(numbers, indent=2, ensure_ascii=False) + "\n")
            except OSError as err:
                raise HarnessError(f"cannot write {args.json}: {err}") from None
            print(f"numbers written to {args.json}")
        return 0
    except HarnessError as err:
        print(f"bench failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        stop.set()
        for server in servers:
            server.stop()
        tmpdir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
