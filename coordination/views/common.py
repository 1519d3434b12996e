"""What the coordination pages share: refusals with the service's reason, the units a person may pick."""

from __future__ import annotations

from http import HTTPStatus

from django.core.exceptions import ValidationError
from django.shortcuts import render

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
