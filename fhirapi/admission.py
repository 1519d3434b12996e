"""The admission software's write: ``PUT Patient?identifier=system|value`` (FHIR conditional update).

No resident with that identifier among the token's sites: the resident is admitted (201). One: it is
updated (200), and the same body sent twice changes nothing the second time. Several: 412.

How the Patient maps to the resident (also in the CapabilityStatement and the README):
- ``managingOrganization`` (Organization/<site id>): the site; required at admission.
- extension ``unit`` (Location/<unit id>): the unit; a different unit or site is a transfer
  (coordination.services.resident_transfer: a move to another site names a unit of that site).
- extension ``residence-status``: present | hospitalised; discharged | deceased with extension
  ``discharge-date`` (or ``deceasedDateTime``) is a discharge (coordination.services.resident_discharge).
- name ``usual``: the used name and forename; name ``official``: the birth name and birth forenames
  (extension ``first-birth-forename``); ``gender``, ``birthDate``, extensions ``birth-place-code``,
  ``identity-status``, ``room``, ``admission-date``; identifiers: the INS (``urn:oid:<oid>``) and the
  admission software's id (codes.ADMISSION_ID_SYSTEM).
Elements the body leaves out keep their value: the admission software need not know the unit or room
the team chose.

The changes are made through the coordination services, by the token's creator (a group admin), after
the token's own limit: only residents, sites and units of the token's sites. The identity traits are
checked there (coordination/identity.py: INS key and OID, statuses, possible duplicates).
"""

from __future__ import annotations

import datetime
from http import HTTPStatus

from django.db import transaction
from django.utils.translation import gettext as _
from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError as SchemaError

from coordination import identity
from coordination import services as coordination
from coordination.models import Resident

from . import codes, search, selectors
from .outcomes import FhirError


def unprocessable(message: str, expression: str = "") -> FhirError:
    return FhirError(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid", message, expression=expression)


def _extensions(body: dict) -> dict:
    return {e.get("url"): e for e in body.get("extension") or [] if isinstance(e, dict)}


def _date(value, expression: str):
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise unprocessable(_("Not a date (YYYY-MM-DD)."), expression) from None


def _referenced(reference: dict | None, resource_type: str, rows, expression: str):
    """The row a reference names among ``rows`` (the client's sites or units); 422 when it is not one."""
    text = (reference or {}).get("reference", "")
    target = selectors._uuid(text.rsplit("/", 1)[-1]) if text.startswith(f"{resource_type}/") else None
    row = rows.filter(public_id=target).first() if target else None
    if row is None:
        raise unprocessable(
            _("%(type)s not found among this token's sites: give %(type)s/<id> as the API lists it.")
            % {"type": resource_type},
            expression,
        )
    return row


def patient_fields(body: dict, client) -> dict:
    """What the Patient says of the resident, as Resident fields (only the elements present)."""
    fields: dict = {}
    names = {n.get("use"): n for n in body.get("name") or []}
    usual = names.get("usual") or names.get("official") or next(iter(names.values()), None)
    if usual:
        fields["last_name"] = usual.get("family", "")
        fields["first_name"] = " ".join(usual.get("given") or [])
    official = names.get("official")
    if official:
        forenames = official.get("given") or []
        first = _extensions(official).get(codes.EXT_FIRST_BIRTH_FORENAME, {}).get("valueString")
        fields["birth_name"] = official.get("family", "")
        fields["birth_forenames"] = " ".join(forenames)
        fields["birth_first_forename"] = first or (forenames[0] if forenames else "")
    if nickname := names.get("nickname"):
        fields["preferred_name"] = " ".join(nickname.get("given") or [])
    if "gender" in body:
        if body["gender"] not in codes.SEX_OF_GENDER:
            raise unprocessable(_("gender: female, male, other or unknown."), "Patient.gender")
        fields["sex"] = codes.SEX_OF_GENDER[body["gender"]]
    if "birthDate" in body:
        fields["birth_date"] = _date(body["birthDate"], "Patient.birthDate")
    for identifier in body.get("identifier") or []:
        system, value = identifier.get("system", ""), identifier.get("value", "")
        if system == codes.ADMISSION_ID_SYSTEM:
            fields["external_id"] = value
        elif system.startswith(codes.OID_PREFIX):
            fields["ins_oid"], fields["ins_matricule"] = system.removeprefix(codes.OID_PREFIX), value
    ext = _extensions(body)
    simple = {
        codes.EXT_IDENTITY_STATUS: ("identity_status", "valueCode"),
        codes.EXT_BIRTH_PLACE_CODE: ("birth_place_code", "valueCode"),
        codes.EXT_ROOM: ("room", "valueString"),
        codes.EXT_STATUS: ("status", "valueCode"),
    }
    for url, (name, key) in simple.items():
        if url in ext:
            fields[name] = ext[url].get(key, "")
    if codes.EXT_ADMISSION_DATE in ext:
        fields["admission_date"] = _date(ext[codes.EXT_ADMISSION_DATE].get("valueDate"), "Patient.extension")
    if codes.EXT_DISCHARGE_DATE in ext:
        fields["discharge_date"] = _date(ext[codes.EXT_DISCHARGE_DATE].get("valueDate"), "Patient.extension")
    if body.get("deceasedDateTime") or body.get("deceasedBoolean"):
        fields["status"] = Resident.Status.DECEASED
        if body.get("deceasedDateTime"):
            fields["discharge_date"] = _date(body["deceasedDateTime"], "Patient.deceasedDateTime")
    if "managingOrganization" in body:
        fields["site"] = _referenced(
            body["managingOrganization"], "Organization", selectors.sites(client), "Patient.managingOrganization"
        )
    if codes.EXT_UNIT in ext:
        fields["unit"] = _referenced(
            ext[codes.EXT_UNIT].get("valueReference"), "Location", selectors.units(client), "Patient.extension"
        )
    return fields


def _validated(body) -> dict:
    if not isinstance(body, dict) or body.get("resourceType") != "Patient":
        raise unprocessable(_("Send a Patient resource."), "Patient")
    try:
        Patient.model_validate(body)
    except SchemaError as error:
        details = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:10]]
        raise FhirError(
            HTTPStatus.UNPROCESSABLE_ENTITY, "structure", _("This is not a valid FHIR R4 Patient."), *details
        ) from None
    return body


