"""CSV imports of staff (HR software) and residents (admission software).

Upload → dry run (every row checked, nothing written, errors per row) → apply.
Applying is idempotent on the external id: a row whose id is already known
updates that person; a new id creates one. Rows are limited to the sites the
coordinator manages. Both steps run the same ``plan_import``: what is applied is
what the preview showed, re-checked against the database of the moment.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.staff import staff_create
from carehub import spreadsheets
from coordination import services as coordination_services
from coordination.models import Resident
from directory.models import Assignment, Job, Site, StaffProfile, Unit

User = get_user_model()

# Header names accepted for each field (lower case, accents kept): English first, then
# the usual French column names of HR and admission software exports.
STAFF_COLUMNS = {
    "external_id": ("external_id", "matricule", "id", "identifiant"),
    "email": ("email", "e-mail", "mail", "courriel"),
    "last_name": ("last_name", "nom"),
    "first_name": ("first_name", "prénom", "prenom"),
    "job": ("job", "fonction", "emploi", "métier"),
    "site": ("site", "établissement", "etablissement"),
    "unit": ("unit", "unité", "unite", "service"),
    "role": ("role", "rôle"),
    "start_date": ("start_date", "date_debut", "date début", "date_entree", "date entrée"),
    "end_date": ("end_date", "date_fin", "date fin", "date_sortie"),
    "phone_extension": ("phone_extension", "poste", "extension"),
}
RESIDENT_COLUMNS = {
    "external_id": ("external_id", "id", "identifiant", "ipp", "numéro", "numero"),
    "last_name": ("last_name", "nom"),
    "first_name": ("first_name", "prénom", "prenom"),
    "birth_date": ("birth_date", "date_naissance", "date de naissance", "naissance"),
    "site": ("site", "établissement", "etablissement"),
    "unit": ("unit", "unité", "unite", "service"),
    "room": ("room", "chambre"),
    "admission_date": ("admission_date", "date_entree", "date entrée", "date d'entrée", "admission"),
}
REQUIRED = {
    "staff": ("external_id", "email", "last_name", "first_name", "site"),
    "residents": ("external_id", "last_name", "first_name", "site"),
}
KINDS = {"staff": gettext_lazy("staff"), "residents": gettext_lazy("residents")}
#: How the import page names each column (the accepted header names follow).
COLUMN_LABELS = {
    "external_id": gettext_lazy("Identifier in your HR or admission software"),
    "email": gettext_lazy("E-mail address"),
    "last_name": gettext_lazy("Last name"),
    "first_name": gettext_lazy("First name"),
    "job": gettext_lazy("Job"),
    "site": gettext_lazy("Site"),
    "unit": gettext_lazy("Unit"),
    "role": gettext_lazy("Role"),
    "start_date": gettext_lazy("Start date"),
    "end_date": gettext_lazy("End date"),
    "phone_extension": gettext_lazy("Phone extension"),
    "birth_date": gettext_lazy("Birth date"),
    "room": gettext_lazy("Room"),
    "admission_date": gettext_lazy("Admission date"),
}
JOB_ALIASES = {
    **{str(code): code for code, _label in Job.choices},
    **{str(label).lower(): code for code, label in Job.choices},
    "as": Job.CARE_ASSISTANT,
    "aide-soignant": Job.CARE_ASSISTANT,
    "aide-soignante": Job.CARE_ASSISTANT,
    "ide": Job.NURSE,
    "infirmier": Job.NURSE,
    "infirmière": Job.NURSE,
    "idec": Job.NURSE_COORDINATOR,
    "ash": Job.HOUSEKEEPING,
    "médecin": Job.DOCTOR,
    "medecin": Job.DOCTOR,
    "aes": Job.SUPPORT_WORKER,
    "amp": Job.SUPPORT_WORKER,
    "psychologue": Job.PSYCHOLOGIST,
    "kinésithérapeute": Job.PHYSIOTHERAPIST,
    "ergothérapeute": Job.OCCUPATIONAL_THERAPIST,
    "animateur": Job.ACTIVITY_LEAD,
    "animatrice": Job.ACTIVITY_LEAD,
    "diététicien": Job.DIETITIAN,
    "diététicienne": Job.DIETITIAN,
    "secrétaire": Job.SECRETARY,
}


@dataclass
class RowPlan:
    line: int
    values: dict
    action: str = ""  # "create", "update", "unchanged" or "" when the row has errors
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    target: object = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPlan:
    kind: str
    rows: list[RowPlan]
    errors: list[str] = field(default_factory=list)  # problems of the file itself

    @property
    def valid_rows(self) -> list[RowPlan]:
        return [r for r in self.rows if r.ok]

    @property
    def error_rows(self) -> list[RowPlan]:
        return [r for r in self.rows if not r.ok]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.ok and r.action == action)

    @property
    def summary(self) -> dict:
        return {
            "create": self.count("create"),
            "update": self.count("update"),
            "unchanged": self.count("unchanged"),
            "errors": len(self.error_rows),
        }


def _read(text: str, columns: dict) -> tuple[list[tuple[int, dict]], dict[str, str], list[str]]:
    """The rows (line number, values by field), the file's own header of each field, and file errors."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        # Rows of uneven length defeat the sniffer: guess from the sample, for this reader only
        # (csv.excel is the process-wide default of every other CSV reader and writer).
        dialect = csv.excel
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), dialect, delimiter=delimiter)
    try:
        return _records(reader, columns)
    except csv.Error:  # a carriage return alone inside a field: not a file a spreadsheet saved as CSV
        return [], {}, [_("The file could not be read as text: save it as “CSV UTF-8”.")]


