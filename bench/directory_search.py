"""Directory search latency on a large group, through the whole Django stack.

    psql -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE carehub_dir_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carehub_dir_bench REDIS_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/directory_search.py [--sites 200] [--staff-per-site 100] [--queries 200]

What it does:
1. Migrates the database named by DATABASE_URL (PostgreSQL) and seeds it with
   ``manage.py seed_demo --sites N --staff-per-site M --residents-per-site 0
   --note-days 0 --allow-production`` (idempotent: a second run reuses the data).
2. Signs in the demo nurse with a verified second factor (test client, HTTPS),
   then sends ``--queries`` varied searches: full names typed without accents,
   prefixes, one-typo names, jobs in French, site and unit names, extensions,
   languages, two-word queries, and the same with site / job / on-call filters,
   half of them as htmx fragment requests as the page makes while typing.
3. Prints the median, p95 and max of the full request time (middleware, policy,
   search, rendering and the access-log append included), and the same for the
   search queries alone (selector, no HTTP).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def typo(word: str, rng: random.Random) -> str:
    """One wrong letter, away from the first one (people rarely miss the first)."""
    if len(word) < 5:
        return word
    i = rng.randrange(2, len(word) - 1)
    return word[:i] + rng.choice("aeioumnrst".replace(word[i], "")) + word[i + 1 :]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--staff-per-site", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of your own (see the docstring).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True, cwd=ROOT)
    subprocess.run([*manage, "createcachetable"], check=True, cwd=ROOT)
    started = time.perf_counter()
    subprocess.run(
        [
            *manage,
            "seed_demo",
            "--sites",
            str(args.sites),
            "--staff-per-site",
            str(args.staff_per_site),
            "--residents-per-site",
            "0",
            "--note-days",
            "0",
            "--allow-production",
            "-v",
            "0",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    print(f"seed_demo: {time.perf_counter() - started:.1f} s")

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from directory import selectors
    from directory.models import Job, Site, StaffProfile, Unit

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE directory_staffprofile; ANALYZE directory_assignment; ANALYZE accounts_user")
    staff_count = StaffProfile.objects.count()
    print(f"staff profiles: {staff_count}, sites: {Site.objects.count()}")

    # Static URLs without a collected manifest: the bench must not need collectstatic.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages).enable()

    viewer = User.objects.get(email="infirmiere@demo.carehub.example")
    client = Client()
    client.force_login(viewer, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=viewer, confirmed=True).first()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    rng = random.Random(args.seed)
    sample = list(
        StaffProfile.objects.select_related("user")
        .order_by("?")
        .values_list("user__first_name", "user__last_name", "phone_extension")[:400]
    )
    sites = list(Site.objects.all())
    units = list(Unit.objects.values_list("name", flat=True).distinct())
    french_jobs = ["infirmiere", "aide soignante", "kine", "psychologue", "ash", "medecin", "idec", "animatrice"]
    languages = ["portugais", "espagnol", "arabe", "anglais", "wolof", "roumain", "creole", "italien"]

    def query() -> dict:
        first, last, extension = rng.choice(sample)
        kind = rng.randrange(10)
        q = {
            0: lambda: plain(f"{first} {last}"),
            1: lambda: plain(last)[: rng.randint(3, 5)],
            2: lambda: typo(plain(last), rng),
            3: lambda: plain(first),
            4: lambda: rng.choice(french_jobs),
            5: lambda: plain(rng.choice(sites).name.split("—")[0].split()[-1]),
            6: lambda: plain(rng.choice(units)),
            7: lambda: extension,
            8: lambda: f"{rng.choice(french_jobs)} {rng.choice(languages)}",
            9: lambda: plain(last)[:4] + " " + plain(first)[:2],
        }[kind]()
        params = {"q": q}
        extra = rng.randrange(6)
        if extra == 0:
            params["site"] = str(rng.choice(sites).public_id)
        elif extra == 1:
            params["job"] = rng.choice([Job.NURSE, Job.CARE_ASSISTANT, Job.HOUSEKEEPING])
        elif extra == 2:
            params["on_call"] = "on"
        return params

    queries = [query() for _ in range(args.queries)]
    # Warm-up: connections, template loading, first plans.
    for params in queries[:10]:
        client.get("/directory/", params, secure=True)

    http_times, empty = [], 0
    for n, params in enumerate(queries):
        headers = {"HTTP_HX_REQUEST": "true"} if n % 2 else {}
        t0 = time.perf_counter()
        response = client.get("/directory/", params, secure=True, **headers)
        http_times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            sys.exit(f"{params}: HTTP {response.status_code}")
        if b"person__name" not in response.content:
            empty += 1

    sql_times = []
    for params in queries:
        filters = selectors.SearchFilters(
            query=params["q"],
            site=next((s for s in sites if str(s.public_id) == params.get("site")), None),
            job=params.get("job", ""),
            on_call=bool(params.get("on_call")),
        )
        t0 = time.perf_counter()
        selectors.directory_search(viewer=viewer, filters=filters, all_sites=sites)
        sql_times.append((time.perf_counter() - t0) * 1000)

    def line(label, values):
        return (
            f"{label:<34} median {statistics.median(values):6.1f} ms   p95 {percentile(values, 95):6.1f} ms"
            f"   max {max(values):6.1f} ms"
        )

    print(f"{len(queries)} searches over {staff_count} staff ({empty} with no result)")
    print(line("HTTP request (page or fragment)", http_times))
    print(line("search selector only", sql_times))


if __name__ == "__main__":
    main()
