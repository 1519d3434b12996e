"""The access-log walker: walks every URL of the access matrix (and every admin page of a registered
model) as the people who may open them, finds which ones show resident data, and checks that each of
those requests wrote an access-log entry naming the resident it showed.

Which page shows resident data is found from what it renders, not from a list: every resident, care
note, resident-thread message, resident document and resident conversation made while the world is
built carries a marker string (``markers``), and every stored file of a resident (photo, document
version, thumbnail, attachment) is known by its digest. A response that holds a marker (in HTML, JSON,
CSV, vCard or the text of a PDF) or is the bytes of such a file shows that resident.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from uuid import UUID

from django.apps import apps
from django.contrib import admin
from django.db.models.signals import pre_save
from django.urls import NoReverseMatch, reverse

from carehub.access_log import subject_of
from carehub.models import AccessLog

#: Who walks the site's pages: a nurse of the residents' site, its director (the manage pages) and a
#: relative (the portal). The admin is walked by the director and head office.
READERS = ("nurse_a", "coordinator_a", "family")
ADMIN_READERS = ("coordinator_a", "group_admin")
#: Who tries the objects of site A without a right to them: a nurse of site B, another family.
INTRUDERS = ("staff_b", "family_b")
#: The admin's object pages.
ADMIN_OBJECT_VIEWS = ("change", "history", "delete")


@dataclass
class Markers:
    """Marker string -> public id of the resident it belongs to."""

    subjects: dict[str, UUID] = field(default_factory=dict)
    files: dict[str, UUID] = field(default_factory=dict)
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new(self, kind: str, subject) -> str:
        marker = f"Wlk{next(self._seq)}{kind}"
        self.subjects[marker.lower()] = subject
        return marker

    def search_term(self) -> str:
        """Part of a resident's marker: found by a search, but not a marker when the page repeats it."""
        return next(m for m in self.subjects if m.endswith("nom"))[:-1]

    def mark(self, sender, instance, **kwargs):
        """pre_save: a new resident-bound object gets its marker."""
        from coordination.models import CareNote, Resident
        from documents.models import Document
        from messaging.models import Conversation, Message

        if not instance._state.adding:
            return
        if isinstance(instance, Resident):
            instance.last_name = self.new("nom", instance.public_id)
            instance.first_name = self.new("pre", instance.public_id)
        elif isinstance(instance, CareNote):
            instance.data = f"{instance.data} {self.new('obs', instance.resident.public_id)}"
        elif isinstance(instance, Message) and instance.conversation.resident_id:
            instance.body = f"{instance.body} {self.new('msg', instance.conversation.resident.public_id)}"
        elif isinstance(instance, Conversation) and instance.resident_id and instance.title:
            instance.title = f"{instance.title} {self.new('fil', instance.resident.public_id)}"
        elif isinstance(instance, Document) and instance.folder.resident_id:
            instance.title = f"{instance.title} {self.new('doc', instance.folder.resident.public_id)}"

    def connect(self):
        from coordination.models import CareNote, Resident
        from documents.models import Document
        from messaging.models import Conversation, Message

        for model in (Resident, CareNote, Message, Conversation, Document):
            pre_save.connect(self.mark, sender=model, dispatch_uid=f"walker-{model.__name__}")

    def disconnect(self):
        from coordination.models import CareNote, Resident
        from documents.models import Document
        from messaging.models import Conversation, Message

        for model in (Resident, CareNote, Message, Conversation, Document):
            pre_save.disconnect(sender=model, dispatch_uid=f"walker-{model.__name__}")

    def add_files(self):
        """The digests of every stored file of a resident."""
        from coordination.models import Resident
        from documents.models import DocumentVersion
        from messaging.models import Attachment

        for resident in Resident.objects.exclude(photo=""):
            self._file(resident.photo, resident.public_id)
        for version in DocumentVersion.objects.filter(document__folder__resident__isnull=False).select_related(
            "document__folder__resident"
        ):
            for stored in (version.file, version.thumbnail):
                self._file(stored, version.document.folder.resident.public_id)
        for attachment in Attachment.objects.filter(message__conversation__resident__isnull=False).select_related(
            "message__conversation__resident"
        ):
            self._file(attachment.file, attachment.message.conversation.resident.public_id)

    def _file(self, stored, subject):
        if stored:
            with stored.open("rb") as handle:
                self.files[hashlib.sha256(handle.read()).hexdigest()] = subject

    def shown(self, response) -> set[UUID]:
        """The residents whose data the response shows."""
        body = b"".join(response.streaming_content) if response.streaming else response.content
        found = set()
        if digest := self.files.get(hashlib.sha256(body).hexdigest()):
            found.add(digest)
        text = _text_of(body, response.get("Content-Type", "")).lower()
        text += response.get("Content-Disposition", "").lower()
        found.update(subject for marker, subject in self.subjects.items() if re.search(rf"{marker}(?!\d)", text))
        return found