def _records(reader, columns: dict) -> tuple[list[tuple[int, dict]], dict[str, str], list[str]]:
    try:
        header = next(reader)
    except StopIteration:
        return [], {}, [_("The file is empty.")]
    aliases = {alias: name for name, names in columns.items() for alias in names}
    mapping: dict[int, str] = {}
    headers: dict[str, str] = {}
    for index, raw in enumerate(header):
        name = aliases.get(raw.strip().lower().lstrip("\ufeff"))
        if name and name not in mapping.values():
            mapping[index] = name
            headers[name] = raw.strip().lstrip("\ufeff")
    rows = []
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        rows.append((line, {name: (record[i].strip() if i < len(record) else "") for i, name in mapping.items()}))
        if len(rows) > settings.BACKOFFICE_IMPORT_MAX_ROWS:
            return [], {}, [_("Too many rows: at most %(n)d per file.") % {"n": settings.BACKOFFICE_IMPORT_MAX_ROWS}]
    return rows, headers, [] if mapping else [_("No known column: check the first line of the file.")]


# A day, a month and a year of two digits: "01/01/25" could be 1925 or 2025, a birth or an admission.
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$")


def _date(row: RowPlan, name: str, headers: dict[str, str]) -> datetime.date | None:
    """The date in column ``name`` of the row; a row error naming the line and the column otherwise."""
    value = row.values.get(name, "")
    if not value:
        return None
    column = headers.get(name, name)
    if _TWO_DIGIT_YEAR.match(value):
        row.errors.append(
            _(
                "Line %(line)d, column “%(column)s”: “%(value)s” has a two-digit year, which could be "
                "of two centuries; write the year in full (DD/MM/YYYY)."
            )
            % {"line": row.line, "column": column, "value": value}
        )
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    row.errors.append(
        _("Line %(line)d, column “%(column)s”: “%(value)s” is not a date (YYYY-MM-DD or DD/MM/YYYY).")
        % {"line": row.line, "column": column, "value": value}
    )
    return None


class _Sites:
    """The coordinator's sites and units, looked up by name or id (loaded once per import)."""

    def __init__(self, user):
        self.sites = list(Site.objects.managed_by(user).filter(is_active=True))
        self.by_key = {}
        for site in self.sites:
            self.by_key[site.name.strip().lower()] = site
            self.by_key[str(site.pk)] = site
        self.units = {}
        for unit in Unit.objects.filter(site__in=self.sites):
            self.units[(unit.site_id, unit.name.strip().lower())] = unit

    def site(self, value: str, errors: list[str]):
        site = self.by_key.get(value.strip().lower())
        if site is None:
            errors.append(_("Site “%(value)s” is not one of the sites you manage.") % {"value": value})
        return site

    def unit(self, site, value: str, errors: list[str]):
        if not value or site is None:
            return None
        unit = self.units.get((site.pk, value.strip().lower()))
        if unit is None:
            errors.append(_("Unit “%(value)s” does not exist at %(site)s.") % {"value": value, "site": site.name})
        return unit


