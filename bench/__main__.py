"""`make bench`: builds (or reuses) the synthetic province and its people, and prints each figure against its target.

Runs on PostgreSQL (BENCH_DATABASE_URL, default the local server's cbccvc_bench database) and
falls back to a SQLite file when no server answers. Results go to bench/results.md.
"""

import argparse
import datetime
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from bench.http import http_load
from bench.sync import national_sync

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/cbccvc_bench"
NATIONAL_PG = "postgres://postgres@127.0.0.1:5432/cbccvc_bench_national"
NATIONAL_PEOPLE = 2_500_000  # about 63 provinces' worth
# What people type in the search box: parts of names, without diacritics.
NAME_FRAGMENTS = [
    "nguyen van", "thi hoa", "tran minh", "le thi", "pham van", "huynh", "hoang", "phan thi", "vo van", "dang", "bui thi", "do van",
    "ho thi", "ngo", "duong", "truong", "dinh", "nguyen thi thu", "tran van hung", "le van nam", "thi lan", "thi mai", "van dung",
    "van tuan", "minh tuan", "ngoc anh", "thu trang", "thanh tam", "quoc bao", "huu", "kim", "thi ngoc", "hung", "linh", "phuong",
    "huong", "khanh", "bao", "long", "yen", "nhung", "nguyen ngoc", "pham thi", "vu", "lam", "diep", "quach", "dieu", "thach", "ly thi",
]


def pick_database(url: str | None, default: str = DEFAULT_PG) -> str:
    url = url or default
    if url.startswith("postgres"):
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
                if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
                    conn.execute(f'create database "{name}"')
        except psycopg.OperationalError:
            print("No PostgreSQL server answers; measuring on SQLite.", file=sys.stderr)
            return f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    return url


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def reorg_steps(count: int) -> list[dict]:
    """A 2025-style reform on the synthetic province: merges, consolidations, renames, moves and dissolutions."""
    from orgs.models import UnitVersion

    codes = set(UnitVersion.objects.filter(valid_to__isnull=True).values_list("code", flat=True))
    tops = sorted(c for c in codes if c.startswith("000.00.") and c != "000.00.00.H19"
                  and {f"000.05.{c[7:9]}.H19", f"002.03.{c[7:9]}.H19"} <= codes)
    steps = []
    for top in tops:
        l2 = top[7:9]
        mid = [f"000.{n:02d}.{l2}.H19" for n in range(1, 6)]
        steps += [
            {"operation": "merge", "params": {"source": mid[4], "target": mid[3]}},
            {"operation": "update", "params": {"unit": mid[2], "name": f"Phòng mới {l2}"}},
            {"operation": "dissolve", "params": {"unit": f"001.03.{l2}.H19", "people_to": mid[2]}},
            {"operation": "move", "params": {"unit": f"002.03.{l2}.H19", "parent": mid[3]}},
            {"operation": "consolidate", "params": {"sources": [mid[0], mid[1]], "new": {
                "name": f"Văn phòng hợp nhất {l2}", "code": f"000.09.{l2}.H19", "kind": "DEPT_OFFICE", "level": "PROVINCE"}}},
        ]
    for a, b in zip(tops[1::2], tops[2::2], strict=False):
        steps.append({"operation": "merge", "params": {"source": b, "target": a}})
    if len(steps) < count:
        raise SystemExit(f"The synthetic province is too small for a {count}-step plan ({len(steps)} steps possible).")
    return steps[:count]


