"""A resident's identity under the national identity-vigilance rules (RNIV): the checks of the
traits and of the INS, and the way the traits are written on a page or a print.

The INS (identifiant national de santé) is a matricule, the NIR or the NIA, with the OID of its
kind. Here it is entered by hand or written by the admission software; nothing calls the
national teleservice INSi yet (README, "Resident identity").

The four statuses of the RNIV follow from two facts: was the INS retrieved (or checked) through
the teleservice, and were the traits checked against an identity document?

* provisional: neither; no INS may be kept (an INS only comes from the teleservice);
* retrieved: the INS and the traits the teleservice returned, no document seen;
* validated: the traits checked against a document, no INS;
* qualified: both.

So an INS (matricule and OID) is required by retrieved and qualified and refused by the other
two, and every status beyond provisional needs the strict traits complete: the teleservice and
an identity document both give all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carehub import textsearch

from .models import Resident

#: The OIDs of an INS matricule: its kind, and the test ones of the INSi test platform.
INS_OIDS = {
    "1.2.250.1.213.1.4.8": _("NIR"),
    "1.2.250.1.213.1.4.9": _("NIA"),
    "1.2.250.1.213.1.4.10": _("Test NIR"),
    "1.2.250.1.213.1.4.11": _("Test NIA"),
}

#: The fields this module checks, in the order of the forms.
IDENTITY_FIELDS = (
    "birth_name",
    "birth_first_forename",
    "birth_forenames",
    "sex",
    "birth_place_code",
    "ins_matricule",
    "ins_oid",
    "identity_status",
)

#: The traits two records of the same person share (``same_person_traits``).
DUPLICATE_TRAITS = (
    "birth_name",
    "last_name",
    "birth_first_forename",
    "first_name",
    "birth_date",
    "sex",
    "ins_matricule",
)

#: The strict traits of the RNIV, needed by every status beyond provisional.
STRICT_TRAITS = ("birth_name", "birth_first_forename", "birth_forenames", "birth_date", "sex", "birth_place_code")

_WITH_INS = frozenset({Resident.IdentityStatus.RETRIEVED, Resident.IdentityStatus.QUALIFIED})
# 13 characters: sex, year, month, département (2A/2B for Corsica), commune, order number; then the key.
_MATRICULE = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{6}[0-9]{2}$")
# A commune (Corsica's start with 2A or 2B) or, for a birth abroad, 99 and the country.
_INSEE_CODE = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$")
_SPACES = re.compile(r"[\s.\-]+")


def ins_key(number: str) -> int:
    """The key of a 13-character NIR or NIA: 97 minus the number modulo 97, Corsica's
    département counted as 19 (2A) or 18 (2B)."""
    department = {"2A": "19", "2B": "18"}.get(number[5:7], number[5:7])
    return 97 - int(number[:5] + department + number[7:]) % 97


def clean_matricule(value: str) -> str:
    """The matricule as typed ("2 55 08 2A 123 456 18") without its spaces, in capitals."""
    return _SPACES.sub("", value or "").upper()


def matricule_errors(matricule: str) -> list[str]:
    if not _MATRICULE.match(matricule):
        return [
            gettext(
                "The INS matricule has 15 characters: 13 digits (2A or 2B for a birth in Corsica) "
                "followed by the 2-digit key."
            )
        ]
    if ins_key(matricule[:13]) != int(matricule[13:]):
        return [gettext("The key of this INS matricule is wrong: check every digit.")]
    return []


def identity_errors(traits: Mapping) -> dict[str, list[str]]:
    """Every problem of these traits (the cleaned values of ``IDENTITY_FIELDS`` and ``birth_date``),
    by field; empty when they are sound."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    matricule, oid = traits.get("ins_matricule", ""), traits.get("ins_oid", "")
    status = traits.get("identity_status") or Resident.IdentityStatus.PROVISIONAL
    if matricule:
        for message in matricule_errors(matricule):
            add("ins_matricule", message)
    if oid and oid not in INS_OIDS:
        add("ins_oid", gettext("Unknown OID: an INS is a NIR (1.2.250.1.213.1.4.8) or a NIA (1.2.250.1.213.1.4.9)."))
    if matricule and "ins_matricule" not in errors:
        _check_matricule_against_traits(matricule, traits, add)
    code = traits.get("birth_place_code", "")
    if code and not _INSEE_CODE.match(code):
        add(
            "birth_place_code",
            gettext("The INSEE code has 5 characters: the commune's code, or 99 and the country's for a birth abroad."),
        )
    first, forenames = traits.get("birth_first_forename", ""), traits.get("birth_forenames", "")
    if first and forenames and not textsearch.normalise(forenames).startswith(textsearch.normalise(first)):
        add("birth_first_forename", gettext("The first birth forename is the first of the birth forenames."))
    if status in _WITH_INS:
        if not matricule:
            add("ins_matricule", gettext("A retrieved or qualified identity has an INS: give its matricule."))
        if not oid:
            add("ins_oid", gettext("A retrieved or qualified identity has an INS: give its OID."))
    elif matricule or oid:
        add(
            "identity_status",
            gettext("An identity with an INS is retrieved (by the teleservice) or qualified (checked as well)."),
        )
    if status != Resident.IdentityStatus.PROVISIONAL:
        for name in STRICT_TRAITS:
            if not traits.get(name):
                add(name, gettext("Required beyond a provisional identity."))
    return errors


