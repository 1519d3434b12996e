"""What the coordination pages share: refusals with the service's reason, the units a person may pick."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from carehub.ids import parse_uuid
from directory.models import Unit


def refused_page(request, message: str, *, back: str, status: int = HTTPStatus.CONFLICT):
    return render(request, "coordination/refused.html", {"message": message, "back": back}, status=status)


def refusal_page(request, check, *, back: str, status: int = HTTPStatus.CONFLICT, **kwargs):
    """Ask a service's check before showing its form: the refusal page with the service's reason,
    or None when the action is allowed (PermissionDenied goes up as a 403)."""
    try:
        check(user=request.user, **kwargs)
    except ValidationError as exc:
        return refused_page(request, " ".join(exc.messages), back=back, status=status)
    return None


def visible_units(user):
    return Unit.objects.in_care_scope_of(user).filter(site__is_active=True).select_related("site")


def saved_redirect(request, note, *, created: bool, to: str):
    """After a note is saved: say for whom, and show it at the top of the page the person goes back to."""
    if created:
        where = _(" (room %(room)s)") % {"room": note.resident.room} if note.resident.room else ""
        messages.success(
            request, _("Note saved for %(resident)s%(where)s.") % {"resident": note.resident, "where": where}
        )
    else:
        messages.info(request, _("This note was already saved (sent twice); it is stored once."))
    base, _sep, fragment = to.partition("#")
    sep = "&" if "?" in base else "?"
    return redirect(f"{base}{sep}{urlencode({'saved': note.public_id})}")


def saved_note(request):
    """The note just saved by this person (``?saved=``), as the top of the page shows it; None otherwise."""
    from .. import selectors

    public_id = parse_uuid(request.GET.get("saved"))
    if public_id is None:
        return None
    return selectors.note_queryset(request.user).filter(public_id=public_id, author=request.user).first()