def settle() -> None:
    """After a rolled-back reorganization: clear the dead rows it left and write out its pages, so the figures measured next
    are not slowed by them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("people_person", "people_recordversion", "people_changeset", "accounts_rolegrant", "audit_auditevent",
                          "compliance_obligation", "compliance_reminder"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute("CHECKPOINT")  # the plan's writes reach the disk now, not during the next figure


def people_reorg_steps(minimum: int) -> tuple[list[dict], int]:
    """Merges of sibling leaf units (the second of each pair into the first) until the merged units hold `minimum` people."""
    from django.db.models import Count

    from orgs.models import UnitVersion
    from people.models import Person

    held = dict(Person.objects.values_list("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"))
    versions = list(UnitVersion.objects.filter(valid_to__isnull=True).exclude(code="").values_list("unit_id", "parent_id", "code"))
    parents = {parent_id for _unit, parent_id, _code in versions}
    siblings: dict[int, list[tuple[str, int]]] = {}
    for unit_id, parent_id, code in versions:
        if unit_id not in parents:  # leaves only: a merge then changes no other unit of the plan
            siblings.setdefault(parent_id, []).append((code, unit_id))
    steps, moving = [], 0
    for group in siblings.values():
        group.sort()
        for (target, _t), (source, source_id) in zip(group[0::2], group[1::2], strict=False):
            if moving >= minimum:
                return steps, moving
            steps.append({"operation": "merge", "params": {"source": source, "target": target}})
            moving += held.get(source_id, 0)
    return steps, moving


def people_reorganization() -> list[tuple]:
    """Apply, in a rolled-back transaction, merges that carry at least 20,000 people with their records, accounts and changes."""
    from django.db import transaction

    from orgs import services
    from people.models import Person

    people = Person.objects.count()
    steps, _moving = people_reorg_steps(20_000)
    with transaction.atomic():
        plan = services.create_plan(title="bench people", effective_date=datetime.date.today(), user=None, steps=steps)
        start = time.perf_counter()
        result = services.apply_plan(plan, None).totals
        elapsed = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    settle()
    return [(f"apply a reorganization of {len(steps)} merges carrying {result['people_moved']} people ({people} in all; atomic)",
             "< 60000 ms", elapsed, None, elapsed < 60_000 if result["people_moved"] >= 20_000 else None)]


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--units", type=int, default=1500)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--only", choices=["export", "sync", "http"], help="measure this figure alone (printed, bench/results.md left as it is)")
    parser.add_argument("--national", action="store_true",
                        help=f"{NATIONAL_PEOPLE:,} people in a database of their own (BENCH_NATIONAL_DATABASE_URL): the national-scale "
                             "search and count figures")
    parser.add_argument("--national-people", type=int, default=NATIONAL_PEOPLE, help="with --national: build this many instead")
    args = parser.parse_args()

    if args.national:
        os.environ["DATABASE_URL"] = pick_database(os.environ.get("BENCH_NATIONAL_DATABASE_URL"), NATIONAL_PG)
    else:
        os.environ["DATABASE_URL"] = pick_database(os.environ.get("BENCH_DATABASE_URL"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["DEBUG"] = "0"  # as in production: no query log kept, no debug pages
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from accounts import authz
    from orgs import services
    from orgs.demo import seed_synthetic_tree
    from orgs.models import Unit

    call_command("migrate", verbosity=0)
    call_command("createcachetable")  # the API's rate counters
    call_command("load_catalogs", stdout=open(os.devnull, "w"))  # noqa: SIM115
    rows = []
    if not Unit.objects.exists():
        start = time.perf_counter()
        seed_synthetic_tree(args.units, 2025, None)
        rows.append(("build the synthetic tree (one plan)", f"{args.units} units", (time.perf_counter() - start) * 1000, None, None))
    units = Unit.objects.count()
    if args.national:
        rows += national_people(args.national_people)
        user = bench_user()
        rows += people_search(user, args.national_people, limit_ms=300)
        rows += use_of_data(user)
        report(rows, connection.vendor, units, section=f"National scale: {args.national_people:,} people")
        return
    if args.only == "export":
        report(people_export(bench_user()), connection.vendor, units, write=False)
        return
    if args.only == "http":
        report(http_figures(bench_user()), connection.vendor, units, write=False)
        return
    if args.only == "sync":
        report(national_sync(bench_user(), settings.VAR_DIR / "bench-trust-roots.pem"), connection.vendor, units, write=False)
        return

    steps = reorg_steps(args.steps)
    applied, carried = [], [0]

    def apply_once():
        with transaction.atomic():
            plan = services.create_plan(title="bench", effective_date=datetime.date.today(), user=None, steps=steps)
            start = time.perf_counter()
            carried[0] = services.apply_plan(plan, None).totals["people_moved"]
            applied.append((time.perf_counter() - start) * 1000)
            transaction.set_rollback(True)

    for _ in range(args.repeat):
        apply_once()
    settle()
    if carried[0]:
        rows.append((f"apply a {args.steps}-step reorganization plan carrying {carried[0]} people (atomic)", "p95 < 60000 ms",
                     statistics.median(applied), p95(applied), p95(applied) < 60_000))
    else:
        rows.append((f"apply a {args.steps}-step reorganization plan (atomic)", "p95 < 2000 ms", statistics.median(applied), p95(applied),
                     p95(applied) < 2000))

    user = bench_user()
    client = Client()
    client.force_login(user)
    client.get("/orgs/")
    tree_ms = timed(lambda: client.get("/orgs/"), 20)
    trivial_ms = timed(lambda: client.get("/api/v1/catalogs/unit_level"), 20)
    rows.append((f"org-tree page, server time ({units} units)", "p95 < 300 ms", statistics.median(tree_ms), p95(tree_ms),
                 p95(tree_ms) < 300))
    rows.append(("trivial endpoint, same stack", "", statistics.median(trivial_ms), p95(trivial_ms), None))
    scope_ms = timed(lambda: (authz.forget(user), authz.scope(user, "org.view")), 20)
    rows.append((f"authorization scope of a province-wide grant ({units} units)", "p95 < 20 ms", statistics.median(scope_ms),
                 p95(scope_ms), p95(scope_ms) < 20))
    list_ms = timed(lambda: client.get("/api/v1/units", {"limit": 50, "q": "so"}), 20)
    rows.append(("scoped unit search through the API (50 rows)", "p95 < 100 ms", statistics.median(list_ms), p95(list_ms),
                 p95(list_ms) < 100))
    rows.append(("org-tree page / trivial endpoint (median ratio)", "",
                 statistics.median(tree_ms) / statistics.median(trivial_ms), None, None))

    rows += people_search(user, args.people)
    rows += people_reorganization()
    rows += obligations(user)
    rows += approval_signatures(user)
    rows += national_sync(user, settings.VAR_DIR / "bench-trust-roots.pem")  # the campaign just signed, with its CA
    rows += use_of_data(user)
    rows += people_export(user)
    rows += import_validation(user)
    rows += http_figures(user)
    report(rows, connection.vendor, units, section=f"Province scale: {args.people:,} people")


def http_figures(user) -> list[tuple]:
    """32 users who each read a page for a second before the next (the latency target), then 32 who don't (the capacity)."""
    return http_load(user, think_ms=1000) + [row for row in http_load(user) if "memory" not in row[0]]


