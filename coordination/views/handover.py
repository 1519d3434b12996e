"""The shift handover of a unit (or a site): reading, its note form, taking it, printing it."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from carehub.access_log import log_access
from carehub.decorators import staff_required
from carehub.ids import parse_uuid, uuid_or_404
from carehub.models import AccessLog
from carehub.pdf import file_name
from directory.models import Site, Unit

from .. import selectors, services
from ..forms import QuickNoteForm
from ..models import Resident, Target
from .common import refused_page, saved_note, saved_redirect, visible_units


def _handover_scope(request) -> tuple[Unit | None, Site | None]:
    """The unit (or, for coordinators, the site) whose handover is asked for."""
    user = request.user
    unit_param = request.POST.get("unit") or request.GET.get("unit")
    site_param = request.POST.get("site") or request.GET.get("site")
    if unit_param:
        unit = get_object_or_404(visible_units(user), public_id=uuid_or_404(unit_param))
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


#: The printed handover (downtime procedures) keeps more of each resident's last 24 hours.
PRINT_PER_RESIDENT = 50


def _filters(request, user) -> tuple[Target | None, bool]:
    code = request.GET.get("target", "")
    target = Target.objects.active().filter(code=code).first() if code else None
    return target, request.GET.get("new") == "1"


@staff_required
@require_http_methods(["GET"])
def handover(request):
    """The handover of a unit: what the incoming shift must know first, one compact row per resident,
    the notes one tap away; the note form at hand; the take-over at the end, after the notes."""
    user = request.user
    unit, site = _handover_scope(request)
    units = list(visible_units(user).order_by("site__name", "name"))
    managed_sites = list(Site.objects.managed_by(user).filter(is_active=True).order_by("name"))
    if site is None:
        return render(request, "coordination/handover_choose.html", {"units": units, "managed_sites": managed_sites})
    target, new_only = _filters(request, user)
    data = selectors.handover_build(user, unit=unit, site=site, target=target)
    chosen = next((r for r in data.residents if str(r.public_id) == request.GET.get("resident")), None)
    form = QuickNoteForm(
        targets=selectors.targets_for_author(user),
        residents=Resident.objects.filter(pk__in=[r.pk for r in data.residents]),
        initial={"resident": chosen.public_id} if chosen else None,
    )
    log_access(request, AccessLog.Action.VIEW, *(data.residents or [unit or site]), query=f"handover: {unit or site}")
    return render(
        request,
        "coordination/handover.html",
        {
            "handover": data,
            "to_read": data.to_read,
            "others": [] if new_only else data.others,
            "units": units,
            "managed_sites": managed_sites,
            "form": form,
            "write_open": chosen is not None,
            # "Open all": every row to read first opened at once (one tap instead of one per resident).
            "open_to_read": request.GET.get("open") == "to-read",
            "writing_aids": selectors.writing_aids(site.pk),
            "filter_target": target,
            "filter_new": new_only,
            "targets": Target.objects.active(),
            "saved_note": saved_note(request),
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
            note, created = services.care_note_create(
                author=user,
                resident=form.cleaned_data["resident"],
                client_token=form.cleaned_data["client_token"],
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return saved_redirect(request, note, created=created, to=back)
    return render(
        request,
        "coordination/note_form.html",
        {
            "form": form,
            "mode": "handover",
            "unit": unit,
            "site": site,
            "next": back,
            "writing_aids": selectors.writing_aids(site.pk if site else None),
        },
        status=HTTPStatus.BAD_REQUEST,
    )


@staff_required
@require_POST
def handover_take(request):
    """Take the handover. The urgent notes acknowledged are exactly those the form listed with their
    text (their ids come with the form); nothing else is acknowledged on the reader's behalf."""
    user = request.user
    unit, site = _handover_scope(request)
    if unit is None:
        return refused_page(
            request,
            _("Choose a unit: a handover is taken for one unit."),
            back=_handover_url(unit, site),
            status=HTTPStatus.BAD_REQUEST,
        )
    shown = [public_id for public_id in map(parse_uuid, request.POST.getlist("urgent")) if public_id]
    urgent = list(selectors.note_queryset(user).filter(public_id__in=shown[:200]))
    ack, created = services.handover_take(user=user, unit=unit, urgent_shown=urgent)
    acknowledged = ack.urgent_acknowledged.count()
    if created:
        text = _("You took the handover of %(unit)s for the %(shift)s shift.") % {
            "unit": unit.name,
            "shift": ack.get_shift_display().lower(),
        }
        if acknowledged:
            text += " " + ngettext(
                "%(count)d urgent note acknowledged.", "%(count)d urgent notes acknowledged.", acknowledged
            ) % {"count": acknowledged}
        messages.success(request, text)
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
    data = selectors.handover_build(request.user, unit=unit, site=site, last_hours=24, per_resident=PRINT_PER_RESIDENT)
    log_access(request, AccessLog.Action.PRINT, *(data.residents or [unit or site]), query=f"handover: {unit or site}")
    return render(
        request,
        "coordination/handover_print.html",
        {"handover": data, "printed_at": timezone.now(), "self_url": _handover_url(unit, site)},
    )


@staff_required
@require_http_methods(["GET"])
def handover_pdf(request):
    from ..pdf import handover_pdf as build_pdf

    unit, site = _print_scope(request)
    data = selectors.handover_build(request.user, unit=unit, site=site, last_hours=24, per_resident=PRINT_PER_RESIDENT)
    log_access(request, AccessLog.Action.EXPORT, *(data.residents or [unit or site]), query=f"handover: {unit or site}")
    content = build_pdf(data, printed_by=request.user)
    name = file_name(
        "releve",
        site.name,
        unit.name if unit else "",
        on=timezone.localtime(data.until, site.zone),
        extension="pdf",
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
