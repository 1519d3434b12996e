"""Thin views: the policy gives the objects, selectors read, services write."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carehub import policy
from carehub.access_log import log_access
from carehub.decorators import staff_required
from carehub.ids import uuid_or_404
from carehub.models import AccessLog
from carehub.paging import OffsetPage, page_number
from carehub.redirects import next_url
from directory.models import Site, Unit
from portal.selectors import news_item

from . import selectors, services
from .forms import (
    AlertForm,
    CareNoteForm,
    DischargeForm,
    FollowUpForm,
    QuickNoteForm,
    ResidentFilterForm,
    RetractForm,
    SearchForm,
    TransferForm,
)
from .models import CareNote, Resident, ResidentAlert, SiteCareSettings, Target

RESIDENTS_PER_PAGE = 50
NOTES_PER_PAGE = 20
SEARCH_RESULTS_PER_PAGE = 25


def _refused(request, message: str, *, back: str, status: int = HTTPStatus.CONFLICT):
    return render(request, "coordination/refused.html", {"message": message, "back": back}, status=status)


def _refusal(request, check, *, back: str, status: int = HTTPStatus.CONFLICT, **kwargs):
    """Ask a service's check before showing its form: the refusal page with the service's reason,
    or None when the action is allowed (PermissionDenied goes up as a 403)."""
    try:
        check(user=request.user, **kwargs)
    except ValidationError as exc:
        return _refused(request, " ".join(exc.messages), back=back, status=status)
    return None


def _visible_units(user):
    return Unit.objects.in_care_scope_of(user).filter(site__is_active=True).select_related("site")


# --- residents ---------------------------------------------------------------------------------------


@staff_required
def resident_list(request):
    units = _visible_units(request.user)
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
    if filters.get("q"):
        log_access(request, AccessLog.Action.SEARCH, query=f"residents: {filters['q']}")
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
    marks = selectors.read_marks(user, [resident.pk])
    selectors.mark_new(notes, marks, user)
    selectors.mark_new(targets, marks, user)
    can_write = services.can_write_notes(user, resident) and not resident.is_archived
    form = CareNoteForm(targets=selectors.targets_for_author(user)) if can_write else None
    log_access(request, AccessLog.Action.VIEW, resident)
    services.read_marks_update(user=user, resident_ids=[resident.pk])
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
        },
    )


@staff_required
def resident_photo(request, public_id):
    resident = policy.get_visible_or_404(Resident, request.user, public_id=public_id)
    if not resident.photo:
        raise Http404
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
        return _refused(request, " ".join(exc.messages), back=back)
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
        return _refused(request, " ".join(exc.messages), back=back)
    messages.success(request, _("The alert no longer shows; it stays in the record."))
    return redirect(back)


@staff_required
@require_http_methods(["GET", "POST"])
def resident_transfer(request, public_id):
    resident = selectors.resident_for_page(request.user, public_id)
    back = reverse("coordination:resident_detail", kwargs={"public_id": resident.public_id})
    if refusal := _refusal(request, services.resident_manage_check, back=back, resident=resident):
        return refusal
    units = Unit.objects.managed_by(request.user).filter(site__is_active=True).select_related("site")
    form = TransferForm(request.POST or None, units=units, initial={"unit": resident.unit})
    if request.method == "POST" and form.is_valid():
        services.resident_transfer(resident=resident, user=request.user, unit=form.cleaned_data["unit"])
        messages.success(request, _("Transfer recorded."))
        return redirect(back)
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
    if refusal := _refusal(request, services.resident_manage_check, back=back, resident=resident):
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
    return render(
        request,
        "coordination/resident_discharge.html",
        {"resident": resident, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


# --- notes -------------------------------------------------------------------------------------------------


def _note_or_404(user, public_id) -> CareNote:
    return get_object_or_404(
        selectors.note_queryset(user).select_related("site", "resident__unit"), public_id=public_id
    )


def _render_note_form(request, *, resident, form, mode, note=None, preview=None, status=HTTPStatus.OK):
    return render(
        request,
        "coordination/note_form.html",
        {
            "resident": resident,
            "form": form,
            "mode": mode,
            "note": note,
            "preview": preview,
            "next": next_url(request, ""),
        },
        status=status,
    )


def _family_preview(form, user, resident):
    """The portal's news item for the note as the form stands (unsaved, valid or not), or None
    when the note is not shared: the preview is the feed's own rendering, so it cannot drift."""
    data = form.data
    if not data.get("is_family_visible"):
        return None
    note = CareNote(
        resident=resident,
        author=user,
        target=Target.objects.active().filter(code=data.get("target", "")).first(),
        **{field: data.get(field, "").strip() for field in ("target_detail", "data", "action", "result")},
    )
    return news_item(note)