def bench_user():
    """Sở Nội vụ's administrator over the whole synthetic province."""
    from django.contrib.auth import get_user_model

    from accounts.models import Role, RoleGrant
    from accounts.services import load_roles
    from orgs.models import UnitVersion

    load_roles()
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"must_change_password": False})
    root = UnitVersion.objects.get(valid_to__isnull=True, parent__isnull=True).unit
    RoleGrant.objects.get_or_create(user=user, role=Role.objects.get(code="doha_admin"), unit=root,
                                    defaults={"valid_from": datetime.date(2025, 1, 1)})
    return user


# The worker's side of an export, in a process of its own so that its peak memory is its own: VmHWM, as Linux keeps the
# parent's peak at the fork in getrusage's maxrss across exec (it showed the bench's own 300 MB).
EXPORT_CHILD = """
import json, pathlib, sys, time
import django
django.setup()
from reports.exports import produce
from reports.models import ExportJob
job = ExportJob.objects.select_related("requested_by").get(pk=int(sys.argv[1]))
start = time.perf_counter()
produce(job)
peak = next(int(line.split()[1]) for line in pathlib.Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
print(json.dumps({"ms": (time.perf_counter() - start) * 1000, "peak_kb": peak,
                  "state": job.state, "error": job.error, "rows": job.done, "size": job.size}))
"""


def people_export(user) -> list[tuple]:
    """The whole province's people list, every column, to XLSX as the worker writes it; the file is deleted afterwards."""
    import json
    import subprocess

    from django.core.files.storage import default_storage

    from reports.exports import request_export
    from reports.models import ExportJob

    job = request_export(user, params={}, format="xlsx")  # large: left for the worker (the dummy backend here)
    done = subprocess.run([sys.executable, "-c", EXPORT_CHILD, str(job.pk)], cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    job.refresh_from_db()
    if job.storage_name:
        default_storage.delete(job.storage_name)
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.EXPIRED, storage_name="")
    if result["state"] != "done":
        raise SystemExit(f"The export failed: {result['error']}")
    peak = result["peak_kb"] / 1024
    return [(f"people list to XLSX, {result['rows']} rows × {len(job.columns)} columns ({result['size'] / 2**20:.0f} MB file, worker process)",
             "< 60000 ms", result["ms"], None, result["ms"] < 60_000),
            ("same export, peak memory of the worker process (resident)", "< 300 MB", peak, None, peak < 300)]


