"""How the directory finds people: the words a person is found by, in two search columns.

Text is normalised in Python (carehub.textsearch: lower case, accents and punctuation
removed) both when the search columns are written and when a query is read, so that
SQLite and PostgreSQL agree on what matches: "helene" finds "Hélène", "lefevre" finds
"Lefèvre". ``search_name`` holds the names, where one typo is forgiven ("benaly" finds
"Benali"); ``search_document`` every word, names included. On PostgreSQL the columns carry
GIN trigram indexes (migration 0003), which serve the LIKE filters of both.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from babel import Locale
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from carehub.textsearch import normalise as normalise
from carehub.textsearch import tokens as tokens

from .models import Job

#: Languages a staff member may declare (ISO 639 codes): the languages most
#: spoken by residents, families and staff of French care homes, overseas included.
SPOKEN_LANGUAGE_CODES = [
    "fr",
    "en",
    "es",
    "pt",
    "it",
    "de",
    "nl",
    "pl",
    "ro",
    "ru",
    "uk",
    "ar",
    "kab",
    "tr",
    "fa",
    "he",
    "zh",
    "vi",
    "km",
    "ta",
    "wo",
    "bm",
    "ff",
    "ln",
    "sw",
    "mg",
    "ht",
    "gcf",
    "rcf",
    "gcr",
    "br",
    "eu",
    "ca",
    "oc",
    "co",
    "el",
    "sq",
    "sr",
    "hy",
    "fsl",
]

#: Languages CLDR does not name: (French name, English name for the UI).
_EXTRA_LANGUAGES = {
    "gcf": ("créole guadeloupéen et martiniquais", _("Guadeloupean and Martinican Creole")),
    "rcf": ("créole réunionnais", _("Réunion Creole")),
    "gcr": ("créole guyanais", _("French Guianese Creole")),
    "fsl": ("langue des signes française lsf", _("French Sign Language (LSF)")),
}

#: French words people type for each job, besides the label itself (search vocabulary, not UI text).
JOB_KEYWORDS = {
    Job.CARE_ASSISTANT: "aide soignant aide soignante as care assistant",
    Job.NURSE: "infirmier infirmiere ide nurse",
    Job.NURSE_COORDINATOR: "infirmier infirmiere coordinateur coordinatrice idec cadre de sante nurse coordinator",
    Job.COORDINATING_DOCTOR: "medecin coordonnateur coordonnatrice docteur coordinating doctor",
    Job.DOCTOR: "medecin docteur doctor",
    Job.SITE_DIRECTOR: "directeur directrice direction site director",
    Job.HOUSEKEEPING: "agent de service hospitalier ash",
    Job.SUPPORT_WORKER: "accompagnant educatif et social aes amp aide medico psychologique support worker",
    Job.PSYCHOLOGIST: "psychologue psychologist",
    Job.PHYSIOTHERAPIST: "kinesitherapeute kine kinesitherapie physiotherapist physio",
    Job.OCCUPATIONAL_THERAPIST: "ergotherapeute ergo occupational therapist",
    Job.ACTIVITY_LEAD: "animateur animatrice animation activity lead",
    Job.DIETITIAN: "dieteticien dieteticienne dietitian",
    Job.SECRETARY: "secretaire secretariat administratif administrative accueil",
    Job.HEAD_OFFICE: "siege head office",
}


def _padded(words: Iterable[str]) -> str:
    # Leading and trailing spaces: " tok" is a word start and " tok " a whole word.
    text = " ".join(w for w in (normalise(x) for x in words) if w)
    return f" {text} " if text else ""


def language_name(code: str, locale: str | None = None) -> str:
    """The name of a language in the given (or current) UI language, from CLDR data."""
    locale = (locale or get_language() or "fr").split("-")[0]
    if code in _EXTRA_LANGUAGES:
        french, english = _EXTRA_LANGUAGES[code]
        if locale == "fr":
            return french[:1].upper() + french[1:]
        with translation.override(locale):
            return str(english)
    return _cldr_language_name(code, locale)


@functools.lru_cache(maxsize=512)
def _cldr_language_name(code: str, locale: str) -> str:
    try:
        names = Locale.parse(locale).languages
    except (ValueError, TypeError):
        names = {}
    name = names.get(code)
    return name[:1].upper() + name[1:] if name else code


@functools.lru_cache(maxsize=64)
def _job_labels(job: str) -> tuple[str, ...]:
    labels = []
    for lang in ("en", "fr"):
        with translation.override(lang):
            labels.append(str(Job(job).label))
    return tuple(labels)


def language_choices() -> list[tuple[str, str]]:
    return sorted(((code, language_name(code)) for code in SPOKEN_LANGUAGE_CODES), key=lambda c: normalise(c[1]))


def _language_words(codes: Iterable[str]) -> list[str]:
    words = []
    for code in codes:
        words += [code, language_name(code, "fr"), language_name(code, "en")]
    return words


def digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def build_search_name(*, first_name: str, last_name: str) -> str:
    return _padded([first_name, last_name])


def build_search_document(
    *, first_name: str, last_name: str, job: str, phone_extension: str, languages: Iterable[str], places: Iterable[str]
) -> str:
    """The words a person is found by. Never the mobile number: it is not for everyone."""
    labels = _job_labels(job) if job in Job.values else ()
    words = [first_name, last_name, *labels, JOB_KEYWORDS.get(job, ""), *places, *_language_words(languages or [])]
    extension = digits(phone_extension)
    if extension:
        words.append(extension)
    return _padded(words)


def places_of(assignments) -> list[str]:
    """Site names, cities and unit names of a person's current assignments."""
    places = []
    for assignment in assignments:
        places += [assignment.site.name, assignment.site.city]
        if assignment.unit_id:
            places.append(assignment.unit.name)
    return places
