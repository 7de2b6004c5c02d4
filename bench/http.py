"""The HTTP figures (issue 11): a record page and a unit's people list through the whole stack, a real application server
(gunicorn, 2 workers, a process of its own on loopback) under a load generator (wrk) at 32 concurrent users, next to the
trivial endpoint of the same stack; and the peak memory of a worker under that load.

Each of the 32 users is a session of its own of the province's administrator, logged in as the login page does it (second
factor confirmed), so the session is read and written on every request as in production. By default the users send their
next request as soon as the last one is answered (no time to read the page): the server is saturated and latency is mostly
the wait for a free worker (Little's law: about users / throughput).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERS = 32
WORKERS = 2
RECORDS = 500
UNITS = 100

# wrk's script: rotates over the paths (each with one of the users' cookies), counts the answers by status in each thread
# and, when the run is over, prints one JSON line with the figures of all threads.
WRK_SCRIPT = """
local paths = {%(paths)s}
local cookies = {%(cookies)s}
local threads = {}
local prepared = {}
counter = 0
statuses = {}

function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end

function init(args)
  counter = offset
  for i = 0, math.max(#paths, #cookies) - 1 do
    prepared[i + 1] = wrk.format("GET", paths[(i %% #paths) + 1], {["Cookie"] = cookies[(i %% #cookies) + 1]})
  end
end

function request()
  counter = counter + 1
  return prepared[(counter %% #prepared) + 1]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local counts = {}
  for status, n in pairs(merged) do
    table.insert(counts, string.format('"%%d": %%d', status, n))
  end
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %%d, "seconds": %%.3f, "p50_ms": %%.3f, "p95_ms": %%.3f, "p99_ms": %%.3f, ' ..
    '"statuses": {%%s}, "socket_errors": %%d, "non_2xx_3xx": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, table.concat(counts, ", "), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _lua_strings(values) -> str:
    return ", ".join(json.dumps(value) for value in values)  # paths and cookies are ASCII: a JSON string is a Lua string


def record_paths(count: int = RECORDS) -> list[str]:
    """Record pages of `count` people spread over the province: units taken evenly over the tree's order, then one person of
    each in turn."""
    from people.models import Person

    by_unit: dict[int, list[int]] = {}
    for pk, unit_id in Person.objects.order_by("unit_id", "pk").values_list("pk", "unit_id"):
        by_unit.setdefault(unit_id, []).append(pk)
    if not by_unit:
        raise SystemExit("The HTTP figures need people in the bench database.")
    units = sorted(by_unit)[::max(1, len(by_unit) // count)]
    queues, chosen = [iter(by_unit[unit]) for unit in units], []
    while queues and len(chosen) < count:
        for queue in list(queues):
            pk = next(queue, None)
            if pk is None:
                queues.remove(queue)
            elif len(chosen) < count:
                chosen.append(pk)
    return [f"/people/{pk}/" for pk in chosen]


def unit_paths(count: int = UNITS, rows: int = 50) -> list[str]:
    """The people list of units whose subtree holds at least a full page (`rows` people), the province's root aside; the
    fullest units when none does."""
    from django.db.models import Count
    from django.utils import timezone

    from orgs.services import children_map, subtree_ids
    from people.models import Person

    held = dict(Person.objects.values_list("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"))
    children = children_map(timezone.localdate())
    roots = set(children.get(None, ()))
    sizes = {unit: sum(held.get(u, 0) for u in subtree_ids([unit], children)) for units in children.values() for unit in units}
    full = sorted(unit for unit, size in sizes.items() if size >= rows and unit not in roots)
    if not full:
        full = sorted(sizes, key=lambda unit: -sizes[unit])[:1]
    step = max(1, len(full) // count)  # spread over the tree, not the first units of one branch
    return [f"/people/?unit={unit}" for unit in full[::step][:count]]


def user_cookies(user, records: list[str], count: int = USERS) -> list[str]:
    """`count` sessions of `user`, each as after the login page and the second factor: django.contrib.auth's login (the login
    signal's bookkeeping included) and django-otp's verified device. When the configuration asks readers for a purpose, each
    session has chosen one for every record measured (people.services.read_purpose)."""
    from django.conf import settings
    from django.test import Client
    from django.utils.crypto import get_random_string
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    cookies = []
    for _ in range(count):
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        if settings.AUDIT_READ_PURPOSES:
            session["read_purposes"] = {path.strip("/").split("/")[1]: settings.AUDIT_READ_PURPOSES[0] for path in records}
        session.save()
        # A browser sends back the CSRF cookie it was given; a valid one is not replaced on every page.
        csrf = get_random_string(32)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}")
    return cookies


def end_sessions(cookies: list[str]) -> None:
    """The users log out: their sessions do not pile up in the bench database."""
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for cookie in cookies:
        store(session_key=cookie.split(";")[0].split("=", 1)[1]).delete()


def _wait_for(port: int, server: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer in {seconds:.0f} s: {log.read_text(errors='replace')[-2000:]}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _check(port: int, path: str, cookie: str) -> None:
    """One request as the load generator sends it: anything but 200 means the figures would measure something else."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})
    try:
        with opener.open(request, timeout=60) as answer:
            status, location, body = answer.status, "", answer.read()
    except urllib.error.HTTPError as exc:
        status, location, body = exc.code, exc.headers.get("Location", ""), b""
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}{f' to {location}' if location else ''}: the session is not accepted "
                         "or the page fails; no HTTP figures.")
    if b'id="purpose-form"' in body:
        raise SystemExit(f"GET {path} asks for a reading purpose: no HTTP figures.")


def wrk(port: int, paths: list[str], cookies: list[str], seconds: float, scratch: Path, think_ms: int = 0) -> dict:
    script = scratch / "paths.lua"
    pause = f"function delay()\n  return {think_ms}\nend\n" if think_ms else ""  # each user reads the page before the next one
    script.write_text(WRK_SCRIPT % {"paths": _lua_strings(paths), "cookies": _lua_strings(cookies)} + pause, encoding="utf-8")
    # A generous timeout: a slow answer is measured, not dropped as a socket error.
    done = subprocess.run(["wrk", "-t", "2", "-c", str(USERS), "-d", f"{seconds:.0f}s", "--timeout", "30s", "-s", str(script),
                           f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=True)
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no figures: {done.stdout[-1000:]} {done.stderr[-1000:]}")
    result = json.loads(line[len("BENCH "):])
    result["statuses"] = {int(status): n for status, n in result["statuses"].items()}
    return result


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def peak_resident_mb(pid: int) -> float:
    """The largest peak resident set (VmHWM) of the server's workers."""
    peaks = []
    for child in _children(pid):
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    if not peaks:
        raise SystemExit("No gunicorn worker found to read its memory.")
    return max(peaks)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()  # gunicorn's graceful stop: the workers finish their request
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own process group: the master and its workers only
            server.wait()


def http_load(user, seconds: float = 20, warmup: float = 3, worker_class: str = "sync", threads: int = 1,
              think_ms: int = 0) -> list[tuple]:
    """Each target (trivial endpoint, record pages, unit lists) is warmed up, then measured for `seconds`. Sync workers, as
    `gunicorn config.wsgi` runs by default and as behind a proxy that opens a connection per request; `worker_class="gthread"`
    with `threads` to compare. `think_ms`: each user waits this long after a page before asking the next one (0: saturation)."""
    if shutil.which("wrk") is None:
        raise SystemExit("The HTTP figures need wrk (`make bench` installs it: apt-get install wrk).")
    records, units = record_paths(), unit_paths()
    cookies = user_cookies(user, records)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-http-") as scratch_name:
            figures, peak = _measure(Path(scratch_name), {"trivial": ["/health/live"], "record": records, "units": units}, cookies,
                                     seconds, warmup, worker_class, threads, think_ms)
    finally:
        end_sessions(cookies)
    kind = worker_class if threads == 1 else f"{worker_class} ({threads} threads)"
    setup = f"gunicorn, {WORKERS} {kind} workers, {USERS} users" + (f" each reading {think_ms} ms" if think_ms else "")
    rows = []
    for name, label, target, p95_target in (
            # The latency target is for users who read what they asked for; saturated, latency is users / throughput.
            ("record", f"record page over HTTP ({setup}; {len(records)} people)", "p95 < 100 ms, no errors" if think_ms else "no errors",
             100 if think_ms else None),
            ("units", f"unit list page over HTTP, people of a unit, 50 rows ({setup}; {len(units)} units)", "no errors", None),
            ("trivial", f"trivial endpoint over HTTP, same stack ({setup}; /health/live)", "no errors", None)):
        result = figures[name]
        errors = result["socket_errors"] + sum(n for status, n in result["statuses"].items() if status != 200)
        label += f", {errors} errors" if errors else ""
        ok = errors == 0 and (p95_target is None or result["p95_ms"] < p95_target)
        rows.append((f"{label}: latency", target, result["p50_ms"], result["p95_ms"], ok))
        rows.append((f"{label}: throughput (req/s)", "", result["requests"] / result["seconds"], None, None))
    rows.append(("record page / trivial endpoint over HTTP (median ratio)", "", figures["record"]["p50_ms"] / figures["trivial"]["p50_ms"],
                 None, None))
    rows.append(("peak memory of a gunicorn worker under load (resident)", "< 300 MB", peak, None, peak < 300))
    return rows


def _measure(scratch: Path, targets: dict[str, list[str]], cookies: list[str], seconds: float, warmup: float, worker_class: str,
             threads: int, think_ms: int) -> tuple[dict, float]:
    """gunicorn in a process group of its own, with the bench's environment as production would run it; always stopped."""
    (scratch / "metrics").mkdir()
    port = _free_port()
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
           "PROMETHEUS_MULTIPROC_DIR": str(scratch / "metrics"),  # the workers share their counters, as in production
           "TWO_FACTOR_REQUIRED": "1"}  # as in production: the administrator's role asks for it, the sessions have it
    log = scratch / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
                                   "--worker-class", worker_class, "--threads", str(threads), "--timeout", "120", "--log-level", "warning"],
                                  cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(port, server, log)
        for paths in targets.values():  # every worker imports the URLs, fills its caches, opens its database connection
            _check(port, paths[0], cookies[0])
            wrk(port, paths, cookies, warmup, scratch, think_ms)
        figures = {}
        for name, paths in targets.items():
            result = figures[name] = wrk(port, paths, cookies, seconds, scratch, think_ms)
            refused = {status: n for status, n in result["statuses"].items() if 300 <= status < 500}
            if refused:
                raise SystemExit(f"Under load, {name} pages answered {refused}: the figures would measure something else.")
        return figures, peak_resident_mb(server.pid)
    finally:
        _stop(server)
