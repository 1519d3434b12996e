"""Demo documents: group procedures (real small PDFs), site folders, a few residents' folders.

Idempotent: folders are found by name before being made, documents by title in
their folder. Site folders for every site go in one bulk insert (the benchmark
seeds 200 sites); files are only made for the group and the first site.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from . import services
from .models import Document, Folder
from .samples import text_pdf

GROUP_FOLDERS = {
    "Procédures et protocoles": [
        (
            "Prévention et conduite à tenir en cas de chute",
            [
                "Protocole de prévention des chutes",
                "1. Évaluer le risque de chute à l'entrée puis chaque trimestre.",
                "2. Après une chute\u00a0: ne pas relever avant l'examen infirmier.",
                "3. Tracer la chute dans les transmissions (cible Chute).",
                "4. Prévenir le médecin et la famille selon la gravité.",
            ],
        ),
        (
            "Hygiène des mains",
            [
                "Hygiène des mains\u00a0: friction hydro-alcoolique",
                "Avant et après chaque contact avec un résident.",
                "Durée de la friction\u00a0: 30 secondes, jusqu'à séchage complet.",
            ],
        ),
        (
            "Fausse route\u00a0: conduite à tenir",
            [
                "Troubles de la déglutition et fausse route",
                "Installer le résident assis, tête légèrement fléchie.",
                "En cas d'obstruction totale\u00a0: manoeuvre de Heimlich, appeler le 15.",
            ],
        ),
        (
            "Plan bleu canicule",
            [
                "Plan bleu\u00a0: vague de chaleur",
                "Hydratation\u00a0: proposer à boire toutes les heures.",
                "Rafraîchir les chambres, surveiller la température corporelle.",
            ],
        ),
    ],
    "Formulaires": [
        (
            "Fiche de déclaration d'événement indésirable",
            ["Déclaration d'événement indésirable", "Date, lieu, personnes concernées, description, actions."],
        ),
    ],
}
SITE_FOLDERS = ["Protocoles du site", "Plannings et affichage"]
RESIDENT_DOCUMENTS = [
    ("Projet d'accompagnement personnalisé (PAP)", "PAP", True),
    ("Dossier de liaison d'urgence (DLU)", "DLU", False),
]
RESIDENT_FOLDERS = 6


def _pdf_upload(title: str, lines: list[str]) -> SimpleUploadedFile:
    name = "".join(ch if ch.isalnum() or ch in " -" else " " for ch in title)
    name = "-".join(name.split())[:80] + ".pdf"
    return SimpleUploadedFile(name, text_pdf([lines], title=title), content_type="application/pdf")


def _author(ctx):
    account = ctx.accounts.get("group admin") or ctx.accounts.get("site coordinator")
    if account:
        return account["user"]
    return get_user_model().objects.filter(is_active=True, kind=get_user_model().Kind.STAFF).order_by("pk").first()


def _document(folder, title, lines, user) -> Document:
    existing = Document.objects.filter(folder=folder, title=title).first()
    if existing is not None:
        return existing
    try:
        return services.document_upload(folder=folder, uploaded=_pdf_upload(title, lines), user=user, title=title)
    except services.Duplicate as dup:
        return dup.document


def seed(ctx) -> None:
    user = _author(ctx)
    if user is None or not ctx.site_list:
        return
    made = 0
    hand_hygiene = None
    for folder_name, documents in GROUP_FOLDERS.items():
        folder, _ = Folder.objects.get_or_create(
            scope=Folder.Scope.GROUP, parent=None, name=folder_name, defaults={"created_by": user}
        )
        for title, lines in documents:
            document = _document(folder, title, lines, user)
            made += 1
            if title == "Hygiène des mains":
                hand_hygiene = document

    existing = set(
        Folder.objects.filter(scope=Folder.Scope.SITE, parent=None, site__in=ctx.site_list).values_list(
            "site_id", "name"
        )
    )
    Folder.objects.bulk_create(
        Folder(scope=Folder.Scope.SITE, site=site, name=name, created_by=user, staff_may_upload=name != SITE_FOLDERS[0])
        for site in ctx.site_list
        for name in SITE_FOLDERS
        if (site.pk, name) not in existing
    )

    first_site = ctx.site_list[0]
    site_folder = Folder.objects.get(scope=Folder.Scope.SITE, site=first_site, parent=None, name=SITE_FOLDERS[0])
    _document(
        site_folder,
        "Organisation des transmissions",
        ["Relève orale à 7 h, 14 h et 21 h", "Transmissions ciblées écrites dans CareHub avant la relève."],
        user,
    )
    if hand_hygiene is not None:
        services.reading_requirement_add(document=hand_hygiene, user=user, site=first_site)

    from coordination.models import Resident

    residents = list(Resident.objects.filter(site=first_site).order_by("pk")[:RESIDENT_FOLDERS])
    for resident in residents:
        folder = services.resident_folder_get_or_create(resident=resident, user=user)
        for title, short, family_visible in RESIDENT_DOCUMENTS:
            lines = [f"{short} de {resident.first_name} {resident.last_name}", f"Chambre {resident.room or '—'}"]
            document = _document(folder, title, lines, user)
            if family_visible and not document.is_family_visible:
                services.document_set_family_visible(document=document, visible=True)
    ctx.log(
        f"documents: {made} group documents, {len(SITE_FOLDERS)} folders per site, {len(residents)} resident folders"
    )