def _text_of(body: bytes, content_type: str) -> str:
    if content_type.startswith("application/pdf"):
        import pypdfium2

        pdf = pypdfium2.PdfDocument(body)
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    return body.decode("utf-8", errors="ignore")


@dataclass
class Walk:
    walked: int = 0
    requests: int = 0
    showing: set[str] = field(default_factory=set)
    entries_checked: int = 0
    refusals_checked: int = 0
    failures: list[str] = field(default_factory=list)


def _entries_since(last_id: int, user) -> list[AccessLog]:
    return list(AccessLog.objects.filter(id__gt=last_id, user=user))


def _last_id() -> int:
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _read(walk: Walk, markers: Markers, label: str, client, user, url: str, data=None):
    before = _last_id()
    response = client.get(url, data=data)
    walk.requests += 1
    if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        walk.failures.append(f"{label} as {user.email} ({url}): {response.status_code}")
    if response.status_code != HTTPStatus.OK:
        return
    shown = markers.shown(response)
    if not shown:
        return
    walk.showing.add(label)
    logged = {entry.subject_id for entry in _entries_since(before, user)}
    walk.entries_checked += len(shown)
    if missing := shown - logged:
        walk.failures.append(f"{label} as {user.email} ({url}): shows {sorted(map(str, missing))}, not in the log")


def _refused(walk: Walk, label: str, client, user, url: str, data=None):
    before = _last_id()
    response = client.get(url, data=data)
    walk.requests += 1
    if response.status_code not in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND):
        return
    walk.refusals_checked += 1
    actions = {entry.action for entry in _entries_since(before, user)}
    if AccessLog.Action.REFUSED not in actions:
        walk.failures.append(f"{label} as {user.email} ({url}): {response.status_code} without a refusal entry")


def _searches(data: dict | None, markers: Markers) -> Iterable[dict | None]:
    """The row's own query, and, for a search, a search for a resident's marker."""
    yield data
    if data and "q" in data:
        yield {**data, "q": markers.search_term()}


class ResidentObjects:
    """For each kind of object with a public id, one that concerns a resident: a row of the matrix names
    a site's document or conversation, the walker also opens a resident's through the same address."""

    def __init__(self):
        self.kind_of: dict[UUID, type] = {}
        self.of_kind: dict[type, UUID] = {}
        for model in apps.get_models():
            if not any(f.name == "public_id" for f in model._meta.fields):
                continue
            for obj in model._default_manager.order_by("pk"):
                self.kind_of[obj.public_id] = model
                if model not in self.of_kind and subject_of(obj) is not None:
                    self.of_kind[model] = obj.public_id

    def variants(self, kwargs: dict) -> Iterable[dict]:
        yield kwargs
        for key, value in kwargs.items():
            other = self.of_kind.get(self.kind_of.get(value))  # type: ignore[arg-type]
            if other is not None and other != value:
                yield {**kwargs, key: other}


def walk_site(world, rules, clients, markers: Markers, walk: Walk):
    """Every row of the access matrix, read with GET by each reader and tried by each intruder."""
    objects = ResidentObjects()
    for rule in rules.values():
        data = rule.data(world) if rule.data and rule.method == "get" else None
        walk.walked += 1
        for kwargs in objects.variants(rule.kwargs(world)) if rule.kwargs else [None]:
            url = reverse(rule.name, kwargs=kwargs)
            for role in READERS:
                for query in _searches(data, markers):
                    _read(walk, markers, rule.name, clients[role], world.users[role], url, query)
            if kwargs:
                for role in INTRUDERS:
                    _refused(walk, rule.name, clients[role], world.users[role], url, data)


def _admin_urls(markers: Markers) -> Iterable[tuple[str, str, dict | None]]:
    search = markers.search_term()
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield f"{prefix}_changelist", reverse(f"{prefix}_changelist"), None
        yield f"{prefix}_changelist?q", reverse(f"{prefix}_changelist"), {"q": search}
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue
        for view in ADMIN_OBJECT_VIEWS:
            try:
                yield f"{prefix}_{view}", reverse(f"{prefix}_{view}", args=[obj.pk]), None
            except NoReverseMatch:
                continue


def walk_admin(world, clients, markers: Markers, walk: Walk):
    for label, url, data in _admin_urls(markers):
        walk.walked += 1
        for role in ADMIN_READERS:
            _read(walk, markers, label, clients[role], world.users[role], url, data)
