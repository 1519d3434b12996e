"""The coordinators' panel's long exports, run as background jobs (jobs/registry.py).

Each may be asked for, run and downloaded only by a coordinator (or group admin)
who manages the resident's site at that moment; the access log records the
request (the same "export" entry as when the file was built in the request)
and each download.
"""

from __future__ import annotations

from django.contrib import admin

from jobs.registry import LOG_ENTRY, Kind, Result, register

from . import gdpr

HISTORY_CSV = "backoffice.access_history_csv"
HISTORY_PDF = "backoffice.access_history_pdf"
RECORD_ZIP = "backoffice.gdpr_record_zip"


def _resident(parameters: dict, user=None):
    from coordination.models import Resident

    residents = Resident.objects.select_related("site", "unit")
    if user is not None:
        residents = residents.managed_by(user)
    return residents.filter(public_id=parameters.get("resident")).first()


def _manages_resident(user, parameters: dict) -> bool:
    return _resident(parameters, user) is not None


def _coordinator_page(request) -> bool:
    return admin.site.has_permission(request)


def _history_csv(*, job, progress) -> Result:
    resident = _resident(job.parameters)
    return Result(
        gdpr.access_history_csv(resident, progress=progress, before_id=job.parameters.get(LOG_ENTRY)),
        gdpr.record_file_name(resident, what=gdpr.HISTORY_NAME, extension="csv"),
        "text/csv; charset=utf-8",
    )


def _history_pdf(*, job, progress) -> Result:
    resident = _resident(job.parameters)
    return Result(
        gdpr.access_history_pdf(resident, progress=progress, before_id=job.parameters.get(LOG_ENTRY)),
        gdpr.record_file_name(resident, what=gdpr.HISTORY_NAME, extension="pdf"),
        "application/pdf",
    )


def _record_zip(*, job, progress) -> Result:
    resident = _resident(job.parameters)
    return Result(
        gdpr.resident_record_zip(resident=resident, progress=progress, before_id=job.parameters.get(LOG_ENTRY)),
        gdpr.record_file_name(resident, what=gdpr.RECORD_NAME, extension="zip"),
        "application/zip",
    )


for name, run, query in (
    (HISTORY_CSV, _history_csv, "access history (CSV)"),
    (HISTORY_PDF, _history_pdf, "access history (PDF)"),
    (RECORD_ZIP, _record_zip, "GDPR record export (ZIP)"),
):
    register(
        Kind(
            name=name,
            run=run,
            allowed=_manages_resident,
            subject=_resident,
            may_request=_coordinator_page,
            log_query=query,
        )
    )
