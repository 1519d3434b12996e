"""The coordinators' panel's long exports and large imports, run as background jobs (jobs/registry.py).

Each export may be asked for, run and downloaded only by a coordinator (or group
admin) who manages the resident's site at that moment; the access log records the
request (the same "export" entry as when the file was built in the request) and
each download. A large CSV import runs the same way; its file is the row-by-row
report.
"""

from __future__ import annotations

from django.contrib import admin

from carehub import policy
from jobs.registry import LOG_ENTRY, Kind, Result, register

from . import gdpr, imports

HISTORY_CSV = "backoffice.access_history_csv"
HISTORY_PDF = "backoffice.access_history_pdf"
RECORD_ZIP = "backoffice.gdpr_record_zip"
IMPORT = "backoffice.csv_import"


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


def _manages_a_site(user, parameters: dict) -> bool:
    return bool(policy.site_ids(user, policy.Scope.MANAGE))


def _import(*, job, progress) -> Result:
    from django.utils import timezone

    from .views import import_summary

    parameters = job.parameters
    plan = imports.apply_import_in_batches(
        kind=parameters["kind"],
        text=parameters["text"],
        user=job.requester,
        send_welcome=parameters.get("send_welcome", False),
        progress=progress,
    )
    if plan.errors:  # the file changed meaning since its preview (a site closed…): nothing was written
        raise ValueError("; ".join(str(e) for e in plan.errors))
    stamp = timezone.localtime().strftime("%Y-%m-%d-%Hh%M")
    return Result(
        imports.plan_report_csv(plan),
        f"import-{parameters['kind']}-{stamp}.csv",
        "text/csv; charset=utf-8",
        summary=import_summary(plan.summary),
    )


register(
    Kind(
        name=IMPORT,
        run=_import,
        allowed=_manages_a_site,
        may_request=_coordinator_page,
        private_parameters=("text",),
    )
)
