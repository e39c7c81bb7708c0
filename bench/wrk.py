"""Benchmark: the list pages under load (issue 15), each beside a bare keyset view measured in the same run.

gunicorn (2 sync workers, 127.0.0.1, a free port) serves the bench database with config.settings.bench (the
app's URLs plus bench/views.py's bare view, which no production URLconf has). The tables the pages read are
vacuumed and analysed first. A bench officer with every province signs in through the login page (its
session and CSRF cookies are what wrk sends); then one bounded wrk run per page (`wrk -t2 -c16 -d10s
--latency --timeout 10s`, 127.0.0.1 only): the bare keyset view, then each list page (points, agents,
registrations, the flag queue, the inspection tasks list) followed by the bare view again, so that each page
is compared with the bare view's runs just before and after it (the higher of the two is its ceiling: the
other users of a shared machine weigh on both alike). Printed per page: requests/s, p50, p99 (wrk's
--latency distribution), its ceiling and its share of it, errors, the load average before the run, and the
targets (>= 25% of the bare view, p99 < 300 ms) met or not; then every run of the bare view. The dataset
(points, registrations, flags, inspection tasks) is printed first; `make bench` makes it with bench/pages.py's
prepare(). Bounded: 127.0.0.1 only, each run of a fixed length (wrk_command); skipped with a message when wrk is
not installed.

Run by bench/run.py (`--no-wrk` skips it) or alone: `python bench/wrk.py [--seconds 10] [--connections 16]`.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
TARGET_SHARE = 25  # % of the bare keyset view's requests/s
TARGET_P99_MS = 300
USERNAME = "bench-wrk-officer"
PASSWORD = "bench-wrk-officer-2026"  # noqa: S105 - a benchmark account on the bench database only
BARE = ("bare keyset view", "/bench/bare/points/")
PAGES = [
    ("points list", "/agents/points/"),
    ("agents list", "/agents/"),
    ("registrations list", "/registrations/"),
    ("flag queue", "/registrations/flags/"),
    ("inspection tasks list", "/inspections/"),
]
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
# The tables the pages read: vacuumed and analysed first, as autovacuum leaves them in production (it is off on
# some machines, this one included; without it the flag counts' index-only scans visit the heap for every row).
TABLES = (
    "agents_agent",
    "agents_registrationpoint",
    "registrations_registration",
    "registrations_flag",
    "inspections_inspectiontask",
    "django_session",
)


def parse_wrk(output: str) -> dict:
    """requests/s, p50 and p99 (ms), requests, non-2xx/3xx answers and socket errors from wrk --latency."""

    def duration(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        if not match:
            raise ValueError(f"no {label}% line in wrk's output:\n{output}")
        return float(match.group(1)) * UNITS_MS[match.group(2)]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    if not rate or not total:
        raise ValueError(f"no Requests/sec line in wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(rate.group(1)),
        "p50": duration("50"),
        "p99": duration("99"),
        "requests": int(total.group(1)),
        "bad": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_user() -> None:
    """An officer with every province, its password set to PASSWORD (reset on every run)."""
    from core.models import User
    from core.roles import Role
    from tests.factories import UserFactory

    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = UserFactory(role=Role.OFFICER, username=USERNAME)
    user.set_password(PASSWORD)
    user.all_provinces = True
    user.is_active = True
    user.save()


def _request(port: int, method: str, path: str, *, cookies: dict, body: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{port}/login/"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                cookies[name] = morsel.value
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def sign_in(port: int) -> dict:
    """The login page as a browser uses it: its CSRF cookie and token, then the POST; the session's cookies."""
    cookies: dict = {}
    status, _ = _request(port, "GET", "/login/", cookies=cookies)
    if status != 200 or "csrftoken" not in cookies:
        raise RuntimeError(f"the login page answered {status} without a CSRF cookie")
    form = urlencode({"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": cookies["csrftoken"]})
    status, location = _request(port, "POST", "/login/", cookies=cookies, body=form)
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"signing in answered {status} (to {location}), no session")
    return cookies