def import_validation(user, target: int = 10_000) -> list[tuple]:
    """A legacy workbook of `target` rows in the import template's sheets (synthetic people with their lists: work history,
    family, training...), checked as the worker checks a dry run (R-9.1); in a transaction rolled back afterwards."""
    import xlsxwriter
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.utils import timezone

    from imports import services
    from imports.models import ImportJob
    from orgs.models import UnitVersion
    from people.form import SECTIONS
    from people.synthetic import SEQUENCE_LIMIT, synthetic_people

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheets = {sec.name: [book.add_worksheet(sec.name), services.sheet_columns(sec), 1] for sec in SECTIONS}
    for sheet, columns, _next in sheets.values():
        sheet.write_row(0, 0, [column.header for column in columns])
    rows = count = 0
    # Sequence numbers at the top of the range: citizen IDs no synthetic person of the bench database holds.
    for record in synthetic_people(target, seed=9, today=timezone.localdate(), first=SEQUENCE_LIMIT - target):
        citizen_id = record["identity"]["citizen_id"]
        for sec in SECTIONS:
            entry = sheets[sec.name]
            for values in record[sec.name] if sec.repeating else [record[sec.name]] if record[sec.name] else []:
                entry[0].write_row(entry[2], 0, [None if c.key == "unit" else citizen_id if c.section is None else values.get(c.field)
                                                 for c in entry[1]])
                entry[2] += 1
                rows += 1
        count += 1
        if rows >= target:
            break
    book.close()
    unit = UnitVersion.objects.filter(valid_to__isnull=True).exclude(code="").order_by("code").first().unit
    with transaction.atomic():
        job = services.start_import(user, SimpleUploadedFile("bench.xlsx", out.getvalue()), dry_run=True, unit=unit)
        start = time.perf_counter()
        services.validate(job)
        elapsed = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    valid = job.state == ImportJob.State.VALID
    outcome = "" if valid else f", {len(job.errors)} errors: {job.errors[0]['message'][:80]}"
    return [(f"import: {job.rows_done:,} rows validated ({count} people, {len(out.getvalue()) / 2**20:.1f} MB XLSX, dry run{outcome})",
             "< 60000 ms", elapsed, None, elapsed < 60_000 and valid)]


def national_people(target: int) -> list[tuple]:
    """The country's people, as populations of at most a million each (a citizen ID's serial has six digits), each
    drawn from a seed of its own; the rare citizen ID two populations share is skipped."""
    from django.utils import timezone

    from people.models import Person
    from people.synthetic import SEQUENCE_LIMIT, load_synthetic

    start, population = time.perf_counter(), 0
    while (people := Person.objects.count()) < target:
        load_synthetic(min(target - people, SEQUENCE_LIMIT), seed=3000 + population, today=timezone.localdate(), first=0,
                       progress=lambda done, base=people: print(f"  {base + done:,} people", file=sys.stderr) if done % 100_000 == 0 else None)
        population += 1
    if not population:
        return []
    return [(f"load {target:,} synthetic people ({population} populations, batches of 1000)", "", (time.perf_counter() - start) * 1000,
             None, None)]