def _matching(client, identifier: str):
    if not identifier:
        raise search.bad_request(_("A conditional update names the resident: ?identifier=system|value."), "identifier")
    return list(selectors.residents(client).filter(selectors.identifier_q(identifier))[:2])


@transaction.atomic
def patient_upsert(*, client, token, identifier: str, body) -> tuple[Resident, bool]:
    """Admit or update the resident the identifier names; (resident, created)."""
    fields = patient_fields(_validated(body), client)
    matches = _matching(client, identifier)
    if len(matches) > 1:
        raise FhirError(
            HTTPStatus.PRECONDITION_FAILED,
            "multiple-matches",
            _("Several residents have this identifier: update them one by one in CareHub."),
        )
    system, value = search.token(identifier)
    if system == codes.ADMISSION_ID_SYSTEM and "external_id" not in fields:
        fields["external_id"] = value
    user = token.created_by
    site, unit = fields.pop("site", None), fields.pop("unit", None)
    status, discharge_date = fields.pop("status", None), fields.pop("discharge_date", None)
    archiving = status in Resident.ARCHIVED_STATUSES
    if not matches:
        if site is None:
            raise unprocessable(_("An admission names the site: managingOrganization."), "Patient.managingOrganization")
        if unit is not None and unit.site_id != site.pk:
            raise unprocessable(_("This unit belongs to another site."), "Patient.extension")
        record = {**fields, **({"status": status} if status and not archiving else {})}
        resident = coordination.resident_admit(user=user, site=site, unit=unit, **record)
        created = True
    else:
        resident, created = matches[0], False
        record = {**fields, **({"status": status} if status and not archiving else {})}
        # Compared as the services keep them (matricule without spaces…): the same body again changes nothing.
        record = identity.clean_traits(record)
        changed = {name: value for name, value in record.items() if getattr(resident, name) != value}
        if changed:
            resident = coordination.resident_update(user=user, resident=resident, **changed)
        moved = (unit is not None and unit.pk != resident.unit_id) or (site is not None and site.pk != resident.site_id)
        if moved:
            if unit is None or (site is not None and unit.site_id != site.pk):
                raise unprocessable(
                    _("A move to another site names a unit of that site (extension unit)."), "Patient.extension"
                )
            resident = coordination.resident_transfer(resident=resident, user=user, unit=unit)
    if archiving and resident.status != status:
        if discharge_date is None:
            raise unprocessable(_("Give the date of discharge or death."), "Patient.extension")
        resident = coordination.resident_discharge(resident=resident, user=user, status=status, on=discharge_date)
    return Resident.objects.select_related("site", "unit").get(pk=resident.pk), created
