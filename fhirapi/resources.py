"""CareHub rows as FHIR R4 resources (plain dicts, shaped as fhir.resources' R4B models validate them).

Ids are the rows' public UUIDs. What each field means is listed in the CapabilityStatement
(fhirapi/capability.py); the URIs in fhirapi/codes.py.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from . import codes

GROUP_ID = "group"


def ref(resource_type: str, obj, display: str = "") -> dict:
    reference = {"reference": f"{resource_type}/{obj if isinstance(obj, str) else obj.public_id}"}
    if display:
        reference["display"] = display
    return reference


def _instant(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _drop_empty(resource: dict) -> dict:
    # FHIR forbids empty strings, lists and objects: leave the element out instead.
    return {key: value for key, value in resource.items() if value not in ("", None, [], {})}


def _period(start, end) -> dict:
    return _drop_empty({"start": start.isoformat() if start else None, "end": end.isoformat() if end else None})


# --- Organization and Location: the group, its sites and units ----------------------------------


def group_organization() -> dict:
    return {"resourceType": "Organization", "id": GROUP_ID, "active": True, "name": settings.GROUP_NAME}


def site_address(site) -> list:
    address = _drop_empty(
        {"line": [site.address] if site.address else None, "postalCode": site.postal_code, "city": site.city}
    )
    return [{"use": "work", **address}] if address else []


def site_organization(site) -> dict:
    return _drop_empty(
        {
            "resourceType": "Organization",
            "id": str(site.public_id),
            "active": site.is_active,
            "type": [
                {"coding": [{"system": codes.SITE_KIND_SYSTEM, "code": site.kind}], "text": site.get_kind_display()}
            ],
            "name": site.name,
            "telecom": [{"system": "phone", "value": site.phone, "use": "work"}] if site.phone else None,
            "address": site_address(site),
            "partOf": ref("Organization", GROUP_ID),
        }
    )


_PHYSICAL = "http://terminology.hl7.org/CodeSystem/location-physical-type"


def site_location(site) -> dict:
    return _drop_empty(
        {
            "resourceType": "Location",
            "id": str(site.public_id),
            "status": "active" if site.is_active else "inactive",
            "name": site.name,
            "mode": "instance",
            "physicalType": {"coding": [{"system": _PHYSICAL, "code": "si", "display": "Site"}]},
            "telecom": [{"system": "phone", "value": site.phone, "use": "work"}] if site.phone else None,
            "address": (site_address(site) or [None])[0],
            "managingOrganization": ref("Organization", site, site.name),
        }
    )


def unit_location(unit) -> dict:
    """Callers select_related("site")."""
    return _drop_empty(
        {
            "resourceType": "Location",
            "id": str(unit.public_id),
            "status": "active" if unit.site.is_active else "inactive",
            "name": unit.name,
            "mode": "instance",
            "physicalType": {"coding": [{"system": _PHYSICAL, "code": "wa", "display": "Ward"}]},
            "telecom": [{"system": "phone", "value": unit.nurse_station_phone, "use": "work"}]
            if unit.nurse_station_phone
            else None,
            "managingOrganization": ref("Organization", unit.site, unit.site.name),
            "partOf": ref("Location", unit.site, unit.site.name),
        }
    )


# --- Practitioner and PractitionerRole: staff and their assignments -------------------------------


def practitioner(profile) -> dict:
    """A staff profile (select_related("user"))."""
    user = profile.user
    identifiers = [{"system": codes.HR_ID_SYSTEM, "value": profile.external_id}] if profile.external_id else []
    return _drop_empty(
        {
            "resourceType": "Practitioner",
            "id": str(user.public_id),
            "identifier": identifiers,
            "active": user.is_active,
            "name": [
                _drop_empty(
                    {"use": "usual", "family": user.last_name, "given": [user.first_name] if user.first_name else None}
                )
            ],
            "telecom": [{"system": "email", "value": user.email, "use": "work"}],
        }
    )


def practitioner_role(assignment) -> dict:
    """An assignment (select_related("user__staff_profile", "site", "unit"))."""
    profile = getattr(assignment.user, "staff_profile", None)
    job = profile.job if profile else ""
    return _drop_empty(
        {
            "resourceType": "PractitionerRole",
            "id": str(assignment.public_id),
            "active": assignment.is_current,
            "period": _period(assignment.start_date, assignment.end_date),
            "practitioner": ref("Practitioner", assignment.user, str(assignment.user)),
            "organization": ref("Organization", assignment.site, assignment.site.name),
            "code": [{"coding": [{"system": codes.JOB_SYSTEM, "code": job}], "text": profile.get_job_display()}]
            if job
            else None,
            "location": [ref("Location", assignment.unit, assignment.unit.name)] if assignment.unit_id else None,
            "telecom": [{"system": "phone", "value": profile.phone_extension, "use": "work"}]
            if profile and profile.phone_extension
            else None,
        }
    )


# --- Patient: a resident with the identity traits of the RNIV -----------------------------------


def patient(resident) -> dict:
    """A resident (select_related("site", "unit"))."""
    r = resident
    identifiers = []
    if r.ins_matricule:
        identifiers.append(
            {
                "use": "official",
                "type": {"coding": [{"system": "urn:oid:1.2.250.1.213.1.4.9", "code": "INS-NIR"}], "text": "INS"},
                "system": f"{codes.OID_PREFIX}{r.ins_oid}" if r.ins_oid else None,
                "value": r.ins_matricule,
            }
        )
        identifiers[-1] = _drop_empty(identifiers[-1])
    if r.external_id:
        identifiers.append({"use": "usual", "system": codes.ADMISSION_ID_SYSTEM, "value": r.external_id})
    names = [_drop_empty({"use": "usual", "family": r.last_name, "given": [r.first_name] if r.first_name else None})]
    if r.birth_name or r.birth_forenames or r.birth_first_forename:
        given = r.birth_forenames.split() or ([r.birth_first_forename] if r.birth_first_forename else None)
        official = {"use": "official", "family": r.birth_name, "given": given}
        if r.birth_first_forename:
            official["extension"] = [{"url": codes.EXT_FIRST_BIRTH_FORENAME, "valueString": r.birth_first_forename}]
        names.insert(0, _drop_empty(official))
    if r.preferred_name:
        names.append({"use": "nickname", "given": [r.preferred_name]})
    extensions = [{"url": codes.EXT_IDENTITY_STATUS, "valueCode": r.identity_status}]
    if r.birth_place_code:
        extensions.append({"url": codes.EXT_BIRTH_PLACE_CODE, "valueCode": r.birth_place_code})
    extensions.append({"url": codes.EXT_STATUS, "valueCode": r.status})
    if r.unit_id:
        extensions.append({"url": codes.EXT_UNIT, "valueReference": ref("Location", r.unit, r.unit.name)})
    if r.room:
        extensions.append({"url": codes.EXT_ROOM, "valueString": r.room})
    if r.admission_date:
        extensions.append({"url": codes.EXT_ADMISSION_DATE, "valueDate": r.admission_date.isoformat()})
    if r.discharge_date:
        extensions.append({"url": codes.EXT_DISCHARGE_DATE, "valueDate": r.discharge_date.isoformat()})
    deceased = r.status == r.Status.DECEASED
    return _drop_empty(
        {
            "resourceType": "Patient",
            "id": str(r.public_id),
            "extension": extensions,
            "identifier": identifiers,
            "active": not r.is_archived,
            "name": names,
            "gender": codes.GENDER.get(r.sex, "unknown"),
            "birthDate": r.birth_date.isoformat() if r.birth_date else None,
            "deceasedDateTime": r.discharge_date.isoformat() if deceased and r.discharge_date else None,
            "deceasedBoolean": True if deceased and not r.discharge_date else None,
            "managingOrganization": ref("Organization", r.site, r.site.name),
        }
    )


# --- Communication: a care note (transmission ciblée, DAR) --------------------------------------


def communication(note) -> dict:
    """A care note (select_related("resident", "author", "target", "amends", "site"))."""
    topic_text = note.target.label + (f" — {note.target_detail}" if note.target_detail else "")
    payload = [
        {"extension": [{"url": codes.EXT_DAR_PART, "valueCode": part}], "contentString": getattr(note, part)}
        for part in codes.DAR_PARTS
        if getattr(note, part)
    ]
    return _drop_empty(
        {
            "resourceType": "Communication",
            "id": str(note.public_id),
            "extension": [
                {"url": codes.EXT_SHIFT, "valueCode": note.shift},
                {"url": codes.EXT_PRIORITY, "valueCode": note.priority},
                {"url": codes.EXT_FAMILY_VISIBLE, "valueBoolean": note.is_family_visible},
            ],
            "status": "entered-in-error" if note.is_retracted else "completed",
            "inResponseTo": [ref("Communication", note.amends)] if note.amends_id else None,
            "priority": codes.NOTE_PRIORITY[note.priority],
            "subject": ref("Patient", note.resident, str(note.resident)),
            "topic": {
                "coding": [{"system": codes.TARGET_SYSTEM, "code": note.target.code, "display": note.target.label}],
                "text": topic_text,
            },
            "sent": _instant(note.created_at),
            "sender": ref("Practitioner", note.author, str(note.author)),
            "payload": payload,
        }
    )


# --- DocumentReference and Binary: documents and their current file -----------------------------


def document_reference(request, document) -> dict:
    """A document (select_related("current_version", "folder__resident"))."""
    version = document.current_version
    attachment = {
        "contentType": version.content_type,
        "url": request.build_absolute_uri(reverse("fhirapi:binary_read", kwargs={"public_id": version.public_id})),
        "size": version.size,
        "title": version.original_name,
        "creation": _instant(version.uploaded_at),
    }
    folder = document.folder
    return _drop_empty(
        {
            "resourceType": "DocumentReference",
            "id": str(document.public_id),
            "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{version.public_id}"}],
            "status": "current",
            "description": document.title,
            "subject": ref("Patient", folder.resident, str(folder.resident)) if folder.resident_id else None,
            "date": _instant(document.updated_at),
            "content": [{"attachment": attachment}],
            "context": {"related": [{"display": folder.name}]},
        }
    )
