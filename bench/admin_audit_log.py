"""Benchmark: the audit viewer's first page on a 1,000,000-entry access log (PostgreSQL).

Target (issue 8): the access log paginates without counting every row on each page.
Seeds a hash-chained access log (valid prev_hash/hash chain, written with COPY),
then times full requests of the admin changelist (middleware, 2FA, templates
included) as a group admin and as a coordinator, with and without filters, and
prints median and p95. For comparison it also times the COUNT(*) that the
paginator avoids.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carehub_admin_bench \\
        .venv/bin/python bench/admin_audit_log.py [--rows 1000000] [--runs 25]

The database is created if missing; the first run seeds it (about a minute per
million rows), later runs reuse it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
os.environ.setdefault("DEBUG", "1")  # plain static storage: no manifest needed


def _ensure_database() -> None:
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/carehub_admin_bench"
        )
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


_ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from carehub.models import GENESIS_HASH, AccessLog, AccessLogHead  # noqa: E402


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def report(name, samples):
    ms = [s * 1000 for s in samples]
    print(f"  {name:<58} median {statistics.median(ms):8.1f} ms   p95 {percentile(ms, 95):8.1f} ms   (n={len(ms)})")


def seed_people():
    from accounts.models import User
    from directory.models import Assignment, Site

    sites = list(Site.objects.filter(name__startswith="Bench site"))
    if not sites:
        sites = Site.objects.bulk_create([Site(name=f"Bench site {i:02d}") for i in range(20)])
    admin, _ = User.objects.get_or_create(
        email="bench.admin@carehub.test", defaults={"is_staff": True, "is_group_admin": True}
    )
    coordinator, created = User.objects.get_or_create(email="bench.coord@carehub.test", defaults={"is_staff": True})
    if created:
        Assignment.objects.create(user=coordinator, site=sites[0], role="coordinator", is_primary=True)
    staff = list(User.objects.filter(email__startswith="bench.staff"))
    if not staff:
        staff = User.objects.bulk_create(
            [User(email=f"bench.staff{i}@carehub.test", first_name="Agent", last_name=f"N{i}") for i in range(200)]
        )
        Assignment.objects.bulk_create(
            [Assignment(user=u, site=sites[i % len(sites)], is_primary=True) for i, u in enumerate(staff)]
        )
    return sites, admin, coordinator, staff


def seed_log(rows: int, sites, staff) -> None:
    existing = AccessLog.objects.count()
    if existing >= rows:
        print(f"access log already holds {existing:,} entries")
        return
    print(f"seeding {rows - existing:,} access-log entries (valid hash chain, COPY)…")
    started = time.perf_counter()
    head, _ = AccessLogHead.objects.get_or_create(pk=1)
    prev = head.last_hash or GENESIS_HASH
    rng = random.Random(8)
    residents = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(5000)]
    actions = ["view"] * 8 + ["download", "export", "search", "print"]
    now = timezone.now()
    span = datetime.timedelta(days=365)
    todo = rows - existing
    columns = (
        "at",
        "user_id",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "site_id",
        "subject_id",
        "query",
        "ip",
        "user_agent",
        "prev_hash",
        "hash",
    )
    entry = AccessLog()
    last_hash = prev
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY carehub_accesslog ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608
            for i in range(todo):
                user = staff[rng.randrange(len(staff))]
                subject = residents[rng.randrange(len(residents))]
                entry.at = now - span + span * (i / todo)
                entry.user_id = user.pk
                entry.actor = user.email
                entry.action = actions[rng.randrange(len(actions))]
                entry.object_type = "coordination.resident"
                entry.object_id = str(subject)
                entry.object_repr = f"RÉSIDENT{subject.int % 5000:04d} Rose"
                entry.site_id = sites[subject.int % len(sites)].pk
                entry.subject_id = subject
                entry.query = "douleur" if entry.action == "search" else ""
                entry.ip = f"10.0.{i % 250}.{(i // 250) % 250 + 1}"
                entry.user_agent = "Mozilla/5.0 (bench)"
                entry.prev_hash = last_hash
                entry.hash = entry.compute_hash()
                copy.write_row(
                    (
                        entry.at,
                        entry.user_id,
                        entry.actor,
                        entry.action,
                        entry.object_type,
                        entry.object_id,
                        entry.object_repr,
                        entry.site_id,
                        str(entry.subject_id),
                        entry.query,
                        entry.ip,
                        entry.user_agent,
                        entry.prev_hash,
                        entry.hash,
                    )
                )
                last_hash = entry.hash
                if i and i % 200_000 == 0:
                    print(f"  … {i:,} ({time.perf_counter() - started:.0f} s)")
        cursor.execute("SELECT max(id) FROM carehub_accesslog")
        last_id = cursor.fetchone()[0]
    AccessLogHead.objects.filter(pk=1).update(last_hash=last_hash, last_id=last_id)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE carehub_accesslog")
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def verified_client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="authenticator", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def timed(client, url, params, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, params, response.status_code)
    return samples, response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    sites, admin, coordinator, staff = seed_people()
    seed_log(args.rows, sites, staff)
    total = AccessLog.objects.count()
    print(f"\naccess log: {total:,} entries; first page of /admin/carehub/accesslog/ (50 rows)")

    url = reverse("admin:carehub_accesslog_changelist")
    admin_client = verified_client(admin)
    coord_client = verified_client(coordinator)
    admin_client.get(url)  # warm caches, connections
    subject = AccessLog.objects.filter(subject_id__isnull=False).order_by("-id").values_list("subject_id", flat=True)[0]
    cases = [
        ("group admin, no filter", admin_client, {}),
        ("group admin, one resident's history (subject_id)", admin_client, {"subject_id__exact": str(subject)}),
        ("group admin, action = export", admin_client, {"action__exact": "export"}),
        ("group admin, one week (date range)", admin_client, {"at__from": "2026-06-01", "at__to": "2026-06-07"}),
        ("group admin, page 50", admin_client, {"p": "50"}),
        ("coordinator of one site (scoped), no filter", coord_client, {}),
    ]
    from django.test.utils import CaptureQueriesContext

    for name, client, params in cases:
        samples, _response = timed(client, url, params, args.runs)
        with CaptureQueriesContext(connection) as queries:
            client.get(url, params)
        counted = any(
            "COUNT(" in q["sql"].upper() and "carehub_accesslog" in q["sql"] for q in queries.captured_queries
        )
        report(f"{name} [{len(queries.captured_queries)} q{', COUNT' if counted else ''}]", samples)

    with connection.cursor() as cursor:
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            cursor.execute("SELECT COUNT(*) FROM carehub_accesslog")
            cursor.fetchone()
            samples.append(time.perf_counter() - started)
    report("for comparison: SELECT COUNT(*) avoided on each page", samples)


if __name__ == "__main__":
    main()
