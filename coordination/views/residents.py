"""Residents: the list, a resident's page and photo, key alerts, transfer and discharge."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carehub import policy
from carehub.access_log import log_access
from carehub.decorators import staff_required
from carehub.models import AccessLog
from carehub.paging import page_number
from directory.models import Unit

from .. import selectors, services
from ..forms import (
    AlertForm,
    CareNoteForm,
    DischargeForm,
    ResidentFilterForm,
    TransferForm,
)
from ..models import Resident, ResidentAlert
from .common import refusal_page, refused_page, saved_note, visible_units

RESIDENTS_PER_PAGE = 50
NOTES_PER_PAGE = 20


@staff_required
def resident_list(request):
    units = visible_units(request.user)
    form = ResidentFilterForm(request.GET or None, units=units)
    filters = form.cleaned_data if form.is_valid() else {}
    residents = selectors.resident_list(
        request.user,
        query=filters.get("q", ""),
        unit=filters.get("unit"),
        status=filters.get("status") or "current",
        alert=filters.get("alert", ""),
    )
    page = Paginator(residents, RESIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    # The list shows names, rooms and alerts: a read of each resident on the page.
    shown = list(page)
    if filters.get("q"):
        log_access(request, AccessLog.Action.SEARCH, *shown, query=f"residents: {filters['q']}")
    else:
        log_access(request, AccessLog.Action.VIEW, *(shown or [filters.get("unit")]), query="residents list")
    return render(
        request,
        "coordination/resident_list.html",
        {"form": form, "page": page},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@staff_required
def resident_detail(request, public_id):
    user = request.user
    resident = selectors.resident_for_page(user, public_id)
    paginator = Paginator(selectors.resident_timeline(user, resident), NOTES_PER_PAGE)
    page = paginator.get_page(page_number(request))
    notes = list(page.object_list)
    targets = list(selectors.open_targets(user, [resident.pk]))
    read_ids = selectors.read_note_ids(user, [n.pk for n in notes] + [t.pk for t in targets])
    fresh_since = selectors.new_since(user, resident.site)
    selectors.mark_new(notes, read_ids, user, since=fresh_since)
    selectors.mark_new(targets, read_ids, user, since=fresh_since)
    can_write = services.can_write_notes(user, resident) and not resident.is_archived
    form = CareNoteForm(targets=selectors.targets_for_author(user)) if can_write else None
    log_access(request, AccessLog.Action.VIEW, resident)
    return render(
        request,
        "coordination/resident_detail.html",
        {
            "resident": resident,
            "page": page,
            "notes": notes,
            "open_targets": targets,
            "form": form,
            "can_write": can_write,
            "can_manage": services.can_manage(user, resident.site_id),
            "can_maintain_alerts": services.can_maintain_alerts(user, resident) and not resident.is_archived,
            "alert_form": AlertForm(),
            "writing_aids": selectors.writing_aids(resident.site_id) if can_write else {},
            "saved_note": saved_note(request),
        },
    )


@staff_required
def resident_photo(request, public_id):
    resident = policy.get_visible_or_404(Resident, request.user, public_id=public_id)
    if not resident.photo:
        raise Http404
    log_access(request, AccessLog.Action.VIEW, resident)
    return FileResponse(resident.photo.open("rb"), as_attachment=False)


@staff_required
@require_POST
def alert_add(request, public_id):
    resident = policy.get_visible_or_404(Resident, request.user, public_id=public_id)
    back = reverse("coordination:resident_detail", kwargs={"public_id": resident.public_id})
    form = AlertForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The alert was not added: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect(back)
    try:
        services.resident_alert_add(resident=resident, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        return refused_page(request, " ".join(exc.messages), back=back)
    messages.success(request, _("Alert added."))
    return redirect(back)


@staff_required
@require_POST
def alert_end(request, public_id):
    alert = get_object_or_404(
        ResidentAlert.objects.filter(resident__in=Resident.objects.visible_to(request.user)).select_related("resident"),
        public_id=public_id,
    )
    back = reverse("coordination:resident_detail", kwargs={"public_id": alert.resident.public_id})
    try:
        services.resident_alert_end(alert=alert, user=request.user)
    except ValidationError as exc:
        return refused_page(request, " ".join(exc.messages), back=back)
    messages.success(request, _("The alert no longer shows; it stays in the record."))
    return redirect(back)


@staff_required
@require_http_methods(["GET", "POST"])
def resident_transfer(request, public_id):
    resident = selectors.resident_for_page(request.user, public_id)
    back = reverse("coordination:resident_detail", kwargs={"public_id": resident.public_id})
    if refusal := refusal_page(request, services.resident_manage_check, back=back, resident=resident):
        return refusal
    units = Unit.objects.managed_by(request.user).filter(site__is_active=True).select_related("site")
    form = TransferForm(request.POST or None, units=units, initial={"unit": resident.unit})
    if request.method == "POST" and form.is_valid():
        services.resident_transfer(resident=resident, user=request.user, unit=form.cleaned_data["unit"])
        messages.success(request, _("Transfer recorded."))
        return redirect(back)
    log_access(request, AccessLog.Action.VIEW, resident)
    return render(
        request,
        "coordination/resident_transfer.html",
        {"resident": resident, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def resident_discharge(request, public_id):
    resident = selectors.resident_for_page(request.user, public_id)
    back = reverse("coordination:resident_detail", kwargs={"public_id": resident.public_id})
    if refusal := refusal_page(request, services.resident_manage_check, back=back, resident=resident):
        return refusal
    form = DischargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_discharge(resident=resident, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("on", exc)
        else:
            messages.success(request, _("The file is archived: it stays readable and searchable."))
            return redirect(back)
    log_access(request, AccessLog.Action.VIEW, resident)
    return render(
        request,
        "coordination/resident_discharge.html",
        {"resident": resident, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )
