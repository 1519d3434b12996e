"""Benchmark: the handover page and the full-text search of care notes on PostgreSQL.

Target (issue 4): with 40 residents per unit and about one year of notes (~500k notes
across the group), the handover page and a full-text search each answer in under
100 ms at the median. Prints median and p95 of full requests (middleware, access log,
templates included) and of the selectors alone.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE carehub_coord_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carehub_coord_bench \\
        .venv/bin/python bench/coordination_handover.py [--sites 6] [--days 365] [--runs 40]

The first run seeds the database (a few minutes); later runs reuse it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
os.environ.setdefault("DEBUG", "1")  # plain static storage: no manifest needed

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

SEARCHES = ["douleur hanche", "chute", "refus petit-déjeuner", "fausse route", "escarre talon", "agitation sortie"]


def percentile(values, q):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def report(name, samples, cpu=None):
    ms = [s * 1000 for s in samples]
    line = f"  {name:<46} median {statistics.median(ms):7.1f} ms   p95 {percentile(ms, 95):7.1f} ms"
    if cpu:
        line += f"   (this process's CPU: median {statistics.median(cpu) * 1000:6.1f} ms)"
    print(line + f"   n={len(ms)}")


class Timer:
    """Wall time, and CPU time of this process (Python work without waiting for the database
    or for a CPU shared with other jobs)."""

    def __init__(self):
        self.wall, self.cpu = [], []

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall.append(time.perf_counter() - self._w)
        self.cpu.append(time.process_time() - self._c)


def seed(args):
    from carehub.demo import DemoContext
    from coordination import demo
    from coordination.models import Resident
    from directory import demo as directory_demo

    if Resident.objects.exists():
        return
    print(f"seeding {args.sites} sites, {args.residents_per_unit} residents per unit, {args.days} days of notes…")
    started = time.monotonic()
    ctx = DemoContext(sites=args.sites, staff_per_site=40, residents_per_site=0, note_days=0, seed=args.seed)
    directory_demo.seed(ctx)
    demo.ensure_default_targets()
    rng = random.Random(args.seed)
    with connection.cursor() as cursor:  # faster bulk load: build the GIN index once, at the end
        cursor.execute("DROP INDEX IF EXISTS carenote_search_vector_fr")
    total = 0
    for site in ctx.site_list:
        units = list(site.units.order_by("name"))
        residents = demo.seed_residents(site, units, [args.residents_per_unit] * len(units), rng, ctx.faker)
        total += demo.seed_notes(site, residents, days=args.days, rng=rng)
        print(f"  {site.name}: {len(units)} units, {len(residents)} residents, {total} notes so far")
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX carenote_search_vector_fr ON coordination_carenote USING GIN (search_vector)")
        cursor.execute("ANALYZE")
    print(f"seeded {total} notes in {time.monotonic() - started:.0f} s")


def signed_in_client(user):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--residents-per-unit", type=int, default=40)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (see the docstring).")

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    seed(args)

    from coordination import selectors
    from coordination.models import CareNote, Resident
    from directory.models import Assignment

    notes = CareNote.objects.count()
    residents = Resident.objects.count()
    assignment = (
        Assignment.objects.filter(unit__isnull=False, role=Assignment.Role.STAFF)
        .select_related("user", "unit__site")
        .order_by("site__name", "unit__name", "pk")
        .first()
    )
    user, unit = assignment.user, assignment.unit
    unit_residents = Resident.objects.filter(unit=unit).count()
    print(
        f"database: {residents} residents, {notes} care notes; measuring as {user.email} on {unit} ({unit_residents} residents)"
    )

    client = signed_in_client(user)
    handover_url = reverse("coordination:handover") + f"?unit={unit.public_id}"
    search_url = reverse("coordination:search")
    for _ in range(3):  # warm caches and connections
        assert client.get(handover_url).status_code == 200
        assert client.get(search_url, {"q": "douleur"}).status_code == 200

    timers = {name: Timer() for name in ("handover", "handover_sel", "search", "search_sel", "search_filtered")}
    load_before = os.getloadavg()[0]
    for i in range(args.runs):
        words = SEARCHES[i % len(SEARCHES)]
        with timers["handover"]:
            response = client.get(handover_url)
        assert response.status_code == 200
        with timers["handover_sel"]:
            selectors.handover_build(user, unit=unit)
        with timers["search"]:
            response = client.get(search_url, {"q": words})
        assert response.status_code == 200
        with timers["search_sel"]:
            selectors.note_search_page(user, selectors.SearchFilters(query=words), using_postgres=True, limit=26)
        with timers["search_filtered"]:
            response = client.get(search_url, {"q": words, "unit": str(unit.public_id), "priority": "important"})
        assert response.status_code == 200

    print(
        f"PostgreSQL {connection.pg_version // 10000}, {args.runs} runs each; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)"
    )
    for key, label in (
        ("handover", "handover page (GET, full request)"),
        ("handover_sel", "handover selector only"),
        ("search", "full-text search page (GET, full request)"),
        ("search_sel", "full-text search selector only (26 results)"),
        ("search_filtered", "search page with unit + priority filters"),
    ):
        report(label, timers[key].wall, timers[key].cpu)


if __name__ == "__main__":
    main()