def _required(kind, values, errors):
    labels = {"external_id": _("external id"), "email": _("e-mail"), "last_name": _("last name")}
    labels |= {"first_name": _("first name"), "site": _("site")}
    for name in REQUIRED[kind]:
        if not values.get(name):
            errors.append(_("%(field)s is missing.") % {"field": labels.get(name, name)})


def plan_import(*, kind: str, text: str, user) -> ImportPlan:
    """Check every row against the database; write nothing."""
    columns = STAFF_COLUMNS if kind == "staff" else RESIDENT_COLUMNS
    rows, headers, file_errors = _read(text, columns)
    plan = ImportPlan(kind=kind, rows=[], errors=file_errors)
    if file_errors:
        return plan
    sites = _Sites(user)
    seen_ids: dict[str, int] = {}
    planner = _plan_staff_row if kind == "staff" else _plan_resident_row
    context = _staff_context(rows, user) if kind == "staff" else _resident_context(rows, user)
    context["headers"] = headers
    for line, values in rows:
        row = RowPlan(line=line, values=values)
        _required(kind, values, row.errors)
        external_id = values.get("external_id", "")
        if external_id and external_id in seen_ids:
            row.errors.append(
                _("External id %(id)s already on line %(line)d.") % {"id": external_id, "line": seen_ids[external_id]}
            )
        seen_ids.setdefault(external_id, line)
        if not row.errors:
            planner(row, sites, context, user)
        plan.rows.append(row)
    return plan


# --- Staff ---------------------------------------------------------------------------------


def _staff_context(rows, user):
    ids = {v.get("external_id") for _line, v in rows if v.get("external_id")}
    emails = {v.get("email", "").lower() for _line, v in rows if v.get("email")}
    profiles = {p.external_id: p for p in StaffProfile.objects.filter(external_id__in=ids).select_related("user")}
    users_by_email = {u.email.lower(): u for u in User.objects.filter(email__in=emails)}
    managed = Site.objects.managed_by(user).values_list("pk", flat=True)
    managed_users = set(
        Assignment.objects.filter(site_id__in=managed, user__in=[p.user_id for p in profiles.values()]).values_list(
            "user_id", flat=True
        )
    )
    assignments = {
        (a.user_id, a.site_id): a for a in Assignment.objects.filter(user_id__in=[p.user_id for p in profiles.values()])
    }
    return {
        "profiles": profiles,
        "users_by_email": users_by_email,
        "managed_users": managed_users,
        "assignments": assignments,
    }


def _plan_staff_row(row: RowPlan, sites: _Sites, ctx, user) -> None:
    v, errors = row.values, row.errors
    try:
        validate_email(v["email"])
    except ValidationError:
        errors.append(_("“%(value)s” is not an e-mail address.") % {"value": v["email"]})
    site = sites.site(v["site"], errors)
    unit = sites.unit(site, v.get("unit", ""), errors)
    job = Job.CARE_ASSISTANT
    if v.get("job"):
        job = JOB_ALIASES.get(v["job"].strip().lower())
        if job is None:
            errors.append(_("Job “%(value)s” is not known.") % {"value": v["job"]})
    role = Assignment.Role.STAFF
    if v.get("role"):
        role = {
            "staff": "staff",
            "coordinator": "coordinator",
            "coordinateur": "coordinator",
            "coordinatrice": "coordinator",
        }.get(v["role"].strip().lower())
        if role is None:
            errors.append(_("Role “%(value)s” must be staff or coordinator.") % {"value": v["role"]})
    start = _date(row, "start_date", ctx["headers"])
    end = _date(row, "end_date", ctx["headers"])
    if start and end and end < start:
        errors.append(_("The end date must not be before the start date."))
    if errors:
        return
    email = v["email"].lower()
    profile = ctx["profiles"].get(v["external_id"])
    clean = {
        "email": email,
        "first_name": v["first_name"],
        "last_name": v["last_name"],
        "job": job,
        "site": site,
        "unit": unit,
        "role": role,
        "start_date": start,
        "end_date": end,
        "phone_extension": v.get("phone_extension", ""),
    }
    row.values = {**v, "_clean": clean}
    if profile is None:
        if email in ctx["users_by_email"]:
            errors.append(_("%(email)s already has an account with another external id.") % {"email": email})
            return
        row.action = "create"
        return
    if profile.user_id not in ctx["managed_users"]:
        errors.append(_("This external id belongs to someone who does not work at your sites."))
        return
    other = ctx["users_by_email"].get(email)
    if other is not None and other.pk != profile.user_id:
        errors.append(_("%(email)s is the address of another account.") % {"email": email})
        return
    u = profile.user
    row.target = profile
    for name, current, new in (
        ("email", u.email, email),
        ("first_name", u.first_name, v["first_name"]),
        ("last_name", u.last_name, v["last_name"]),
        ("job", profile.job, job),
        ("phone_extension", profile.phone_extension, clean["phone_extension"]),
    ):
        if current != new:
            row.changes.append(name)
    assignment = ctx["assignments"].get((u.pk, site.pk))
    if assignment is None or (assignment.unit_id, assignment.role, assignment.start_date, assignment.end_date) != (
        unit.pk if unit else None,
        role,
        start,
        end,
    ):
        row.changes.append("assignment")
    row.action = "update" if row.changes else "unchanged"