def people_search(user, target: int, limit_ms: int = 50) -> list[tuple]:
    """Search for people as a province-wide administrator, next to the raw SQL of the same name search."""
    from django.db import connection
    from django.utils import timezone

    from accounts import authz
    from orgs.models import UnitVersion
    from people.models import Person
    from people.services import PeopleQuery, search_people
    from people.synthetic import load_synthetic

    rows = []
    people = Person.objects.count()
    if people < target:
        start = time.perf_counter()
        load_synthetic(target - people, seed=2025, today=timezone.localdate())
        rows.append((f"load {target - people} synthetic people (gen_synthetic, batches of 1000)", "", (time.perf_counter() - start) * 1000,
                     None, None))
        people = Person.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("analyze people_person")

    def page(query: PeopleQuery):
        authz.forget(user)  # each search is a new request
        found = search_people(user, query)
        return list(found[:50]), found.count()

    columns = ", ".join(field.column for field in Person._meta.concrete_fields)

    def raw_page(text: str):
        """The SQL the application sends for a name search, minus the application (scope, ORM, pagination)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM people_person WHERE search_key LIKE %s ORDER BY search_key || '', id LIMIT 50", [f"%{text}%"])
            first = cursor.fetchall()
            cursor.execute("SELECT count(*) FROM people_person WHERE search_key LIKE %s", [f"%{text}%"])
            return first, cursor.fetchone()[0]

    for text in NAME_FRAGMENTS:  # warm the caches
        page(PeopleQuery(text=text))
        raw_page(text)
    orm_ms = [timed(lambda text=text: page(PeopleQuery(text=text)), 1)[0] for text in NAME_FRAGMENTS]
    raw_ms = [timed(lambda text=text: raw_page(text), 1)[0] for text in NAME_FRAGMENTS]
    rows.append((f"people search by name, first page + count ({people:,} people, {len(NAME_FRAGMENTS)} names)", f"p95 < {limit_ms} ms",
                 statistics.median(orm_ms), p95(orm_ms), p95(orm_ms) < limit_ms))
    rows.append(("same name search in raw SQL (LIKE, first page + count)", "", statistics.median(raw_ms), p95(raw_ms), None))
    rows.append(("people search / raw SQL (median ratio)", "", statistics.median(orm_ms) / statistics.median(raw_ms), None, None))
    rows.append(("people search / raw SQL (p95 ratio)", "≤ 2×", p95(orm_ms) / p95(raw_ms), None, p95(orm_ms) <= 2 * p95(raw_ms)))

    root = UnitVersion.objects.get(valid_to__isnull=True, parent__isnull=True).unit_id
    tops = list(UnitVersion.objects.filter(valid_to__isnull=True, parent_id=root).order_by("code").values_list("unit_id", flat=True)[:10])
    filtered = [PeopleQuery(unit_id=unit, category=category) for unit in tops for category in ("CC", "VC")]
    filtered += [PeopleQuery(age_from=low, age_to=low + 9, gender=gender) for low in (25, 35, 45, 55) for gender in ("1", "2")]
    filtered += [PeopleQuery(text="nguyen", unit_id=unit, category="VC") for unit in tops[:4]]
    def sql_of(query: PeopleQuery) -> tuple[tuple, tuple]:
        """The page's and the count's SQL as the application sends them (scope and filters resolved)."""
        found = search_people(user, query)
        count_sql, count_params = found.order_by().values("pk").query.sql_with_params()
        return found[:50].query.sql_with_params(), (f"SELECT count(*) FROM ({count_sql}) found", count_params)

    def raw_filtered(statements):
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()

    statements = [sql_of(query) for query in filtered]
    for query, sql in zip(filtered, statements, strict=True):
        page(query)
        raw_filtered(sql)
    filtered_ms = [timed(lambda query=query: page(query), 1)[0] for query in filtered]
    raw_filtered_ms = [timed(lambda sql=sql: raw_filtered(sql), 1)[0] for sql in statements]
    rows.append((f"filtered people search: unit subtree + category, age band + sex ({len(filtered)} searches)", f"p95 < {limit_ms} ms",
                 statistics.median(filtered_ms), p95(filtered_ms), p95(filtered_ms) < limit_ms))
    rows.append(("same filtered searches in raw SQL (the application's SQL, first page + count)", "", statistics.median(raw_filtered_ms),
                 p95(raw_filtered_ms), None))
    rows.append(("filtered search / raw SQL (p95 ratio)", "≤ 2×", p95(filtered_ms) / p95(raw_filtered_ms), None,
                 p95(filtered_ms) <= 2 * p95(raw_filtered_ms)))
    return rows


def approval_signatures(user) -> list[tuple]:
    """The whole first campaign is signed once (kept in the bench database, R-19.1); a head-level approver signs 1,000 new
    records in one batch with a software key (timed, rolled back); every stored signature is verified again by
    `verify_approvals` on both cores."""
    from cryptography.hazmat.primitives import serialization
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings
    from django.utils import timezone

    from approvals import services
    from approvals.models import VersionSignature
    from approvals.signing import SoftwareSigner
    from approvals.testca import TestCA
    from common.crypto import blind_index
    from people.synthetic import load_synthetic

    # The campaign's signatures stay in the bench database, so its CA does too; signatures of a CA since lost are dropped.
    saved = settings.VAR_DIR / "bench-ca.pem"
    if saved.exists():
        ca = TestCA.load(saved)
    else:
        ca = TestCA()
        ca.save(saved)
        VersionSignature.objects.all().delete()
    roots = settings.VAR_DIR / "bench-trust-roots.pem"
    roots.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    signer = SoftwareSigner(ca.pkcs12("Bench signer", b"bench", citizen_id="079000000999"), b"bench")
    user.citizen_id_index = blind_index("079000000999")
    user.save(update_fields=["citizen_id_index"])

    def unsigned_tokens(limit):
        people = services.unsigned_people(user, timezone.localdate())[:limit]
        return [services.version_token(pk, version) for pk, version in people.values_list("pk", "version")]

    with override_settings(APPROVAL_WINDOW_DAYS=31, APPROVAL_TRUST_ROOTS=roots):
        services.trust_roots.cache_clear()
        while tokens := unsigned_tokens(5000):
            services.approve(user, tokens, signer)
        with transaction.atomic():  # 1,000 new records, signed in one batch, then rolled back
            load_synthetic(1000, seed=7, today=timezone.localdate())
            tokens = unsigned_tokens(1000)
            start = time.perf_counter()
            signed = len(services.approve(user, tokens, signer)) if tokens else 0
            sign_ms = (time.perf_counter() - start) * 1000
            transaction.set_rollback(True)
        stored = VersionSignature.objects.count()
        start = time.perf_counter()
        call_command("verify_approvals", "--workers", "2", stdout=io.StringIO())
        verify_ms = (time.perf_counter() - start) * 1000
    services.trust_roots.cache_clear()
    return [(f"approve and sign {signed} records in one batch (software key)", "< 10000 ms", sign_ms, None, sign_ms < 10_000 if signed else None),
            (f"verify all {stored} stored signatures again (verify_approvals, 2 workers)", "100,000 in < 300000 ms", verify_ms, None,
             verify_ms / max(stored, 1) * 100_000 < 300_000 if stored else None)]


def obligations(user) -> list[tuple]:
    """Every obligation derived from the data for the whole province (all new, then again with nothing new), the
    dashboards' counts, the province's dashboard page, and the day's reminders; in a transaction rolled back afterwards."""
    from django.db import transaction
    from django.test import Client

    from compliance.annual import figures as annual_figures
    from compliance.dashboards import take_snapshot
    from compliance.quality import RECORD_BUDGET, run_checks
    from compliance.reminders import send_reminders
    from compliance.services import refresh
    from compliance.workdays import add_working_days
    from orgs.services import children_map
    from people.models import Person

    people = Person.objects.count()
    with transaction.atomic():
        start = time.perf_counter()
        first = refresh()
        first_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        refresh()
        again_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        units = take_snapshot()
        snapshot_ms = (time.perf_counter() - start) * 1000
        client = Client()
        client.force_login(user)
        client.get("/compliance/")
        page_ms = timed(lambda: client.get("/compliance/"), 20)
        client.get("/compliance/par/")
        par_ms = timed(lambda: client.get("/compliance/par/"), 20)
        root = children_map(datetime.date.today())[None][0]
        start = time.perf_counter()
        annual_figures(root, datetime.date.today().year, datetime.date.today())
        figures_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        findings = run_checks(record_budget=0)["opened"]
        checks_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        record_findings = run_checks(record_budget=RECORD_BUDGET)["opened"]
        records_ms = (time.perf_counter() - start) * 1000
        late = add_working_days(datetime.date.today(), 8)  # every account the province still owes is then overdue
        start = time.perf_counter()
        sent = send_reminders(late)
        remind_ms = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    settle()
    return [(f"recompute every obligation for {people} people, from nothing ({first['created']} created)", "< 60000 ms", first_ms, None,
             first_ms < 60_000),
            ("recompute every obligation again (nightly, nothing new)", "< 60000 ms", again_ms, None, again_ms < 60_000),
            (f"count the dashboards of all {units} units with records", "", snapshot_ms, None, None),
            ("recompute obligations and dashboards (nightly total)", "< 60000 ms", again_ms + snapshot_ms, None,
             again_ms + snapshot_ms < 60_000),
            ("the province's dashboard page, server time", "p95 < 300 ms", statistics.median(page_ms), p95(page_ms), p95(page_ms) < 300),
            ("the province's PAR ranking page, server time", "p95 < 300 ms", statistics.median(par_ms), p95(par_ms), p95(par_ms) < 300),
            ("the province's annual report figures", "< 5000 ms", figures_ms, None, figures_ms < 5000),
            (f"data-quality checks of the whole province, records' fields aside ({findings} findings)", "", checks_ms, None, None),
            (f"a night's reading of {RECORD_BUDGET} records against the form's rules ({record_findings} findings)", "< 60000 ms",
             records_ms, None, records_ms < 60_000),
            (f"the day's reminders 8 working days later ({sent} added)", "", remind_ms, None, None)]


