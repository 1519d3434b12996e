"""Benchmark: the family news feed on a large care-note table (PostgreSQL).

Target (issue 7): the feed runs a fixed number of queries whatever the number of
notes, and pages by cursor, so the first page and a page deep in the past cost
the same. Seeds one site with many residents and notes (a fifth shared with the
family), links a family account to one resident, then times full requests
(middleware, 2FA, access log, templates included) of the first page, a page 100
pages back (cursor), the "from this day" jump, and the digest count selector.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carehub_portal_bench \\
        .venv/bin/python bench/portal_feed.py [--residents 400] [--notes-per-resident 500] [--runs 40]

The database is created if missing; the first run seeds it, later runs reuse it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
os.environ.setdefault("DEBUG", "1")  # plain static storage: no manifest needed


def _ensure_database() -> None:
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (see the docstring).")
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.replace(parsed.path, "/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


_ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

FAMILY_EMAIL = "bench.family@portal.bench"


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def report(name, samples, queries=None):
    ms = [s * 1000 for s in samples]
    extra = f"   {queries} queries" if queries is not None else ""
    print(f"  {name:<44} median {statistics.median(ms):7.1f} ms   p95 {percentile(ms, 95):7.1f} ms{extra}")


def seed(args):
    from django.contrib.auth import get_user_model

    from coordination.models import CareNote, Resident, Target
    from directory.models import Site
    from portal import services
    from portal.models import Relationship

    User = get_user_model()
    if User.objects.filter(email=FAMILY_EMAIL).exists():
        return
    started = time.monotonic()
    rng = random.Random(2026)
    site = Site.objects.create(name="EHPAD Bench", phone="04 72 00 00 00")
    author = User.objects.create_user(email="bench.nurse@portal.bench", first_name="Hélène", kind="staff")
    target = Target.objects.order_by("sort_order").first() or Target.objects.create(
        code="bench", name_fr="Vie sociale", name_en="Social life"
    )
    residents = Resident.objects.bulk_create(
        Resident(site=site, first_name=f"Résident{i}", last_name="Bench", room=str(i)) for i in range(args.residents)
    )
    now = timezone.now()
    batch = []
    total = 0
    for resident in residents:
        for n in range(args.notes_per_resident):
            created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            batch.append(
                CareNote(
                    resident=resident,
                    site=site,
                    author=author,
                    target=target,
                    data=f"Note {n} : a participé à l'atelier, bon appétit.",
                    shift="morning",
                    shift_date=created.date(),
                    created_at=created,
                    is_family_visible=rng.random() < 0.2,
                )
            )
            if len(batch) >= 20_000:
                CareNote.objects.bulk_create(batch)
                total += len(batch)
                batch = []
    CareNote.objects.bulk_create(batch)
    total += len(batch)
    family = User.objects.create_user(email=FAMILY_EMAIL, first_name="Jeanne", kind="family")
    services.family_link_grant(
        actor=None,
        user=family,
        resident=residents[0],
        relationship=Relationship.CHILD,
        may_see_news=True,
        may_see_documents=True,
        may_see_messages=True,
        checked=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {len(residents)} residents, {total} notes in {time.monotonic() - started:.0f} s")


def _top_up(resident, wanted):
    """The followed resident gets ``wanted`` notes (a fifth shared): a deep feed to page through."""
    from coordination.models import CareNote

    missing = wanted - CareNote.objects.filter(resident=resident).count()
    if missing <= 0:
        return
    template = CareNote.objects.filter(resident=resident).first()
    rng = random.Random(7)
    now = timezone.now()
    CareNote.objects.bulk_create(
        CareNote(
            resident=resident,
            site_id=resident.site_id,
            author_id=template.author_id,
            target_id=template.target_id,
            data="Promenade au jardin, a bien mangé.",
            shift="morning",
            shift_date=now.date(),
            created_at=now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)),
            is_family_visible=rng.random() < 0.2,
        )
        for _ in range(missing)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE coordination_carenote")


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


def timed(client, url, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return samples, len(ctx.captured_queries), response


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=400)
    parser.add_argument("--notes-per-resident", type=int, default=500)
    parser.add_argument("--followed-notes", type=int, default=20_000, help="notes of the followed resident")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    seed(args)

    from django.contrib.auth import get_user_model

    from coordination.models import CareNote
    from portal import selectors
    from portal.models import FamilyLink

    family = get_user_model().objects.get(email=FAMILY_EMAIL)
    link = FamilyLink.objects.select_related("resident").get(user=family)
    resident = link.resident
    _top_up(resident, args.followed_notes)
    shared = CareNote.objects.family_visible().filter(resident=resident).count()
    print(
        f"database: {CareNote.objects.count()} care notes; the relative's resident has "
        f"{CareNote.objects.filter(resident=resident).count()} notes, {shared} shared"
    )
    client = signed_in_client(family)
    news = reverse("portal:news", kwargs={"public_id": resident.public_id})
    for _ in range(3):
        client.get(news)

    first, first_q, _response = timed(client, news, args.runs)
    # Walk 100 pages back by cursor, then time that page.
    cursor = None
    for _ in range(min(100, shared // 20 - 1)):
        page = selectors.news_page(family, resident, cursor=cursor, size=20)
        cursor = page.next_cursor
    deep, deep_q, _response = timed(client, f"{news}?before={cursor}", args.runs)
    day = (timezone.localdate() - timedelta(days=200)).isoformat()
    jump, jump_q, _response = timed(client, f"{news}?day={day}", args.runs)
    selector_first, selector_deep = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        selectors.news_page(family, resident, size=20)
        selector_first.append(time.perf_counter() - started)
        started = time.perf_counter()
        selectors.news_page(family, resident, cursor=cursor, size=20)
        selector_deep.append(time.perf_counter() - started)
    digest = []
    for _ in range(args.runs):
        started = time.perf_counter()
        selectors.news_count_between(family, timezone.now() - timedelta(days=7), timezone.now())
        digest.append(time.perf_counter() - started)

    print(f"PostgreSQL {connection.pg_version // 10000}, {args.runs} runs each (full requests)")
    report("feed, first page", first, first_q)
    report("feed, 100 pages back (cursor)", deep, deep_q)
    report("feed, from a day 200 days ago", jump, jump_q)
    report("feed selector only, first page", selector_first)
    report("feed selector only, 100 pages back", selector_deep)
    report("digest count selector (one week)", digest)


if __name__ == "__main__":
    main()