@staff_required
@require_http_methods(["GET", "POST"])
def note_create(request, public_id):
    user = request.user
    resident = selectors.resident_for_page(user, public_id)
    back = reverse("coordination:resident_detail", kwargs={"public_id": resident.public_id})
    if refusal := _refusal(request, services.note_create_check, back=back, resident=resident):
        return refusal
    form = CareNoteForm(request.POST or None, targets=selectors.targets_for_author(user))
    if request.method == "POST" and "_preview" in request.POST:
        preview = _family_preview(form, user, resident)
        if request.htmx:
            context = {"preview": preview, "resident": resident}
            return render(request, "coordination/partials/family_preview.html", context)
        form.is_valid()
        return _render_note_form(request, resident=resident, form=form, mode="create", preview=preview)
    if request.method == "POST" and form.is_valid():
        try:
            note, created = services.care_note_create(
                author=user, resident=resident, client_token=form.cleaned_data["client_token"], **form.service_kwargs()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                messages.success(request, _("Note saved."))
            else:
                messages.info(request, _("This note was already saved (sent twice); it is stored once."))
            return redirect(next_url(request, back))
    return _render_note_form(
        request,
        resident=resident,
        form=form,
        mode="create",
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@staff_required
@require_http_methods(["GET"])
def note_detail(request, public_id):
    user = request.user
    note = _note_or_404(user, public_id)
    revisions = list(note.revisions.select_related("target").order_by("replaced_at", "id"))
    log_access(request, AccessLog.Action.VIEW, note)
    return render(
        request,
        "coordination/note_detail.html",
        {
            "note": note,
            "resident": note.resident,
            "revisions": revisions,
            "can_correct": services.can_correct(user, note),
            "can_manage": services.can_manage(user, note.site_id),
            "can_write": services.can_write_notes(user, note.resident) and not note.resident.is_archived,
            "correction_window": SiteCareSettings.for_site(note.site).correction_window_minutes,
        },
    )


def _note_form_initial(note: CareNote) -> dict:
    return {
        "target": note.target.code,
        "target_detail": note.target_detail,
        "data": note.data,
        "action": note.action,
        "result": note.result,
        "priority": note.priority,
        "is_family_visible": note.is_family_visible,
        "is_open_target": note.is_open_target,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def note_correct(request, public_id):
    user = request.user
    note = _note_or_404(user, public_id)
    back = reverse("coordination:note_detail", kwargs={"public_id": note.public_id})
    if refusal := _refusal(request, services.note_correct_check, back=back, status=HTTPStatus.FORBIDDEN, note=note):
        return refusal
    form = CareNoteForm(
        request.POST or None, initial=_note_form_initial(note), targets=selectors.targets_for_author(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.care_note_correct(note=note, user=user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Note corrected; the earlier text stays in its history."))
            return redirect(back)
    return _render_note_form(
        request,
        resident=note.resident,
        form=form,
        mode="correct",
        note=note,
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def note_amend(request, public_id):
    user = request.user
    note = _note_or_404(user, public_id)
    back = reverse("coordination:note_detail", kwargs={"public_id": note.public_id})
    if refusal := _refusal(request, services.note_amend_check, back=back, note=note):
        return refusal
    form = CareNoteForm(
        request.POST or None, initial=_note_form_initial(note), targets=selectors.targets_for_author(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            amendment, created = services.care_note_amend(
                original=note, author=user, client_token=form.cleaned_data["client_token"], **form.service_kwargs()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                messages.success(request, _("Amendment saved; the original note stays visible."))
            return redirect("coordination:note_detail", public_id=amendment.public_id)
    return _render_note_form(
        request,
        resident=note.resident,
        form=form,
        mode="amend",
        note=note,
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def note_followup(request, public_id):
    user = request.user
    note = _note_or_404(user, public_id)
    back = next_url(request, reverse("coordination:note_detail", kwargs={"public_id": note.public_id}))
    if refusal := _refusal(request, services.note_followup_check, back=back, note=note):
        return refusal
    form = FollowUpForm(request.POST or None, initial={"close_target": note.target_is_open})
    if request.method == "POST" and form.is_valid():
        try:
            services.care_note_add_followup(note=note, author=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Result added."))
            return redirect(back)
    return render(
        request,
        "coordination/note_followup.html",
        {"note": note, "resident": note.resident, "form": form, "next": next_url(request, "")},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def note_retract(request, public_id):
    user = request.user
    note = _note_or_404(user, public_id)
    back = reverse("coordination:note_detail", kwargs={"public_id": note.public_id})
    if refusal := _refusal(request, services.note_retract_check, back=back, note=note):
        return refusal
    form = RetractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.care_note_retract(note=note, user=user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            messages.success(request, _("Note retracted; it stays in the record, marked."))
            return redirect(back)
    return render(
        request,
        "coordination/note_retract.html",
        {"note": note, "resident": note.resident, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@staff_required
@require_POST
def note_acknowledge(request, public_id):
    user = request.user
    note = _note_or_404(user, public_id)
    back = next_url(request, reverse("coordination:note_detail", kwargs={"public_id": note.public_id}))
    try:
        changed = services.care_note_acknowledge(note=note, user=user)
    except ValidationError as exc:
        return _refused(request, " ".join(exc.messages), back=back, status=HTTPStatus.BAD_REQUEST)
    if changed:
        messages.success(request, _("Urgent note acknowledged: it will not be escalated."))
    else:
        messages.info(request, _("This urgent note was already acknowledged."))
    return redirect(back)


# --- handover ------------------------------------------------------------------------------------------------


def _handover_scope(request) -> tuple[Unit | None, Site | None]:
    """The unit (or, for coordinators, the site) whose handover is asked for."""
    user = request.user
    unit_param = request.POST.get("unit") or request.GET.get("unit")
    site_param = request.POST.get("site") or request.GET.get("site")
    if unit_param:
        unit = get_object_or_404(_visible_units(user), public_id=uuid_or_404(unit_param))
        return unit, unit.site
    if site_param:
        site = get_object_or_404(Site.objects.in_care_scope_of(user), public_id=uuid_or_404(site_param))
        if not services.can_manage(user, site.pk):
            raise PermissionDenied
        return None, site
    unit = selectors.default_handover_unit(user)
    if unit is not None:
        return unit, unit.site
    managed = Site.objects.managed_by(user).filter(is_active=True).order_by("name").first()
    return None, managed


def _scope_query(unit, site) -> str:
    if unit is not None:
        return urlencode({"unit": unit.public_id})
    if site is not None:
        return urlencode({"site": site.public_id})
    return ""


def _handover_url(unit, site) -> str:
    query = _scope_query(unit, site)
    return reverse("coordination:handover") + (f"?{query}" if query else "")


@staff_required
@require_http_methods(["GET"])
def handover(request):
    user = request.user
    unit, site = _handover_scope(request)
    units = list(_visible_units(user).order_by("site__name", "name"))
    managed_sites = list(Site.objects.managed_by(user).filter(is_active=True).order_by("name"))
    if site is None:
        return render(request, "coordination/handover_choose.html", {"units": units, "managed_sites": managed_sites})
    data = selectors.handover_build(user, unit=unit, site=site)
    residents_qs = Resident.objects.filter(pk__in=[r.pk for r in data.residents]).order_by("last_name", "first_name")
    form = QuickNoteForm(targets=selectors.targets_for_author(user), residents=residents_qs)
    form.fields["resident"].choices = [("", form.fields["resident"].empty_label)] + [
        (r.public_id, f"{r} — {r.room}" if r.room else str(r))
        for r in sorted(data.residents, key=lambda r: (r.last_name, r.first_name))
    ]
    log_access(request, AccessLog.Action.VIEW, unit or site, site_id=site.pk)
    services.read_marks_update(user=user, resident_ids=[r.pk for r in data.residents])
    return render(
        request,
        "coordination/handover.html",
        {
            "handover": data,
            "units": units,
            "managed_sites": managed_sites,
            "form": form,
            "self_url": _handover_url(unit, site),
            "scope_query": _scope_query(unit, site),
            "took_it": any(a.user_id == user.pk for a in data.acks_current),
        },
    )


@staff_required
@require_POST
def handover_note_create(request):
    """The note form of the handover page (the resident is chosen in the form)."""
    user = request.user
    unit, site = _handover_scope(request)
    back = _handover_url(unit, site)
    residents = Resident.objects.visible_to(user).in_care()
    residents = residents.filter(unit=unit) if unit is not None else residents.filter(site=site)
    form = QuickNoteForm(request.POST, targets=selectors.targets_for_author(user), residents=residents)
    if form.is_valid():
        try:
            _note, created = services.care_note_create(
                author=user,
                resident=form.cleaned_data["resident"],
                client_token=form.cleaned_data["client_token"],
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Note saved.") if created else _("This note was already saved."))
            return redirect(back)
    return render(
        request,
        "coordination/note_form.html",
        {"form": form, "mode": "handover", "unit": unit, "site": site, "next": back},
        status=HTTPStatus.BAD_REQUEST,
    )


@staff_required
@require_POST
def handover_take(request):
    user = request.user
    unit, site = _handover_scope(request)
    if unit is None:
        return _refused(
            request,
            _("Choose a unit: a handover is taken for one unit."),
            back=_handover_url(unit, site),
            status=HTTPStatus.BAD_REQUEST,
        )
    ack, created = services.handover_take(user=user, unit=unit)
    if created:
        messages.success(
            request,
            _("You took the handover of %(unit)s for the %(shift)s shift.")
            % {"unit": unit.name, "shift": ack.get_shift_display().lower()},
        )
    else:
        messages.info(request, _("You had already taken this handover."))
    return redirect(_handover_url(unit, site))


def _print_scope(request):
    unit, site = _handover_scope(request)
    if site is None:
        raise Http404
    return unit, site


@staff_required
@require_http_methods(["GET"])
def handover_print(request):
    """The last 24 hours of a unit, to print for downtime procedures."""
    unit, site = _print_scope(request)
    data = selectors.handover_build(request.user, unit=unit, site=site, last_hours=24)
    log_access(request, AccessLog.Action.PRINT, unit or site, site_id=site.pk)
    return render(
        request,
        "coordination/handover_print.html",
        {"handover": data, "printed_at": timezone.now(), "self_url": _handover_url(unit, site)},
    )


@staff_required
@require_http_methods(["GET"])
def handover_pdf(request):
    from .pdf import handover_pdf as build_pdf

    unit, site = _print_scope(request)
    data = selectors.handover_build(request.user, unit=unit, site=site, last_hours=24)
    log_access(request, AccessLog.Action.EXPORT, unit or site, site_id=site.pk)
    content = build_pdf(data, printed_by=request.user)
    stamp = timezone.localtime(data.until, site.zone).strftime("%Y%m%d-%H%M")
    name = f"releve-{(unit or site).public_id.hex[:8]}-{stamp}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- search ---------------------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET"])
def search(request):
    user = request.user
    units = _visible_units(user).order_by("site__name", "name")
    form = SearchForm(request.GET or None, units=units)
    results, has_next, number = [], False, page_number(request)
    searched = False
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.SearchFilters(
            query=d["q"],
            target=d["target"],
            author=d["author"],
            date_from=d["date_from"],
            date_to=d["date_to"],
            priority=d["priority"],
            unit=d["unit"],
        )
        if not filters.is_empty:
            searched = True
            results = selectors.note_search_page(
                user,
                filters,
                using_postgres=settings.IS_POSTGRES,
                offset=(number - 1) * SEARCH_RESULTS_PER_PAGE,
                limit=SEARCH_RESULTS_PER_PAGE + 1,
            )
            has_next = len(results) > SEARCH_RESULTS_PER_PAGE
            results = results[:SEARCH_RESULTS_PER_PAGE]
            log_access(request, AccessLog.Action.SEARCH, query=_describe_search(request.GET))
    return render(
        request,
        "coordination/search.html",
        {
            "form": form,
            "results": results,
            "searched": searched,
            "page": OffsetPage(number=number, has_next=has_next),
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


def _describe_search(params) -> str:
    parts = [f"{k}={v}" for k, v in params.items() if k != "page" and v]
    return "notes: " + " ".join(parts)
