"""Care notes: writing, reading, correcting, amending, results, retraction, acknowledgement."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carehub.access_log import log_access
from carehub.decorators import staff_required
from carehub.ids import parse_uuid
from carehub.models import AccessLog
from carehub.redirects import next_url
from portal.selectors import news_item

from .. import selectors, services
from ..forms import (
    CareNoteForm,
    FollowUpForm,
    RetractForm,
)
from ..models import CareNote, NoteReading, SiteCareSettings, Target
from .common import refusal_page, refused_page, saved_redirect


def _note_or_404(user, public_id) -> CareNote:
    return get_object_or_404(
        selectors.note_queryset(user).select_related("site", "resident__unit"), public_id=public_id
    )


def render_note_form(request, *, resident, form, mode, note=None, preview=None, status=HTTPStatus.OK):
    # Every note form shows the resident (and the note corrected, amended or followed up): a read.
    log_access(request, AccessLog.Action.VIEW, note or resident)
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
        # Unsaved: the raw form value, without the NUL characters PostgreSQL refuses in a query.
        target=Target.objects.active().filter(code=str(data.get("target", "")).replace("\x00", "")).first(),
        **{field: data.get(field, "").strip() for field in ("target_detail", "data", "action", "result")},
    )
    return news_item(note)


@staff_required
@require_http_methods(["GET", "POST"])
def note_create(request, public_id):
    user = request.user
    resident = selectors.resident_for_page(user, public_id)
    back = reverse("coordination:resident_detail", kwargs={"public_id": resident.public_id})
    if refusal := refusal_page(request, services.note_create_check, back=back, resident=resident):
        return refusal
    form = CareNoteForm(request.POST or None, targets=selectors.targets_for_author(user))
    if request.method == "POST" and "_preview" in request.POST:
        preview = _family_preview(form, user, resident)
        if request.htmx:
            context = {"preview": preview, "resident": resident}
            return render(request, "coordination/partials/family_preview.html", context)
        form.is_valid()
        return render_note_form(request, resident=resident, form=form, mode="create", preview=preview)
    if request.method == "POST" and form.is_valid():
        try:
            note, created = services.care_note_create(
                author=user, resident=resident, client_token=form.cleaned_data["client_token"], **form.service_kwargs()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return saved_redirect(request, note, created=created, to=next_url(request, back))
    return render_note_form(
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
    # The note is the page: it is on the reader's screen.
    services.notes_mark_read(user=user, notes=[note])
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
    if refusal := refusal_page(request, services.note_correct_check, back=back, status=HTTPStatus.FORBIDDEN, note=note):
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
    return render_note_form(
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
    if refusal := refusal_page(request, services.note_amend_check, back=back, note=note):
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
    return render_note_form(
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
    if refusal := refusal_page(request, services.note_followup_check, back=back, note=note):
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
    log_access(request, AccessLog.Action.VIEW, note)
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
    if refusal := refusal_page(request, services.note_retract_check, back=back, note=note):
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
    log_access(request, AccessLog.Action.VIEW, note)
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
        return refused_page(request, " ".join(exc.messages), back=back, status=HTTPStatus.BAD_REQUEST)
    if changed:
        messages.success(request, _("Urgent note acknowledged: it will not be escalated."))
    else:
        messages.info(request, _("This urgent note was already acknowledged."))
    return redirect(back)


#: Notes at most in one "read" report (a page never shows more).
READ_BATCH = 200


@staff_required
@require_POST
def notes_read(request):
    """The browser reports the notes it had on screen (``how=displayed``), or the person marks the
    notes of a resident read (``how=marked``, the button that works without JavaScript)."""
    how = NoteReading.How.MARKED if request.POST.get("how") == "marked" else NoteReading.How.DISPLAYED
    ids = [public_id for public_id in map(parse_uuid, request.POST.getlist("note")[:READ_BATCH]) if public_id]
    notes = list(CareNote.objects.visible_to(request.user).filter(public_id__in=ids).only("pk", "author_id"))
    services.notes_mark_read(user=request.user, notes=notes, how=how)
    if request.headers.get("Accept") == "application/json" or request.htmx:
        return HttpResponse(status=HTTPStatus.NO_CONTENT)
    return redirect(next_url(request, reverse("coordination:handover")))
