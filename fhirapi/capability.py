"""The CapabilityStatement (/fhir/metadata): what the API serves, and how CareHub's data maps to FHIR."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from . import codes

_SEARCH_TYPES = {"name": "string", "identifier": "token", "birthdate": "date", "date": "date", "sent": "date"}

#: Per resource type: its search parameters (name -> documentation) and how CareHub fills it.
RESOURCES = {
    "Organization": (
        {},
        f"The group (id 'group') and its sites (id: the site's id; type: {codes.SITE_KIND_SYSTEM}; partOf: the group).",
    ),
    "Location": (
        {},
        "Sites (physicalType si) and their units (physicalType wa, partOf: the site's Location). "
        "A site's Location and Organization share its id.",
    ),
    "Practitioner": (
        {"name": "Word starts of the name, accents and case aside."},
        f"Staff listed in the directory at the token's sites; identifier {codes.HR_ID_SYSTEM}: the HR id.",
    ),
    "PractitionerRole": (
        {
            "practitioner": "Practitioner/<id>.",
            "organization": "Organization/<site id>.",
            "location": "Location/<unit id>.",
        },
        f"Assignments in force: organization the site, location the unit, code the job ({codes.JOB_SYSTEM}).",
    ),
    "Patient": (
        {
            "name": "Word starts of the used or birth names, accents and case aside (no typo forgiven).",
            "identifier": f"system|value: the INS (urn:oid:<oid>|matricule) or {codes.ADMISSION_ID_SYSTEM}|<id>; "
            "a value alone matches either.",
            "birthdate": "YYYY, YYYY-MM or YYYY-MM-DD with an optional prefix eq, ne, ge, le, gt, lt.",
        },
        "Residents of the token's sites. name 'usual': used name and forename; 'official': birth name and "
        f"birth forenames (extension {codes.EXT_FIRST_BIRTH_FORENAME}: the first birth forename); 'nickname': "
        "the preferred name. gender: F female, M male, I other. identifier: the INS with system urn:oid:<INS OID> "
        f"and the admission software's id ({codes.ADMISSION_ID_SYSTEM}). managingOrganization: the site. "
        f"Extensions: {codes.EXT_IDENTITY_STATUS} (provisional, retrieved, validated, qualified), "
        f"{codes.EXT_BIRTH_PLACE_CODE} (INSEE code), {codes.EXT_UNIT} (Location of the unit), {codes.EXT_ROOM}, "
        f"{codes.EXT_STATUS} (present, hospitalised, discharged, deceased), {codes.EXT_ADMISSION_DATE}, "
        f"{codes.EXT_DISCHARGE_DATE}. Write: PUT Patient?identifier=system|value (conditional update) admits "
        "the resident when no one of the token's sites has the identifier (201), updates it otherwise (200); "
        "a new unit or site (extension unit, managingOrganization) is a transfer; residence-status discharged "
        "or deceased with discharge-date (or deceasedDateTime) is a discharge. Elements left out keep their "
        "value.",
    ),
    "Communication": (
        {
            "subject": "Patient/<id>.",
            "patient": "Patient/<id>.",
            "date": "The day written (YYYY-MM-DD with a prefix), in the group's time zone; same as sent.",
            "sent": "As date.",
        },
        "Care notes (targeted notes, DAR). topic: the target, coded in "
        f"{codes.TARGET_SYSTEM}, with its detail in topic.text. payload: one contentString per DAR part, each "
        f"with extension {codes.EXT_DAR_PART} (data, action, result). priority: routine -> routine, "
        f"important -> urgent, urgent -> asap (exact value in {codes.EXT_PRIORITY}). Extensions "
        f"{codes.EXT_SHIFT} and {codes.EXT_FAMILY_VISIBLE}. inResponseTo: the note amended. A retracted note "
        "has status entered-in-error.",
    ),
    "DocumentReference": (
        {"subject": "Patient/<id>.", "patient": "Patient/<id>.", "date": "The day last updated."},
        "Documents of the folders the token's sites reach (group, site, unit, resident folders), with their "
        "current version; content.attachment.url is the Binary download of the file.",
    ),
}


def capability_statement(request) -> dict:
    base = request.build_absolute_uri(reverse("fhirapi:metadata")).removesuffix("metadata")
    rest_resources = []
    for name, (params, documentation) in RESOURCES.items():
        interactions = [{"code": "read"}, {"code": "search-type"}]
        entry = {"type": name, "documentation": documentation, "interaction": interactions}
        if name == "Patient":
            interactions.append({"code": "update", "documentation": "Conditional update only."})
            entry["conditionalUpdate"] = True
            entry["updateCreate"] = False
        if params:
            entry["searchParam"] = [
                {"name": p, "type": _SEARCH_TYPES.get(p, "reference"), "documentation": doc}
                for p, doc in params.items()
            ]
        rest_resources.append(entry)
    rest_resources.append(
        {
            "type": "Binary",
            "documentation": "The file of a document version, in its own content type.",
            "interaction": [{"code": "read"}],
        }
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": settings.GROUP_NAME,
        "kind": "instance",
        "software": {"name": "CareHub"},
        "implementation": {"description": "CareHub FHIR API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": f"Searchset pages: _count (default {settings.FHIR_PAGE_SIZE}, at most "
                f"{settings.FHIR_MAX_PAGE_SIZE}) and page; links next and previous.",
                "security": {
                    "cors": False,
                    "description": "API tokens made by a group admin in the admin panel, sent as "
                    "Authorization: Bearer <token>; each is limited to some sites and to read or write rights "
                    "per resource type; every read of resident data is in the access log under the token's name.",
                },
                "resource": rest_resources,
            }
        ],
    }