def _serve(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    args = [gunicorn, "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)


def _wait_until_up(port: int, web: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {web.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on 127.0.0.1:{port} within {seconds:.0f} s")


def _stop(web: subprocess.Popen) -> None:
    """gunicorn and its workers (its own process group), whatever happened."""
    if web.poll() is not None:
        return
    try:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(web.pid, signal.SIGKILL)
        web.wait()
    except ProcessLookupError:
        pass


def _warm(port: int, path: str, cookies: dict) -> None:
    """Each worker's first requests load templates and translations: three answers, each must be a 200."""
    for _ in range(3):
        status, location = _request(port, "GET", path, cookies=dict(cookies))
        if status != 200:
            raise RuntimeError(f"{path} answered {status} (to {location}) for the bench officer")


MAX_SECONDS = 120  # each run's length is bounded: wrk stops itself; the process is killed 60 s after that
MAX_CONNECTIONS = 64


def wrk_command(port: int, path: str, cookie: str, *, seconds: int, connections: int, threads: int = 2) -> list[str]:
    """The wrk command line: 127.0.0.1 only, a fixed duration, a bounded number of connections."""
    if not 1 <= seconds <= MAX_SECONDS:
        raise ValueError(f"wrk runs last 1 to {MAX_SECONDS} s, not {seconds}")
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise ValueError(f"wrk opens 1 to {MAX_CONNECTIONS} connections, not {connections}")
    if not path.startswith("/"):
        raise ValueError(f"a path on the local server, not {path!r}")
    args = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    args += ["--timeout", "10s", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{int(port)}{path}"]
    return args


def wrk(port: int, path: str, cookies: dict, *, seconds: int, connections: int, threads: int = 2) -> dict:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    args = wrk_command(port, path, cookie, seconds=seconds, connections=connections, threads=threads)
    output = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    return parse_wrk(output)


SKIPPED = "wrk run skipped: wrk is not installed (Debian: apt-get install wrk)"


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def run(seconds: int = 10, connections: int = 16, only: tuple[str, ...] = (), figures: dict | None = None) -> list[str]:
    """The figures' lines; `figures`, if given, gets each page's figures and the dataset (bench/summary.py), or
    "skipped" with the reason."""
    from django.db import connection

    from bench.pages import dataset
    from bench.summary import describe_dataset

    figures = {} if figures is None else figures
    if shutil.which("wrk") is None:
        figures["skipped"] = "wrk is not installed"
        return [SKIPPED]
    wrk_command(0, BARE[1], "", seconds=seconds, connections=connections)  # the bounds, before anything starts
    _ensure_user()
    data = dataset()
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    connection.close()  # the workers fork from gunicorn, not from here; nothing held open meanwhile
    port = _free_port()
    web = _serve(port)
    bares, pages = [], []
    try:
        _wait_until_up(port, web)
        cookies = sign_in(port)

        def measure(path):
            _warm(port, path, cookies)
            load = _load()
            return load, wrk(port, path, cookies, seconds=seconds, connections=connections)

        # the bare view before the first page, between each two and after the last: each page is compared
        # with the runs just before and after it, so the other users of the machine weigh on both alike
        bares.append(measure(BARE[1]))
        for label, path in [page for page in PAGES if not only or any(word in page[0] for word in only)]:
            pages.append((label, *measure(path)))
            bares.append(measure(BARE[1]))
    finally:
        _stop(web)
    lines = [
        f"pages under load (wrk -t2 -c{connections} -d{seconds}s, gunicorn 2 sync workers, 127.0.0.1; "
        f"{os.cpu_count()} CPUs; load average 1/5/15 min before each run) on {describe_dataset(data)}",
        f"  {'page':<22} {'req/s':>6} {'p50 ms':>6} {'p99 ms':>6} {'bare':>6} {'of bare':>7} {'errors':>6}  "
        f"{'load avg':<15} targets: >= {TARGET_SHARE}% of the bare view, p99 < {TARGET_P99_MS} ms",
    ]
    every = True
    measured = []
    for index, (label, load, m) in enumerate(pages):
        # the ceiling: the higher of the bare view's runs just before and just after this page
        ceiling = max(bares[index][1]["rps"], bares[index + 1][1]["rps"])
        share = 100 * m["rps"] / ceiling
        errors = m["bad"] + m["socket_errors"]
        fast = m["p99"] < TARGET_P99_MS and not errors
        every = every and share >= TARGET_SHARE and fast
        measured.append({"label": label, "rps": m["rps"], "p99": m["p99"], "ceiling": ceiling, "errors": errors})
        lines.append(
            f"  {label:<22} {m['rps']:6.1f} {_ms(m['p50']):>6} {_ms(m['p99']):>6} {ceiling:6.1f} {share:6.0f}% "
            f"{errors:6d}  {load:<15} {_met(share >= TARGET_SHARE)} ({share:.0f}% vs {TARGET_SHARE}%), "
            f"{_met(fast)} ({_ms(m['p99'])} vs {TARGET_P99_MS} ms)"
        )
    lines.append(
        f"  {BARE[0]:<22} runs before, between and after the pages: "
        + ", ".join(f"{m['rps']:.1f} req/s (p99 {_ms(m['p99'])} ms, load {load.split()[0]})" for load, m in bares)
    )
    lines.append(f"  every list page within both targets: {_met(every)}")
    figures.update(pages=measured, dataset=data, size=data["registrations"], connections=connections, seconds=seconds)
    return lines


def main():
    import argparse

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run's length (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections (default 16)")
    parser.add_argument("--page", action="append", default=[], help="only the pages whose label holds this word")
    args = parser.parse_args()
    import django

    django.setup()
    for line in run(seconds=args.seconds, connections=args.connections, only=tuple(args.page)):
        print(line, flush=True)


if __name__ == "__main__":
    main()