def _apply_staff_row(row: RowPlan, user, send_welcome: bool) -> None:
    c = row.values["_clean"]
    if row.action == "create":
        new_user = staff_create(
            by=user,
            email=c["email"],
            first_name=c["first_name"],
            last_name=c["last_name"],
            job=c["job"],
            site=c["site"],
            unit=c["unit"],
            role=c["role"],
            start_date=c["start_date"],
            end_date=c["end_date"],
            external_id=row.values["external_id"],
            phone_extension=c["phone_extension"],
            send_welcome=send_welcome,
        )
        row.target = new_user.staff_profile
        return
    profile = StaffProfile.objects.select_related("user").get(pk=row.target.pk)
    u = profile.user
    u.email, u.first_name, u.last_name = c["email"], c["first_name"], c["last_name"]
    u.save(update_fields=["email", "first_name", "last_name"])
    profile.job, profile.phone_extension = c["job"], c["phone_extension"]
    profile.save(update_fields=["job", "phone_extension"])
    assignment, created = Assignment.objects.get_or_create(
        user=u,
        site=c["site"],
        defaults={
            "unit": c["unit"],
            "role": c["role"],
            "start_date": c["start_date"],
            "end_date": c["end_date"],
            "is_primary": not Assignment.objects.filter(user=u, is_primary=True).exists(),
        },
    )
    if not created:
        assignment.unit, assignment.role = c["unit"], c["role"]
        assignment.start_date, assignment.end_date = c["start_date"], c["end_date"]
        assignment.save(update_fields=["unit", "role", "start_date", "end_date"])
    if c["role"] == "coordinator" and not u.is_staff:
        u.is_staff = True
        u.save(update_fields=["is_staff"])


# --- Residents -------------------------------------------------------------------------------


def _resident_context(rows, user):
    ids = {v.get("external_id") for _line, v in rows if v.get("external_id")}
    existing = {}
    for resident in Resident.objects.filter(external_id__in=ids):
        existing.setdefault(resident.external_id, []).append(resident)
    managed = set(Site.objects.managed_by(user).values_list("pk", flat=True))
    return {"existing": existing, "managed": managed}


def _plan_resident_row(row: RowPlan, sites: _Sites, ctx, user) -> None:
    v, errors = row.values, row.errors
    site = sites.site(v["site"], errors)
    unit = sites.unit(site, v.get("unit", ""), errors)
    birth = _date(row, "birth_date", ctx["headers"])
    admission = _date(row, "admission_date", ctx["headers"])
    if birth and birth > datetime.date.today():  # noqa: DTZ011 - a calendar date
        errors.append(_("The date of birth is in the future."))
    if errors:
        return
    clean = {
        "site": site,
        "unit": unit,
        "first_name": v["first_name"],
        "last_name": v["last_name"],
        "birth_date": birth,
        "admission_date": admission,
        "room": v.get("room", "")[:20],
    }
    row.values = {**v, "_clean": clean}
    matches = ctx["existing"].get(v["external_id"], [])
    if len(matches) > 1:
        errors.append(_("Several residents already have this external id: correct them first."))
        return
    if not matches:
        row.action = "create"
        return
    resident = matches[0]
    if resident.site_id not in ctx["managed"]:
        errors.append(_("This external id belongs to a resident of a site you do not manage."))
        return
    if resident.is_archived:
        errors.append(_("This resident's file is archived (discharged or deceased): it is not changed by an import."))
        return
    row.target = resident
    for name in ("first_name", "last_name", "birth_date", "admission_date", "room"):
        if getattr(resident, name) != clean[name] and not (name == "admission_date" and clean[name] is None):
            row.changes.append(name)
    if resident.site_id != site.pk and unit is None:
        errors.append(_("A move to another site needs the unit of the new site."))
        return
    if resident.site_id != site.pk or resident.unit_id != (unit.pk if unit else None):
        row.changes.append("site/unit")
    row.action = "update" if row.changes else "unchanged"