def _check_matricule_against_traits(matricule: str, traits: Mapping, add) -> None:
    # The matricule starts with the sex (odd: male, even: female) and the year of birth.
    sex, born = traits.get("sex"), traits.get("birth_date")
    if sex in (Resident.Sex.FEMALE, Resident.Sex.MALE) and (int(matricule[0]) % 2 == 1) != (sex == Resident.Sex.MALE):
        add(
            "ins_matricule",
            gettext("This INS matricule is not of a person of this sex: check the sex or the matricule."),
        )
    if born and matricule[1:3] != f"{born.year % 100:02d}":
        add("ins_matricule", gettext("This INS matricule is not of a person born that year: check both."))


def clean_traits(traits: Mapping) -> dict:
    """The identity traits as they are kept: trimmed, codes in capitals, the matricule without spaces."""
    cleaned = dict(traits)
    for name in ("birth_name", "birth_first_forename", "birth_forenames", "ins_oid"):
        if name in cleaned:
            cleaned[name] = " ".join((cleaned[name] or "").split())
    if "birth_place_code" in cleaned:
        cleaned["birth_place_code"] = (cleaned["birth_place_code"] or "").strip().upper()
    if "ins_matricule" in cleaned:
        cleaned["ins_matricule"] = clean_matricule(cleaned["ins_matricule"])
    return cleaned


def check(resident: Resident) -> None:
    """Raise the ValidationError of a resident whose identity traits do not hold together."""
    traits = {name: getattr(resident, name) for name in (*IDENTITY_FIELDS, "birth_date")}
    if errors := identity_errors(traits):
        raise ValidationError(errors)


# --- possible duplicates --------------------------------------------------------------------------


def duplicate_key_names(resident: Resident) -> tuple[set[str], set[str]]:
    """The names and first forenames a resident may be known by, normalised (case, accents, hyphens)."""
    names = {textsearch.normalise(n) for n in (resident.birth_name, resident.last_name)} - {""}
    forenames = {textsearch.normalise(f) for f in (resident.birth_first_forename, resident.first_name)} - {""}
    return names, forenames


def same_person_traits(a: Resident, b: Resident) -> bool:
    """The same INS, or the same birth date, a name and a first forename in common and the same sex
    when both know it."""
    if a.ins_matricule and a.ins_matricule == b.ins_matricule:
        return True
    if not a.birth_date or a.birth_date != b.birth_date:
        return False
    if a.sex and b.sex and a.sex != b.sex:
        return False
    (names_a, forenames_a), (names_b, forenames_b) = duplicate_key_names(a), duplicate_key_names(b)
    return bool(names_a & names_b) and bool(forenames_a & forenames_b)


# --- how the traits are written -----------------------------------------------------------------


def birth_name_shown(resident: Resident) -> str:
    return (resident.birth_name or resident.last_name).upper()


def first_forename_shown(resident: Resident) -> str:
    return resident.birth_first_forename or resident.first_name


def used_name_differs(resident: Resident) -> bool:
    birth = (textsearch.normalise(birth_name_shown(resident)), textsearch.normalise(first_forename_shown(resident)))
    return birth != (textsearch.normalise(resident.last_name), textsearch.normalise(resident.first_name))


def identity_line(resident: Resident) -> str:
    """ "MARTIN Marie — F — born 03/04/1938 — used name: DUPONT Marie": the traits the RNIV asks on
    every page and print about a person, birth name and first birth forename first. A record
    without its birth traits yet shows its used ones in their place, as prints did before."""
    parts = [f"{birth_name_shown(resident)} {first_forename_shown(resident)}"]
    if resident.sex:
        parts.append(resident.sex)
    if resident.birth_date:
        parts.append(gettext("born %(date)s") % {"date": date_format(resident.birth_date, "SHORT_DATE_FORMAT")})
    else:
        parts.append(gettext("date of birth unknown"))
    if used_name_differs(resident):
        parts.append(gettext("used name: %(name)s") % {"name": f"{resident.last_name.upper()} {resident.first_name}"})
    return " — ".join(parts)


@dataclass(frozen=True)
class ShownIdentity:
    """The traits as a page shows them (``templates/coordination/partials/resident_identity.html``)."""

    birth_name: str
    first_forename: str
    used_name: str  # "" when it is the birth name and first forename
    line: str
    birth_name_recorded: bool


def shown_identity(resident: Resident) -> ShownIdentity:
    return ShownIdentity(
        birth_name=birth_name_shown(resident),
        first_forename=first_forename_shown(resident),
        used_name=f"{resident.last_name.upper()} {resident.first_name}" if used_name_differs(resident) else "",
        line=identity_line(resident),
        birth_name_recorded=bool(resident.birth_name),
    )
