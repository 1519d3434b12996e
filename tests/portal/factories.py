"""Factories for the family portal tests: residents, links, invitations, shared notes."""

from __future__ import annotations

import factory
from django.utils import timezone

from coordination.models import Resident
from portal import services
from portal.models import FamilyLink, Relationship
from tests.factories import FamilyUserFactory, SiteFactory


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    site = factory.SubFactory(SiteFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    room = factory.Sequence(lambda n: f"{100 + n}")


class FamilyLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyLink

    user = factory.SubFactory(FamilyUserFactory)
    resident = factory.SubFactory(ResidentFactory)
    relationship = Relationship.CHILD
    may_see_news = True
    may_see_documents = True
    may_see_messages = True


def link(user, resident, **rights) -> FamilyLink:
    """A link made by the real service (family thread membership included)."""
    return services.family_link_grant(
        actor=None,
        user=user,
        resident=resident,
        relationship=rights.pop("relationship", Relationship.CHILD),
        may_see_news=rights.pop("may_see_news", True),
        may_see_documents=rights.pop("may_see_documents", True),
        may_see_messages=rights.pop("may_see_messages", True),
        checked=True,
    )


def shared_note(resident, author, *, family_visible=True, created_at=None, **fields):
    """A care note as coordination stores it (shift computed in the site's zone)."""
    from coordination.models import CareNote, SiteCareSettings
    from coordination.shifts import shift_at
    from tests.coordination.factories import target as default_target

    created_at = created_at or timezone.now()
    slot = shift_at(created_at, SiteCareSettings.for_site(resident.site).hours)
    target = default_target("douleur")
    note = CareNote.objects.create(
        resident=resident,
        site=resident.site,
        author=author,
        target=target,
        data=fields.pop("data", "A bien mangé et a participé à l'atelier chant."),
        action=fields.pop("action", ""),
        result=fields.pop("result", ""),
        shift=slot.shift,
        shift_date=slot.day,
        is_family_visible=family_visible,
        created_at=created_at,
        **fields,
    )
    return note


def family_user(email: str, **fields):
    return FamilyUserFactory(email=email, **fields)


def shared_document(resident, uploader, *, title="Menu de la semaine", family_visible=True, name="menu.pdf"):
    """A document in the resident's folder, through the documents services (real file, real checks)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents import services as documents_services
    from documents.samples import text_pdf

    folder = documents_services.resident_folder_get_or_create(resident=resident, user=uploader)
    content = text_pdf([[f"{title} — {resident.first_name}"]])
    document = documents_services.document_upload(
        folder=folder,
        uploaded=SimpleUploadedFile(name, content, content_type="application/pdf"),
        user=uploader,
        title=title,
    )
    if family_visible:
        documents_services.document_set_family_visible(document=document, visible=True)
    return document