def use_of_data(user) -> list[tuple]:
    """The Ministry's standard form for the province and for one unit, and a two-dimension count over the province."""
    from django.db.models import Count

    from orgs.services import children_map
    from people.models import Person
    from people.services import PeopleQuery
    from reports import standard_forms
    from reports import statistics as counts

    root = children_map(datetime.date.today())[None][0]
    biggest = Person.objects.values("unit_id").annotate(n=Count("pk")).order_by("-n").first()["unit_id"]
    province_ms = timed(lambda: standard_forms.build(user, "civil-servants", root), 5)
    unit_ms = timed(lambda: standard_forms.build(user, "civil-servants", biggest), 20)
    past = datetime.date.today() - datetime.timedelta(days=30)
    past_ms = timed(lambda: standard_forms.build(user, "civil-servants", root, past), 3)
    two_ms = timed(lambda: counts.aggregate(user, "unit", "qualification", PeopleQuery()), 5)
    age_ms = timed(lambda: counts.aggregate(user, "age_band", "gender", PeopleQuery()), 5)
    return [("standard quantity-and-quality form, whole province", "p95 < 2000 ms", statistics.median(province_ms), p95(province_ms),
             p95(province_ms) < 2000),
            ("standard form, the largest unit", "p95 < 200 ms", statistics.median(unit_ms), p95(unit_ms), p95(unit_ms) < 200),
            ("standard form, whole province, 30 days ago (from versions)", "", statistics.median(past_ms), p95(past_ms), None),
            ("two-dimension count, unit × qualification, whole province", "p95 < 1000 ms", statistics.median(two_ms), p95(two_ms),
             p95(two_ms) < 1000),
            ("two-dimension count, age band × sex, whole province", "p95 < 1000 ms", statistics.median(age_ms), p95(age_ms),
             p95(age_ms) < 1000)]


