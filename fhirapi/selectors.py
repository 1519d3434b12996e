"""What an API client reads: every queryset starts from the access policy's ``visible_to(client)``.

Each resource type has its rows, its lookup by id and its search parameters. A client (an API token,
carehub.policy.ApiClient) reaches its token's sites only: another site's rows are absent from searches
and answer 404 when read, as a missing row does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from carehub import textsearch
from coordination import identity
from coordination.models import CareNote, Resident
from directory.models import Assignment, Site, StaffProfile, Unit
from documents.models import Document

from . import codes, resources, search


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def sites(client) -> QuerySet:
    return Site.objects.visible_to(client).order_by("name", "pk")


def units(client) -> QuerySet:
    return Unit.objects.visible_to(client).select_related("site").order_by("site__name", "name", "pk")


def residents(client) -> QuerySet:
    return Resident.objects.visible_to(client).select_related("site", "unit").order_by("last_name", "first_name", "pk")


def care_notes(client) -> QuerySet:
    return (
        CareNote.objects.visible_to(client)
        .select_related("resident", "author", "target", "amends", "site")
        .defer("search_text", "search_vector")
        .order_by("-created_at", "-pk")
    )


def documents(client) -> QuerySet:
    return (
        Document.objects.visible_to(client)
        .active()
        .filter(current_version__isnull=False)
        .select_related("current_version", "folder__resident")
        .order_by("-updated_at", "-pk")
    )


def staff(client) -> QuerySet:
    return (
        StaffProfile.objects.visible_to(client)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def assignments(client) -> QuerySet:
    return (
        Assignment.objects.visible_to(client)
        .in_force()
        .select_related("user__staff_profile", "site", "unit")
        .order_by("site__name", "user__last_name", "pk")
    )


# --- search parameters, by resource type: (request, queryset, value list) -> queryset -----------


def _name_words(value: str) -> list[str]:
    return textsearch.tokens(value, limit=5)


def patient_by_name(request, qs, values):
    for value in values:
        words = _name_words(value)
        if words:
            # Word starts of the used names (search_text) or of the birth names, accents and case aside;
            # no typo forgiven: software must not get a near-namesake for the resident it asked for.
            qs = qs.annotate(fhir_birth_names=textsearch.Normalised("birth_name", "birth_forenames")).filter(
                textsearch.every_word_start("search_text", words)
                | textsearch.every_word_start("fhir_birth_names", words)
            )
    return qs


def identifier_q(value: str) -> Q:
    """A Patient identifier: the INS (``urn:oid:<oid>|matricule``), the admission software's id, or either."""
    system, code = search.token(value)
    if not code:
        raise search.bad_request(_("identifier: give system|value or a value."), "identifier")
    if system is None or system == "":
        return Q(ins_matricule=identity.clean_matricule(code)) | Q(external_id=code)
    if system == codes.ADMISSION_ID_SYSTEM:
        return Q(external_id=code)
    if system.startswith(codes.OID_PREFIX):
        return Q(ins_oid=system.removeprefix(codes.OID_PREFIX), ins_matricule=identity.clean_matricule(code))
    return Q(pk__in=[])  # a system CareHub does not keep: nobody


def patient_by_identifier(request, qs, values):
    for value in values:
        qs = qs.filter(identifier_q(value))
    return qs


def _by_reference(field_name: str, resource_type: str):
    def apply(request, qs, values, name):
        for value in values:
            qs = qs.filter(**{field_name: _uuid(search.reference_id(value, resource_type, name))})
        return qs

    return apply


def _by_date(field_name: str, *, instant: bool = False):
    def apply(request, qs, values, name):
        return qs.filter(search.date_filter(request, name, field_name, instant=instant))

    return apply


def _patient_name(request, qs, values, name):
    return patient_by_name(request, qs, values)


def _patient_identifier(request, qs, values, name):
    return patient_by_identifier(request, qs, values)


def _staff_name(request, qs, values, name):
    for value in values:
        words = _name_words(value)
        if words:
            qs = qs.filter(textsearch.every_word_start("search_name", words))
    return qs


@dataclass(frozen=True)
class Kind:
    """One resource type of the API: its rows for a client, how a row becomes FHIR, its searches."""

    name: str
    rows: Callable
    serialise: Callable  # (request, row) -> dict
    id_field: str = "public_id"
    params: dict = field(default_factory=dict)
    #: Reads of resident data go in the access log.
    logged: bool = False

    def find(self, client, resource_id: str):
        key = _uuid(resource_id)
        if key is None:
            return None
        return self.rows(client).filter(**{self.id_field: key}).first()

    def search(self, request, client):
        search.check_parameters(request, tuple(self.params))
        qs = self.rows(client)
        for name, apply in self.params.items():
            values = request.GET.getlist(name)
            if values:
                qs = apply(request, qs, values, name)
        return qs


class Composite:
    """A resource type made of two tables (Organization: the group and its sites; Location: sites and
    units): few rows, listed in Python; each part is one query."""

    logged = False

    def __init__(self, name: str, parts):
        self.name, self.parts = name, parts  # [(rows(client) -> iterable, serialise(row) -> dict)]

    def _all(self, client) -> list[dict]:
        return [serialise(row) for rows, serialise in self.parts for row in rows(client)]

    def find(self, client, resource_id: str):
        for rows, serialise in self.parts:
            for row in rows(client):
                data = serialise(row)
                if data["id"] == resource_id:
                    return data
        return None

    def serialise(self, request, data):
        return data

    def search(self, request, client):
        search.check_parameters(request, ())
        return self._all(client)


KINDS = {
    "Organization": Composite(
        "Organization",
        [(lambda client: [None], lambda _: resources.group_organization()), (sites, resources.site_organization)],
    ),
    "Location": Composite("Location", [(sites, resources.site_location), (units, resources.unit_location)]),
    "Practitioner": Kind(
        "Practitioner",
        staff,
        lambda request, row: resources.practitioner(row),
        id_field="user__public_id",
        params={"name": _staff_name},
    ),
    "PractitionerRole": Kind(
        "PractitionerRole",
        assignments,
        lambda request, row: resources.practitioner_role(row),
        params={
            "practitioner": _by_reference("user__public_id", "Practitioner"),
            "organization": _by_reference("site__public_id", "Organization"),
            "location": _by_reference("unit__public_id", "Location"),
        },
    ),
    "Patient": Kind(
        "Patient",
        residents,
        lambda request, row: resources.patient(row),
        params={"name": _patient_name, "identifier": _patient_identifier, "birthdate": _by_date("birth_date")},
        logged=True,
    ),
    "Communication": Kind(
        "Communication",
        care_notes,
        lambda request, row: resources.communication(row),
        params={
            "subject": _by_reference("resident__public_id", "Patient"),
            "patient": _by_reference("resident__public_id", "Patient"),
            "sent": _by_date("created_at", instant=True),
            "date": _by_date("created_at", instant=True),
        },
        logged=True,
    ),
    "DocumentReference": Kind(
        "DocumentReference",
        documents,
        resources.document_reference,
        params={
            "subject": _by_reference("folder__resident__public_id", "Patient"),
            "patient": _by_reference("folder__resident__public_id", "Patient"),
            "date": _by_date("updated_at", instant=True),
        },
        logged=True,
    ),
}
