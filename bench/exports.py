"""Benchmark: a resident's access-history PDF and CSV (6,000 entries) and GDPR ZIP, as a coordinator asks for them.

Issue 15: the access-history PDF of 6,000 entries took 9 s of CPU and 219 MiB in
the request (the cap is 50,000 entries, BACKOFFICE_HISTORY_EXPORT_MAX_ROWS); the
GDPR ZIP was also built in the request. For each export it prints, and writes
to ``--out`` as JSON:

- before the jobs app (exports built in the request): the request's wall time,
  its CPU time and the peak of Python allocations during it (tracemalloc, a
  second run: tracing slows the code down, so times come from the first run);
- with the jobs app (exports run as Celery tasks): the same for the POST that
  queues the job (the task is held back), then the same for the task alone.

It seeds its own data in a fresh SQLite file and media folder under a temporary
directory (nothing is read from or written to var/), or in the PostgreSQL
database named by DATABASE_URL if set (the bench's own, as in bench/README.md)::

    .venv/bin/python bench/exports.py --out bench/results/exports-before.json
    .venv/bin/python bench/exports.py --rows 6000 --notes 2000 --documents 40 --out FILE.json

Without REDIS_URL Celery is eager; the bench holds the task back itself to time
the request and the task apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
os.environ.setdefault("DEBUG", "1")  # plain static storage: no manifest needed
_TMP = tempfile.mkdtemp(prefix="carehub-bench-exports-")
os.environ.setdefault("MEDIA_ROOT", str(Path(_TMP) / "media"))
if not os.environ.get("DATABASE_URL"):
    os.environ["SQLITE_PATH"] = str(Path(_TMP) / "bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

MIB = 1024 * 1024


def seed(*, rows: int, notes: int, documents: int):
    from accounts.models import User
    from carehub.models import AccessLog
    from coordination.models import CareNote, Resident, Target
    from directory.models import Assignment, Site, Unit
    from documents.services import document_upload, resident_folder_get_or_create

    site = Site.objects.create(name="EHPAD Bench")
    unit = Unit.objects.create(site=site, name="Unité A")
    coordinator = User.objects.create(
        email="bench.coord@carehub.test", first_name="Claire", last_name="Coord", is_staff=True
    )
    Assignment.objects.create(user=coordinator, site=site, role="coordinator", is_primary=True)
    staff = User.objects.bulk_create(
        [User(email=f"bench.staff{i}@carehub.test", first_name="Agent", last_name=f"N{i}") for i in range(50)]
    )
    Assignment.objects.bulk_create([Assignment(user=u, site=site, unit=unit, is_primary=True) for u in staff])
    history = Resident.objects.create(site=site, unit=unit, first_name="Marie", last_name="Imbert", room="12")
    record = Resident.objects.create(site=site, unit=unit, first_name="Jean", last_name="Dupont", room="14")

    # The access log: hashes are not chained here (the export does not check the chain).
    actions = ["view"] * 8 + ["download", "export", "search", "print"]
    entries = []
    for i in range(rows):
        user = staff[i % len(staff)]
        entries.append(
            AccessLog(
                user=user,
                actor=user.email,
                action=actions[i % len(actions)],
                object_type="coordination.resident",
                object_id=str(history.public_id),
                object_repr=str(history),
                site_id=site.pk,
                subject_id=history.public_id,
                query="chute nuit" if i % 12 == 10 else "",
                ip=f"10.0.{i % 200}.{i % 250}",
                prev_hash="0" * 64,
                hash=f"{i:064x}",
            )
        )
    AccessLog.objects.bulk_create(entries, batch_size=2000)
    # The record's resident has a tenth as many entries.
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                user=e.user,
                actor=e.actor,
                action=e.action,
                object_type=e.object_type,
                object_id=str(record.public_id),
                object_repr=str(record),
                site_id=site.pk,
                subject_id=record.public_id,
                ip=e.ip,
                prev_hash=e.prev_hash,
                hash=f"{rows + i:064x}",
            )
            for i, e in enumerate(entries[: rows // 10])
        ],
        batch_size=2000,
    )

    target = Target.objects.get_or_create(code="bench-pain", defaults={"name_fr": "Douleur", "name_en": "Pain"})[0]
    today = timezone.localdate()
    text = "Se plaint d'une douleur à la hanche gauche au lever, marche avec le déambulateur. " * 3
    CareNote.objects.bulk_create(
        [
            CareNote(
                resident=record,
                site=site,
                unit=unit,
                author=staff[i % len(staff)],
                target=target,
                data=text,
                action="Antalgique donné selon prescription, installé au fauteuil.",
                result="Soulagé après 30 min." if i % 3 == 0 else "",
                shift=("morning", "afternoon", "night")[i % 3],
                shift_date=today - timezone.timedelta(days=i // 6),
            )
            for i in range(notes)
        ],
        batch_size=1000,
    )
    folder = resident_folder_get_or_create(resident=record, user=coordinator)
    for i in range(documents):
        body = (f"Document {i}\n" + "Consignes de soins, plan de soins, compte rendu.\n" * 2000).encode()
        document_upload(
            folder=folder,
            uploaded=SimpleUploadedFile(f"compte-rendu-{i:03d}.txt", body, content_type="text/plain"),
            user=coordinator,
            title=f"Compte rendu {i}",
        )
    return coordinator, history, record


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def measure(run) -> dict:
    """Wall and CPU time of ``run()`` untraced, then the peak of Python allocations in a second, traced run."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    figures = {
        "wall_s": round(time.perf_counter() - started, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
    }
    tracemalloc.start()
    try:
        result = run()  # the result of the last run (a job of the first run may be gone)
        figures["peak_python_mib"] = round(tracemalloc.get_traced_memory()[1] / MIB, 1)
    finally:
        tracemalloc.stop()
    return figures | {"result": result}


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def in_request(client, url: str) -> dict:
    def run():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(body_of(response))

    figures = measure(run)
    figures["bytes"] = figures.pop("result")
    return figures


