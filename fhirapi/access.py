"""Who may call the API: a usable token (401 otherwise), with the right for the resource (403), within
its rate (429). The token becomes a carehub.policy.ApiClient: every query then goes through the
access policy, limited to the token's sites.

The API ignores sessions: a browser signed in to CareHub gets nothing here without a token.
"""

from __future__ import annotations

import functools
import logging
from http import HTTPStatus

from auditlog.context import set_actor
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accounts import throttling
from carehub import policy
from carehub.access_log import client_ip

from . import tokens
from .models import RESOURCES, Access
from .outcomes import FhirError, error_response

logger = logging.getLogger(__name__)

#: The rate of ACCOUNT_RATE_LIMITS that counts the API's requests, per token.
RATE = "fhir"
WRITE_METHODS = ("PUT", "POST", "PATCH", "DELETE")


def authenticate(request):
    raw = tokens.bearer(request)
    token = tokens.token_for(raw) if raw else None
    if token is None:
        raise FhirError(
            HTTPStatus.UNAUTHORIZED,
            "login",
            _("Send a valid API token: Authorization: Bearer <token>. Revoked and expired tokens are refused."),
            headers={"WWW-Authenticate": 'Bearer realm="CareHub FHIR"'},
        )
    return token


def throttle(request, token) -> None:
    key = f"token:{token.pk}"
    if throttling.attempt(request, action=RATE, key=key) is None:
        seconds = throttling.retry_after(request, action=RATE, key=key)
        logger.warning("FHIR API: token %s over its rate limit, retry in %d s", token.pk, seconds)
        raise FhirError(
            HTTPStatus.TOO_MANY_REQUESTS,
            "throttled",
            _("Too many requests with this token. Try again in %(seconds)d seconds.") % {"seconds": seconds},
            headers={"Retry-After": str(seconds)},
        )


def _validation_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
    return list(error.messages)


def api_view(*, resource: str | None = None, resource_from: str | None = None, methods=("GET",)):
    """A FHIR endpoint: ``view(request, client, **kwargs)``. GET needs the resource's read right, a
    write method its write right; ``resource_from`` names the URL argument holding the resource type."""

    def decorator(view):
        @csrf_exempt
        @login_not_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                token = authenticate(request)
                if request.method not in methods:
                    raise FhirError(
                        HTTPStatus.METHOD_NOT_ALLOWED,
                        "not-supported",
                        _("This address does not accept %(method)s.") % {"method": request.method},
                        headers={"Allow": ", ".join(methods)},
                    )
                name = resource or kwargs.get(resource_from or "", "")
                access = Access.WRITE if request.method in WRITE_METHODS else Access.READ
                if name in RESOURCES and not token.allows(name, access):
                    refusal = (
                        _("This token may not write %(type)s resources.")
                        if access == Access.WRITE
                        else _("This token may not read %(type)s resources.")
                    )
                    raise FhirError(HTTPStatus.FORBIDDEN, "forbidden", refusal % {"type": name})
                throttle(request, token)
                client = policy.ApiClient(token.name, frozenset(token.sites.values_list("pk", flat=True)))
                request.fhir_token = token
                # Changes are the token creator's in the change history (django-auditlog); reads name the token.
                with set_actor(token.created_by, remote_addr=client_ip(request)):
                    response = view(request, client, *args, **kwargs)
            except FhirError as error:
                response = error_response(error)
            except ValidationError as error:
                response = error_response(
                    FhirError(HTTPStatus.UNPROCESSABLE_ENTITY, "invariant", *_validation_messages(error))
                )
            except PermissionDenied:
                response = error_response(
                    FhirError(HTTPStatus.FORBIDDEN, "forbidden", _("This token may not make this change."))
                )
            except Http404:
                response = error_response(FhirError(HTTPStatus.NOT_FOUND, "not-found", _("No such resource.")))
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorator
