"""The world the browser journeys run in, built in the server's database.

Run by the e2e fixtures in a subprocess, with the same environment as the
server (``SQLITE_PATH`` pointing to a temporary file), after ``migrate``:

    python -m tests.e2e.scenario /tmp/…/scenario.json

It loads the demo group with small sizes (what ``make run`` shows, so the
screenshots look like a newcomer's first visit), then gives the journeys'
people known passwords and known TOTP keys, and adds one care assistant who
has never signed in (no authenticator yet). The JSON written holds what the
browser side needs: e-mails, passwords, TOTP keys (hex), names.

Runs in its own process on purpose: the test process drives Playwright's
synchronous API, under which Django refuses database access.
"""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from carehub.demo import DEMO_DOMAIN, DemoContext, run  # noqa: E402
from carehub.management.commands.seed_demo import SEEDERS  # noqa: E402
from directory.models import Assignment, Job, StaffProfile, Unit  # noqa: E402

#: One password for every journey account: long enough for the validators, never a real one.
PASSWORD = "e2e-Journey-password-2026"

#: Demo accounts the journeys sign in as, by demo role (see accounts/demo.py).
DEMO_ROLES = {
    "admin": "group admin",
    "coordinator": "site coordinator",
    "nurse": "nurse",
    "assistant": "care assistant",
    "family": "family member",
}


def _person(user, key: str | None) -> dict:
    return {
        "email": user.email,
        "password": PASSWORD,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "public_id": str(getattr(user, "public_id", "") or ""),
        "totp_key": key,
    }


@transaction.atomic
def _journey_people(ctx: DemoContext) -> dict:
    User = get_user_model()
    people = {}
    for name, role in DEMO_ROLES.items():
        user = ctx.accounts[role]["user"]
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        people[name] = _person(user, device.key if device else None)

    # A second care assistant of the nurse's unit who has never signed in:
    # the first journey sets up her authenticator.
    site = ctx.site_list[0]
    unit = Unit.objects.filter(site=site).order_by("name").first()
    newcomer, _ = User.objects.get_or_create(
        email=f"nouvelle.aide@{DEMO_DOMAIN}",
        defaults={"first_name": "Amandine", "last_name": "Roux", "kind": User.Kind.STAFF},
    )
    newcomer.set_password(PASSWORD)
    newcomer.save(update_fields=["password"])
    StaffProfile.objects.get_or_create(user=newcomer, defaults={"job": Job.CARE_ASSISTANT, "phone_extension": "2101"})
    Assignment.objects.get_or_create(
        user=newcomer, site=site, defaults={"role": Assignment.Role.STAFF, "unit": unit, "is_primary": True}
    )
    TOTPDevice.objects.filter(user=newcomer).delete()
    people["newcomer"] = _person(newcomer, None)
    # Her colleague starting today: her whole first shift is journey 1.
    first_shift = _newcomer(site, unit, "premier.poste", "Lucie", "Girard", "2102")
    people["first_shift"] = _person(first_shift, None)
    return {
        "people": people,
        "site": {"name": site.name, "public_id": str(site.public_id)},
        "unit": {"name": unit.name, "public_id": str(unit.public_id)},
        "residents": _residents(site, unit, nurse=ctx.accounts["nurse"]["user"]),
        # The demo family account signs in with a printed backup code, as a newcomer would.
        "family_backup_code": ctx.accounts["family member"]["codes"][0],
    }


def _newcomer(site, unit, local: str, first: str, last: str, extension: str):
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        email=f"{local}@{DEMO_DOMAIN}", defaults={"first_name": first, "last_name": last, "kind": User.Kind.STAFF}
    )
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    StaffProfile.objects.get_or_create(user=user, defaults={"job": Job.CARE_ASSISTANT, "phone_extension": extension})
    Assignment.objects.get_or_create(
        user=user, site=site, defaults={"role": Assignment.Role.STAFF, "unit": unit, "is_primary": True}
    )
    TOTPDevice.objects.filter(user=user).delete()
    return user


#: Residents of the journeys' unit (first name, last name, room).
RESIDENTS = [("Marcel", "Dupuis", "12"), ("Odette", "Fabre", "14"), ("Lucien", "Garnier", "15")]


def _residents(site, unit, *, nurse) -> list[dict]:
    """Three residents in the unit, one with a note from the previous shift (the handover is not empty)."""
    from coordination import services as coordination_services
    from coordination.models import Resident, Target

    out = []
    for first, last, room in RESIDENTS:
        resident, _ = Resident.objects.get_or_create(
            site=site, unit=unit, first_name=first, last_name=last, defaults={"room": room}
        )
        out.append(
            {
                "name": f"{first} {last}",
                "display": f"{last.upper()} {first}",
                "first_name": first,
                "last_name": last,
                "room": room,
                "public_id": str(resident.public_id),
                "id": resident.pk,
            }
        )
    marcel = Resident.objects.get(pk=out[0]["id"])
    if not marcel.notes.exists():
        targets = list(Target.objects.active().order_by("sort_order"))
        coordination_services.care_note_create(
            author=nurse,
            resident=marcel,
            target=targets[0],
            data="Se plaint de douleurs à la hanche gauche au lever.",
            action="Antalgique donné selon prescription, position adaptée.",
            result="Douleur calmée à 10 h.",
        )
        # What the team chose to share with the family: one note, one document.
        coordination_services.care_note_create(
            author=nurse,
            resident=marcel,
            target=targets[-1],
            data="A participé à l'atelier chant avec plaisir et a chanté avec le groupe.",
            is_family_visible=True,
        )
        _resident_documents(marcel, author=nurse)
    return out


#: Titles of Marcel's documents: the first shared with his family, the second not.
SHARED_DOCUMENT = "Menu de la semaine"
PRIVATE_DOCUMENT = "Bilan infirmier de chute"


def _resident_documents(resident, *, author) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents import services as documents_services
    from documents.samples import text_pdf

    folder = documents_services.resident_folder_get_or_create(resident=resident, user=author)
    for title, shared in ((SHARED_DOCUMENT, True), (PRIVATE_DOCUMENT, False)):
        upload = SimpleUploadedFile(
            title.replace(" ", "-") + ".pdf", text_pdf([[title]], title=title), content_type="application/pdf"
        )
        document = documents_services.document_upload(folder=folder, uploaded=upload, user=author, title=title)
        if shared:
            documents_services.document_set_family_visible(document=document, visible=True)


def main(out_path: str) -> None:
    ctx = DemoContext(sites=2, staff_per_site=8, residents_per_site=6, note_days=2, verbosity=0)
    run(ctx, SEEDERS)
    data = _journey_people(ctx)
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