def _apply_resident_row(row: RowPlan, user) -> None:
    """Through the coordination services: the rules and the audit are those of every other path."""
    c = row.values["_clean"]
    record = {name: c[name] for name in ("first_name", "last_name", "birth_date", "room")}
    if c["admission_date"] is not None:
        record["admission_date"] = c["admission_date"]
    if row.action == "create":
        row.target = coordination_services.resident_admit(
            user=user, site=c["site"], unit=c["unit"], external_id=row.values["external_id"], **record
        )
        return
    resident = row.target
    if resident.site_id != c["site"].pk or resident.unit_id != (c["unit"].pk if c["unit"] else None):
        # A move to another site comes with its unit (checked by the plan).
        resident = coordination_services.resident_transfer(resident=resident, user=user, unit=c["unit"])
    coordination_services.resident_update(user=user, resident=resident, **record)


def _apply_row(kind: str, row: RowPlan, user, send_welcome: bool) -> None:
    if kind == "staff":
        _apply_staff_row(row, user, send_welcome)
    else:
        _apply_resident_row(row, user)


@transaction.atomic
def apply_import(*, kind: str, text: str, user, send_welcome: bool = False) -> ImportPlan:
    """Re-check the file and write the valid rows, all in one transaction. Rows with errors are skipped."""
    plan = plan_import(kind=kind, text=text, user=user)
    if plan.errors:
        return plan
    for row in plan.valid_rows:
        if row.action != "unchanged":
            _apply_row(kind, row, user, send_welcome)
    return plan


def rows_to_write(plan: ImportPlan) -> int:
    return sum(1 for row in plan.valid_rows if row.action != "unchanged")


def apply_import_in_batches(
    *, kind: str, text: str, user, send_welcome: bool = False, progress=None, batch: int = 200
) -> ImportPlan:
    """A large file, on the worker: the same checks, then the rows written ``batch`` at a time, each
    batch in its own transaction, so that the progress between them can be seen. If the work stops
    half-way, the file applied again writes only the rest (the rows already written are "unchanged")."""
    plan = plan_import(kind=kind, text=text, user=user)
    if plan.errors:
        return plan
    rows = [row for row in plan.valid_rows if row.action != "unchanged"]
    progress = progress or (lambda done, total=None: None)
    progress(0, len(rows))
    for start in range(0, len(rows), batch):
        with transaction.atomic():
            for row in rows[start : start + batch]:
                _apply_row(kind, row, user, send_welcome)
        progress(start + len(rows[start : start + batch]))
    return plan


def plan_report_csv(plan: ImportPlan) -> bytes:
    """The import's result, row by row (line, external id, name, site, result, problems), as a CSV file."""
    outcome = {"create": _("new record"), "update": _("record updated"), "unchanged": _("unchanged")}
    rows = []
    for row in sorted(plan.rows, key=lambda r: r.line):
        values = row.values
        name = f"{values.get('last_name', '')} {values.get('first_name', '')}".strip()
        result = outcome.get(row.action, "") if row.ok else _("row skipped")
        if row.ok and row.action == "update" and row.changes:
            result = f"{result}: {', '.join(row.changes)}"
        rows.append(
            [row.line, values.get("external_id", ""), name, values.get("site", ""), result, " ".join(row.errors)]
        )
    headers = [_("Line"), _("External id"), _("Name"), _("Site"), _("Result"), _("Problems")]
    return spreadsheets.csv_bytes(headers, rows)