def report(rows, vendor: str, units: int, write: bool = True, section: str = "") -> None:
    """Print the table; with `section`, also put it under that heading of bench/results.md, the other sections kept."""
    header = "| figure | target | median | p95 | result |\n|---|---|---|---|---|\n"
    lines = []
    for name, target, median, p95_value, ok in rows:
        unit = "×" if "ratio" in name else " MB" if "memory" in name else " req/s" if "throughput" in name else " ms"
        lines.append(f"| {name} | {target} | {median:.1f}{unit} | {'' if p95_value is None else f'{p95_value:.1f} ms'} | "
                     f"{'' if ok is None else ('pass' if ok else 'FAIL')} |")
    table = header + "\n".join(lines)
    print(table)
    if not write:
        return
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 2**20 for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
    machine = f"{cpu}, {os.cpu_count()} cores, {memory} GB, Python {platform.python_version()}, database {vendor}, {units} units"
    path = ROOT / "bench" / "results.md"
    sections = {}
    if path.exists():
        for part in path.read_text(encoding="utf-8").split("\n## ")[1:]:
            title, _, body = part.partition("\n")
            sections[title.strip()] = body.strip()
    sections[section] = f"Measured {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {machine}.\n\n{table}"
    body = "\n\n".join(f"## {title}\n\n{text}" for title, text in sections.items())
    path.write_text(f"# Benchmark results\n\n`make bench` (province) and `make bench BENCH_ARGS=--national`.\n\n{body}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