def as_job(client, url: str) -> dict:
    """The POST that queues the job (task held back), then the task alone."""
    from unittest import mock

    from jobs import tasks
    from jobs.models import Job

    queued: list[int] = []

    def post():
        Job.objects.all().delete()  # a second identical request would reuse the first job
        queued.clear()
        with mock.patch.object(tasks.run_job, "delay", side_effect=queued.append):
            response = client.post(url)
        assert response.status_code == 303, (url, response.status_code)
        return queued[-1]

    request = measure(post)
    job_id = request.pop("result")

    def task():
        Job.objects.filter(pk=job_id).update(status=Job.Status.QUEUED, progress_done=0)
        tasks.run_job(job_id)
        job = Job.objects.get(pk=job_id)
        assert job.status == Job.Status.DONE, (job.status, job.error)
        return job.result_size

    task_figures = measure(task)
    task_figures["bytes"] = task_figures.pop("result")
    return {"request": request, "task": task_figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=6000, help="access-log entries of the resident (default 6000)")
    parser.add_argument("--notes", type=int, default=2000, help="care notes of the GDPR resident (default 2000)")
    parser.add_argument("--documents", type=int, default=40, help="documents of the GDPR resident, ~100 KB each")
    parser.add_argument("--out", type=Path, help="write the figures there as JSON")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"seeding: {args.rows:,} access-log entries, {args.notes:,} notes, {args.documents} documents…")
    coordinator, history, record = seed(rows=args.rows, notes=args.notes, documents=args.documents)
    client = client_for(coordinator)
    background = apps.is_installed("jobs")
    exports = {
        "access_history_pdf": reverse("backoffice:history_pdf", args=[history.public_id]),
        "access_history_csv": reverse("backoffice:history_csv", args=[history.public_id]),
        "gdpr_zip": reverse("backoffice:gdpr_export", args=[record.public_id]),
    }
    figures: dict = {
        "mode": "background job (Celery task)" if background else "in the request",
        "database": connection.vendor,
        "rows": args.rows,
        "notes": args.notes,
        "documents": args.documents,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    for name, url in exports.items():
        figures[name] = as_job(client, url) if background else in_request(client, url)
        print(f"  {name}: {json.dumps(figures[name])}")
    figures["process_max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
