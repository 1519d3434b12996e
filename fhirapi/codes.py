"""The names CareHub gives its FHIR data: identifier systems, code systems, extensions, value mappings.

CareHub publishes no StructureDefinition site: its own URIs are URNs (``urn:carehub:fhir:…``), stable
whatever host serves the API. The CapabilityStatement and the README list them.
"""

from __future__ import annotations

BASE = "urn:carehub:fhir"

#: The admission software's id of a resident (Resident.external_id): the key of the conditional update.
ADMISSION_ID_SYSTEM = f"{BASE}:sid:admission-id"
#: A staff member's HR identifier (StaffProfile.external_id).
HR_ID_SYSTEM = f"{BASE}:sid:hr-id"
#: The INS system is the OID of its assigning authority: ``urn:oid:`` + Resident.ins_oid.
OID_PREFIX = "urn:oid:"
#: Which OIDs an INS may have: coordination.identity.INS_OIDS.

TARGET_SYSTEM = f"{BASE}:codesystem:target"
JOB_SYSTEM = f"{BASE}:codesystem:job"
SITE_KIND_SYSTEM = f"{BASE}:codesystem:site-kind"


def ext(name: str) -> str:
    return f"{BASE}:extension:{name}"


# Patient
EXT_IDENTITY_STATUS = ext("identity-status")  # valueCode: provisional | retrieved | validated | qualified
EXT_BIRTH_PLACE_CODE = ext("birth-place-code")  # valueCode: INSEE code of the commune or country
EXT_FIRST_BIRTH_FORENAME = ext("first-birth-forename")  # on the official name, valueString
EXT_UNIT = ext("unit")  # valueReference: Location (a unit)
EXT_ROOM = ext("room")  # valueString
EXT_STATUS = ext("residence-status")  # valueCode: present | hospitalised | discharged | deceased
EXT_ADMISSION_DATE = ext("admission-date")  # valueDate
EXT_DISCHARGE_DATE = ext("discharge-date")  # valueDate
# Communication
EXT_DAR_PART = ext("dar-part")  # on a payload, valueCode: data | action | result
EXT_SHIFT = ext("shift")  # valueCode: morning | afternoon | night
EXT_PRIORITY = ext("care-note-priority")  # valueCode: routine | important | urgent
EXT_FAMILY_VISIBLE = ext("family-visible")  # valueBoolean

GENDER = {"F": "female", "M": "male", "I": "other"}
SEX_OF_GENDER = {"female": "F", "male": "M", "other": "I", "unknown": ""}

#: CareNote priority -> FHIR request priority (routine < urgent < asap < stat).
NOTE_PRIORITY = {"routine": "routine", "important": "urgent", "urgent": "asap"}

DAR_PARTS = ("data", "action", "result")
