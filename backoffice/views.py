"""Pages of the coordinators' panel outside the model admin: dashboard, exports, imports.

Each view is for coordinators and group admins with a verified second factor
(the admin site's own test); anyone else gets 403. Residents are fetched from
``Resident.objects.managed_by(user)``: another site's resident answers 404.
"""

from __future__ import annotations

import hashlib
from http import HTTPStatus

from allauth.account.decorators import reauthentication_required
from django.contrib import admin, messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carehub.access_log import log_access
from carehub.decorators import coordinator_required
from carehub.models import AccessLog
from jobs.services import job_submit

from . import imports, job_kinds
from .charts import notes_chart
from .forms import CsvUploadForm
from .selectors import dashboard_figures

SESSION_IMPORT_KEY = "backoffice_import"
#: Imports writing more rows than this run on the Celery worker, with their progress (a background job).
IMPORT_BACKGROUND_ROWS = 200
IMPORT_TITLES = {
    "staff": gettext_lazy("Import staff from a CSV file"),
    "residents": gettext_lazy("Import residents from a CSV file"),
}


#: What an import did, each count agreeing with its noun ("1 nouvelle fiche", "2 lignes ignorées").
IMPORT_COUNTS = {
    "create": ngettext_lazy("%(count)d new record", "%(count)d new records", "count"),
    "update": ngettext_lazy("%(count)d updated", "%(count)d updated", "count"),
    "unchanged": ngettext_lazy("%(count)d unchanged", "%(count)d unchanged", "count"),
    "errors": ngettext_lazy("%(count)d row skipped", "%(count)d rows skipped", "count"),
}


def import_summary(summary: dict) -> str:
    parts = ", ".join(str(label % {"count": summary[key]}) for key, label in IMPORT_COUNTS.items())
    return _("Import done: %(parts)s.") % {"parts": parts}


def _context(request, **extra):
    return {**admin.site.each_context(request), **extra}


def _managed_resident(request, public_id):
    from coordination.models import Resident

    return get_object_or_404(
        Resident.objects.managed_by(request.user).select_related("site", "unit"), public_id=public_id
    )


# --- Dashboard -------------------------------------------------------------------------------


@require_GET
@coordinator_required
def dashboard(request):
    figures = dashboard_figures(user=request.user)
    for f in figures:
        f.chart = notes_chart(f.notes_per_day, f.site)
    return TemplateResponse(
        request,
        "backoffice/dashboard.html",
        _context(request, title=_("Coordinator dashboard"), figures=figures),
    )


# --- A resident's access history and record --------------------------------------------------


