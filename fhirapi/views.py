"""The FHIR endpoints: thin views around the token check (fhirapi/access.py), the selectors and the
serialisers. Every answer is FHIR JSON; every refusal an OperationOutcome, never a 500 for bad input."""

from __future__ import annotations

import json
from http import HTTPStatus

from django.contrib.auth.decorators import login_not_required
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from carehub.access_log import log_access
from carehub.models import AccessLog
from documents.downloads import version_response
from documents.models import DocumentVersion

from . import admission, capability, resources, search
from .access import api_view
from .outcomes import FhirError, fhir_response
from .selectors import KINDS


def _kind(resource_type: str):
    kind = KINDS.get(resource_type)
    if kind is None:
        raise FhirError(
            HTTPStatus.NOT_FOUND,
            "not-supported",
            _("This server has no resource type %(type)s.") % {"type": resource_type},
        )
    return kind


def not_found() -> FhirError:
    return FhirError(HTTPStatus.NOT_FOUND, "not-found", _("No such resource, or not one this token may read."))


@csrf_exempt
@login_not_required
@require_GET
def metadata(request):
    """The CapabilityStatement: public, as FHIR clients read it before they authenticate."""
    return fhir_response(capability.capability_statement(request))


@api_view(resource_from="resource_type")
def read(request, client, resource_type: str, resource_id: str):
    kind = _kind(resource_type)
    row = kind.find(client, resource_id)
    if row is None:
        raise not_found()
    if kind.logged:
        log_access(request, AccessLog.Action.VIEW, row, client=client)
    return fhir_response(kind.serialise(request, row))


def _search(request, client, resource_type: str):
    kind = _kind(resource_type)
    page = search.Page.of(request)
    rows, has_next = page.rows(kind.search(request, client))
    if kind.logged:
        # One entry per resident record returned (one insert), as every list of resident data does.
        log_access(
            request,
            AccessLog.Action.SEARCH,
            *rows,
            query=f"FHIR {resource_type}?{request.GET.urlencode()}",
            client=client,
        )
    return fhir_response(search.searchset(request, [kind.serialise(request, row) for row in rows], page, has_next))


@api_view(resource_from="resource_type")
def search_type(request, client, resource_type: str):
    return _search(request, client, resource_type)


@api_view(resource="Patient", methods=("GET", "PUT"))
def patient_type(request, client):
    """GET searches; PUT with ``?identifier=system|value`` is the admission software's conditional
    update (fhirapi/admission.py): 201 when it admits, 200 when the resident was already there."""
    if request.method == "GET":
        return _search(request, client, "Patient")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FhirError(HTTPStatus.BAD_REQUEST, "structure", _("The body is not JSON.")) from None
    resident, created = admission.patient_upsert(
        client=client, token=request.fhir_token, identifier=request.GET.get("identifier", ""), body=body
    )
    resource = resources.patient(resident)
    if created:
        location = request.build_absolute_uri(reverse("fhirapi:read", args=["Patient", resident.public_id]))
        return fhir_response(resource, HTTPStatus.CREATED, Location=location)
    return fhir_response(resource)


@api_view(resource="DocumentReference")
def binary_read(request, client, public_id):
    """The file of a document version (a DocumentReference's attachment), as it is (FHIR allows Binary
    in its own content type); logged as a download naming the token."""
    version = (
        DocumentVersion.objects.visible_to(client)
        .select_related("document__folder__resident")
        .filter(public_id=public_id)
        .first()
    )
    if version is None:
        raise not_found()
    return version_response(request, version, inline=False, client=client)