def _retention() -> list[tuple[str, str]]:
    """How long each kind of data is kept, from the settings in force (shown to coordinators)."""
    from django.conf import settings

    def days(value):
        return _("%(n)d days") % {"n": value}

    messages_days = getattr(settings, "MESSAGING_RETENTION_DAYS", 0)
    return [
        (_("Care notes, their corrections and amendments"), _("kept: a medico-legal record, never deleted")),
        (_("Access log (who opened what)"), _("kept: append-only and hash-chained")),
        (_("Change history"), _("kept")),
        (
            _("Messages"),
            days(messages_days) + " (MESSAGING_RETENTION_DAYS)"
            if messages_days
            else _("kept (MESSAGING_RETENTION_DAYS=0)"),
        ),
        (
            _("Documents in the bin"),
            days(getattr(settings, "DOCUMENTS_BIN_RETENTION_DAYS", 30)) + " (DOCUMENTS_BIN_RETENTION_DAYS)",
        ),
        (
            _("Sign-in sessions, at most"),
            _("%(n)d hours") % {"n": settings.SESSION_ABSOLUTE_LIFETIME // 3600} + " (SESSION_ABSOLUTE_LIFETIME)",
        ),
    ]


@require_GET
@coordinator_required
def resident_records(request):
    """Find a resident of the coordinator's sites, then open or export their access history and record."""
    from django.core.paginator import Paginator
    from django.db.models import Q

    from coordination.models import Resident

    query = request.GET.get("q", "").strip()[:100]
    residents = (
        Resident.objects.managed_by(request.user).select_related("site", "unit").order_by("last_name", "first_name")
    )
    if query:
        residents = residents.filter(
            Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(room__iexact=query)
            | Q(external_id=query)
        )
    page = Paginator(residents, 50).get_page(request.GET.get("page"))
    # The list shows names and rooms: a read (a search) of each resident on the page.
    if shown := list(page):
        action = AccessLog.Action.SEARCH if query else AccessLog.Action.VIEW
        log_access(request, action, *shown, query=f"residents' records: {query}" if query else "residents' records")
    return TemplateResponse(
        request,
        "backoffice/resident_records.html",
        _context(
            request,
            title=_("Residents' access history and records"),
            page=page,
            query=query,
            retention=_retention(),
        ),
    )


def _export_job(request, public_id, *, kind: str, title: str):
    """Queue the export as a background job (or find the same one still running): 303 to its page."""
    resident = _managed_resident(request, public_id)  # another site's resident: 404 before anything
    return _export_queue(request, resident=resident, kind=kind, title=title)


# An export carries a resident's whole record or history out of CareHub: a borrowed session is not
# enough, the password is asked again first (allauth's reauthentication; then the POST goes on).
@reauthentication_required
def _export_queue(request, *, resident, kind: str, title: str):
    job = job_submit(
        request=request,
        kind=kind,
        parameters={"resident": str(resident.public_id)},
        title=title % {"resident": resident},
    )
    return _see_other(job.get_absolute_url())


def _see_other(url: str):
    response = redirect(url)
    response.status_code = HTTPStatus.SEE_OTHER  # the form's POST is done: GET the job's page
    return response


@require_POST
@coordinator_required
def resident_access_history_csv(request, public_id):
    return _export_job(request, public_id, kind=job_kinds.HISTORY_CSV, title=_("Access history of %(resident)s (CSV)"))


@require_POST
@coordinator_required
def resident_access_history_pdf(request, public_id):
    return _export_job(request, public_id, kind=job_kinds.HISTORY_PDF, title=_("Access history of %(resident)s (PDF)"))


@require_POST
@coordinator_required
def resident_gdpr_export(request, public_id):
    return _export_job(request, public_id, kind=job_kinds.RECORD_ZIP, title=_("Record of %(resident)s (GDPR, ZIP)"))


# --- CSV imports -----------------------------------------------------------------------------


def _kind_or_404(kind: str) -> str:
    if kind not in imports.KINDS:
        raise Http404
    return kind


@require_http_methods(["GET", "POST"])
@coordinator_required
def import_upload(request, kind):
    """Step 1 and 2: upload a CSV, see what would happen row by row (nothing written)."""
    kind = _kind_or_404(kind)
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    plan = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["file"]
        plan = imports.plan_import(kind=kind, text=text, user=request.user)
        digest = hashlib.sha256(text.encode()).hexdigest()
        # The checked file waits in the session for "apply" (signed, server-side, this user only).
        request.session[SESSION_IMPORT_KEY] = {"kind": kind, "text": text, "digest": digest}
    elif request.method == "POST":
        request.session.pop(SESSION_IMPORT_KEY, None)
    columns = imports.STAFF_COLUMNS if kind == "staff" else imports.RESIDENT_COLUMNS
    return TemplateResponse(
        request,
        "backoffice/import.html",
        _context(
            request,
            title=IMPORT_TITLES[kind],
            kind=kind,
            form=form,
            plan=plan,
            digest=request.session.get(SESSION_IMPORT_KEY, {}).get("digest") if plan else None,
            columns=[(name, imports.COLUMN_LABELS[name], ", ".join(aliases)) for name, aliases in columns.items()],
            required=imports.REQUIRED[kind],
        ),
        # A file refused as a whole (not a table, a column missing) is bad input: 400, like an unreadable one.
        status=400 if request.method == "POST" and (not form.is_valid() or (plan and plan.errors)) else 200,
    )


@require_POST
@coordinator_required
def import_apply(request, kind):
    """Step 3: write the rows of the file that was previewed (re-checked now)."""
    kind = _kind_or_404(kind)
    pending = request.session.get(SESSION_IMPORT_KEY)
    if not pending or pending.get("kind") != kind or pending.get("digest") != request.POST.get("digest"):
        messages.error(request, _("Nothing to import: upload the file again."))
        return redirect("backoffice:import_upload", kind=kind)
    send_welcome = request.POST.get("send_welcome") == "on"
    preview = imports.plan_import(kind=kind, text=pending["text"], user=request.user)
    if not preview.errors and imports.rows_to_write(preview) > IMPORT_BACKGROUND_ROWS:
        # A large file is written on the worker: the job's page shows the progress and the report.
        request.session.pop(SESSION_IMPORT_KEY, None)
        job = job_submit(
            request=request,
            kind=job_kinds.IMPORT,
            parameters={"kind": kind, "text": pending["text"], "send_welcome": send_welcome},
            title=str(IMPORT_TITLES[kind]),
        )
        return _see_other(job.get_absolute_url())
    plan = imports.apply_import(kind=kind, text=pending["text"], user=request.user, send_welcome=send_welcome)
    request.session.pop(SESSION_IMPORT_KEY, None)
    if plan.errors:
        for error in plan.errors:
            messages.error(request, error)
        return redirect("backoffice:import_upload", kind=kind)
    messages.success(request, import_summary(plan.summary))
    target = "admin:accounts_user_changelist" if kind == "staff" else "admin:coordination_resident_changelist"
    return redirect(target)
