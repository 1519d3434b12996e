"""Every form and frame that creates something, sent twice at once: one row, two answers that are
not a 500, the second one clear ("already saved", the same page, the same message).

On PostgreSQL the two race for real (tests/concurrency.py): two threads, a connection each, held
at the write until both passed every check made before it, so that only the database's constraint
(or the row lock) can settle it. On SQLite (one writer) the second comes right after the first, as
a retry whose first answer was lost. Both requests share one session (the same tab clicked twice,
or two tabs of one sign-in); where the protocol has a client token, they carry the same one.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http import HTTPStatus

import pytest
from asgiref.sync import sync_to_async
from auditlog.models import LogEntry
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coordination import services as care
from coordination.models import CareNote, HandoverAcknowledgement, NoteReading
from documents.models import Document, Folder, ReadConfirmation
from messaging import services as messaging
from messaging.models import Acknowledgement, Message
from outbox.models import OutboxTask
from portal.models import FamilyLink, Invitation, Relationship, hash_token
from tests.concurrency import both_at_once, row_held, writes_held
from tests.conftest import ON_POSTGRES, login_verified
from tests.coordination.factories import ResidentFactory, default_targets, target
from tests.documents.factories import FolderFactory, make_document, pdf_bytes, upload
from tests.documents.pieces import send_piece
from tests.messaging.factories import group_with
from tests.sockets import TIMEOUT, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root, settings, tmp_path):
    settings.UPLOAD_PIECES_DIR = tmp_path / "upload-pieces"


@pytest.fixture
def record(fault_report):
    """The row of a double submission: two sent, the answers that said yes, the rows stored."""

    def row(scenario: str, *, acknowledged: int, stored: int) -> None:
        fault_report(
            scenario=f"sent twice at once: {scenario}",
            sent=2,
            acknowledged=acknowledged,
            stored=stored,
            lost=int(stored == 0),
            duplicated=max(0, stored - 1),
        )

    return row


def _twin(client: Client) -> Client:
    """A second client in the same session: another tab, its own cookies for its own messages."""
    twin = Client()
    twin.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return twin


def _twice(table: str, user, request) -> list:
    """``request(client)`` from two tabs of one session of ``user``: at once on PostgreSQL (held at
    the writes to ``table``), one after the other on SQLite."""
    first = login_verified(Client(), user)
    clients = [first, _twin(first)]
    if ON_POSTGRES:
        return both_at_once(table, *[lambda c=c: request(c) for c in clients])
    return [request(c) for c in clients]


def _twice_on_row(instance, user, request) -> list:
    """The same, for a service that locks ``instance``'s row first (held there on PostgreSQL)."""
    first = login_verified(Client(), user)
    clients = [first, _twin(first)]
    if not ON_POSTGRES:
        return [request(c) for c in clients]
    with row_held(instance) as waiting:
        for client in clients:
            waiting.start(lambda c=client: request(c))
    return waiting.answers


def _statuses(answers) -> list[int]:
    return sorted(a.status_code for a in answers)


def _texts(answers) -> list[str]:
    return [a.content.decode() for a in answers]


def _said(answers, *sentences: str) -> list[str]:
    """Which of ``sentences`` each answer's page says (the flash message after the redirect)."""
    return sorted(next((s for s in sentences if s in text), "") for text in _texts(answers))


def _seen(answers, saved: str, again: str, **rows: int) -> dict:
    """What the two tabs show (their pages' statuses and sentences) and the rows counted."""
    return {**rows, "statuses": _statuses(answers), "said": _said(answers, saved, again)}


def _once(saved: str, again: str, *rows: str) -> dict:
    """Each row once; both pages shown, one saying ``saved``, the other ``again``."""
    return {**dict.fromkeys(rows, 1), "statuses": [HTTPStatus.OK] * 2, "said": sorted([saved, again])}


# --- care notes ---------------------------------------------------------------------------------


@pytest.fixture
def resident(site_a, unit_a):
    default_targets()
    return ResidentFactory(site=site_a, unit=unit_a, last_name="Martin", first_name="Louise", room="12")


NOTE_SAVED = "Note saved for"
NOTE_AGAIN = "This note was already saved (sent twice); it is stored once."


def test_a_care_note_sent_twice_at_once_is_one_note_and_the_second_page_says_so(staff_a, resident, record):
    data = {"target": "sommeil", "data": "Nuit calme.", "priority": "routine", "client_token": str(uuid.uuid4())}
    url = reverse("coordination:note_create", args=[resident.public_id])
    answers = _twice(
        "coordination_carenote", staff_a, lambda c: c.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    )
    stored = CareNote.objects.filter(author=staff_a).count()
    record("care note", acknowledged=_statuses(answers).count(HTTPStatus.OK), stored=stored)
    assert _seen(answers, NOTE_SAVED, NOTE_AGAIN, notes=stored) == _once(NOTE_SAVED, NOTE_AGAIN, "notes")


def test_an_urgent_note_sent_twice_at_once_is_one_note_escalated_once(staff_a, unit_a, resident, record):
    data = {
        "target": "chute",
        "data": "Chute dans la chambre.",
        "priority": "urgent",
        "unit": str(unit_a.public_id),
        "resident": str(resident.public_id),
        "client_token": str(uuid.uuid4()),
    }
    url = reverse("coordination:handover_note_create")
    answers = _twice(
        "coordination_carenote", staff_a, lambda c: c.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    )
    stored = CareNote.objects.filter(author=staff_a).count()
    escalations = OutboxTask.objects.filter(key__startswith="coordination:escalation:").count()
    record("urgent note", acknowledged=_statuses(answers).count(HTTPStatus.OK), stored=stored)
    assert _seen(answers, NOTE_SAVED, NOTE_AGAIN, notes=stored, escalations=escalations) == _once(
        NOTE_SAVED, NOTE_AGAIN, "notes", "escalations"
    )


@pytest.fixture
def urgent_note(coordinator_a, resident):
    note, _created = care.care_note_create(
        author=coordinator_a, resident=resident, target=target("chute"), data="Chute.", priority="urgent"
    )
    return note


def _acknowledgement_entries(note) -> int:
    """The audit trail's entries that set the note's acknowledgement."""
    entries = LogEntry.objects.get_for_object(note).filter(action=LogEntry.Action.UPDATE)
    return sum(1 for entry in entries if "acknowledged_by" in (entry.changes_dict or {}))


ACKNOWLEDGED = "Urgent note acknowledged: it will not be escalated."
ACKNOWLEDGED_AGAIN = "This urgent note was already acknowledged."


def test_an_urgent_note_acknowledged_twice_at_once_is_acknowledged_and_audited_once(staff_a, urgent_note, record):
    url = reverse("coordination:note_acknowledge", args=[urgent_note.public_id])
    answers = _twice_on_row(urgent_note, staff_a, lambda c: c.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en"))
    readings = NoteReading.objects.filter(note=urgent_note, user=staff_a).count()
    audited = _acknowledgement_entries(urgent_note)
    record("urgent note acknowledgement", acknowledged=_statuses(answers).count(HTTPStatus.OK), stored=audited)
    assert _seen(answers, ACKNOWLEDGED, ACKNOWLEDGED_AGAIN, readings=readings, audited=audited) == _once(
        ACKNOWLEDGED, ACKNOWLEDGED_AGAIN, "readings", "audited"
    )


HANDOVER_TAKEN = "You took the handover of"
HANDOVER_AGAIN = "You had already taken this handover."


def test_the_handover_taken_twice_at_once_is_taken_once_with_its_urgent_note_acknowledged_once(
    staff_a, unit_a, urgent_note, record
):
    data = {"unit": str(unit_a.public_id), "urgent": [str(urgent_note.public_id)]}
    url = reverse("coordination:handover_take")
    answers = _twice(
        "coordination_handoveracknowledgement",
        staff_a,
        lambda c: c.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en"),
    )
    taken = HandoverAcknowledgement.objects.filter(user=staff_a, unit=unit_a).count()
    audited = _acknowledgement_entries(urgent_note)
    record("handover taken", acknowledged=_statuses(answers).count(HTTPStatus.OK), stored=taken)
    assert _seen(answers, HANDOVER_TAKEN, HANDOVER_AGAIN, taken=taken, audited=audited) == _once(
        HANDOVER_TAKEN, HANDOVER_AGAIN, "taken", "audited"
    )


def test_notes_marked_read_twice_at_once_are_read_once(staff_a, urgent_note, record):
    data = {"note": [str(urgent_note.public_id)], "how": "marked"}
    answers = _twice("coordination_notereading", staff_a, lambda c: c.post(reverse("coordination:notes_read"), data))
    readings = NoteReading.objects.filter(note=urgent_note, user=staff_a).count()
    record("note read mark", acknowledged=_statuses(answers).count(HTTPStatus.FOUND), stored=readings)
    assert (readings, _statuses(answers)) == (1, [HTTPStatus.FOUND, HTTPStatus.FOUND])


# --- messages -----------------------------------------------------------------------------------


def test_a_message_form_sent_twice_at_once_is_one_message_and_the_second_answer_says_so(staff_a, coordinator_a, record):
    conversation = group_with(staff_a, coordinator_a)
    data = {"body": "Chute chambre 3", "client_token": str(uuid.uuid4())}
    url = reverse("messaging:conversation", args=[conversation.public_id])
    answers = _twice("messaging_message", staff_a, lambda c: c.post(url, data, HTTP_ACCEPT="application/json"))
    stored = Message.objects.filter(conversation=conversation).count()
    record("message (plain form)", acknowledged=_statuses(answers).count(HTTPStatus.OK), stored=stored)
    assert (stored, sorted(a.json()["created"] for a in answers), len({a.json()["id"] for a in answers})) == (
        1,
        [False, True],
        1,
    )


def _send_frame_on_two_sockets(user, conversation, token: str) -> list[dict]:
    """The same "send" frame on two sockets of one session (a tab and its copy): what each answers."""
    frame = {"type": "send", "conversation": str(conversation.public_id), "body": "Chute", "client_token": token}

    session = login_verified(Client(), user)

    async def scenario():
        # The sockets' database work runs in the loop's executor: one of ours, whose threads'
        # connections are closed at the end (an open one keeps the test database from being dropped).
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=WORKERS))
        sockets = [await open_socket(user, session), await open_socket(user, session)]
        answers = []
        for comm in sockets:
            await comm.send_json_to(frame)
            if not ON_POSTGRES:  # one writer: the copy's frame comes once the first was answered
                answers.append(await _answer(comm, token))
        if ON_POSTGRES:
            answers = list(await asyncio.gather(*[_answer(comm, token) for comm in sockets]))
        for comm in sockets:
            await comm.disconnect()
        every_thread = threading.Barrier(WORKERS)  # all WORKERS threads at once: each closes its own
        await asyncio.gather(*[loop.run_in_executor(None, _close_connections, every_thread) for _ in range(WORKERS)])
        await sync_to_async(connections.close_all)()  # and the session lookup's thread (thread-sensitive)
        return answers

    return asyncio.run(scenario())


WORKERS = 4


def _close_connections(every_thread: threading.Barrier) -> None:
    connections.close_all()
    every_thread.wait(timeout=10)


async def _answer(comm, token: str) -> dict:
    for _ in range(50):
        frame = await comm.receive_json_from(timeout=TIMEOUT)
        if frame["type"] in ("sent", "error") and frame.get("client_token") == token:
            return frame
    raise AssertionError("no answer to the send")


def test_a_send_frame_sent_twice_at_once_is_one_message_and_both_sockets_get_sent(staff_a, coordinator_a, record):
    conversation = group_with(staff_a, coordinator_a)
    token = str(uuid.uuid4())
    if ON_POSTGRES:
        # Both sockets' saves wait at the insert (each socket's database work runs on its own connection).
        with writes_held("messaging_message") as waiting:
            waiting.start(lambda: _send_frame_on_two_sockets(staff_a, conversation, token))
            waiting.wait_until_waiting(2)
        [answers] = waiting.answers
    else:
        answers = _send_frame_on_two_sockets(staff_a, conversation, token)
    stored = Message.objects.filter(conversation=conversation).count()
    record("message (socket send frame)", acknowledged=[a["type"] for a in answers].count("sent"), stored=stored)
    assert (stored, [a["type"] for a in answers], len({a.get("id") for a in answers})) == (1, ["sent", "sent"], 1)


def test_an_urgent_message_acknowledged_twice_at_once_is_acknowledged_once(staff_a, coordinator_a, record):
    """The acknowledgement is what takes an urgent message (and its escalation) over."""
    conversation = group_with(staff_a, coordinator_a)
    message = messaging.message_send(
        conversation=conversation, sender=coordinator_a, body="Venir vite", client_token=uuid.uuid4(), urgent=True
    ).message
    url = reverse("messaging:acknowledge", args=[message.public_id])
    answers = _twice("messaging_acknowledgement", staff_a, lambda c: c.post(url))
    stored = Acknowledgement.objects.filter(message=message, user=staff_a).count()
    record("urgent message acknowledgement", acknowledged=_statuses(answers).count(HTTPStatus.FOUND), stored=stored)
    assert (stored, _statuses(answers), len({a.url for a in answers})) == (1, [HTTPStatus.FOUND] * 2, 1)


# --- documents ----------------------------------------------------------------------------------


@pytest.fixture
def folder(site_a, coordinator_a):
    return FolderFactory(scope=Folder.Scope.SITE, site=site_a, name="Protocoles", created_by=coordinator_a)


def test_an_upload_form_sent_twice_at_once_is_one_document_and_the_same_page(coordinator_a, folder, record):
    content, form_id = pdf_bytes("Protocole canicule"), uuid.uuid4().hex
    url = reverse("documents:folder_upload", kwargs={"public_id": folder.public_id})
    answers = _twice(
        "documents_document",
        coordinator_a,
        lambda c: c.post(url, {"files": [upload("canicule.pdf", content)], "upload_id": form_id}),
    )
    stored = Document.objects.filter(folder=folder).count()
    record("document upload (plain form)", acknowledged=_statuses(answers).count(HTTPStatus.FOUND), stored=stored)
    assert (stored, _statuses(answers), len({a.url for a in answers})) == (1, [HTTPStatus.FOUND] * 2, 1)


def test_the_same_bytes_from_two_forms_at_once_are_one_document_and_the_second_is_told_why(
    coordinator_a, folder, record
):
    content = pdf_bytes("Protocole douleur")
    url = reverse("documents:folder_upload", kwargs={"public_id": folder.public_id})
    answers = _twice(
        "documents_document",
        coordinator_a,
        lambda c: c.post(
            url,
            {"files": [upload("douleur.pdf", content)], "upload_id": uuid.uuid4().hex},
            HTTP_ACCEPT_LANGUAGE="en",
        ),
    )
    stored = Document.objects.filter(folder=folder).count()
    refused = [a for a in answers if a.status_code == HTTPStatus.BAD_REQUEST]
    record("document upload (same bytes, two forms)", acknowledged=len(answers) - len(refused), stored=stored)
    assert (stored, _statuses(answers), ["identical" in t for t in _texts(refused)]) == (
        1,
        [HTTPStatus.FOUND, HTTPStatus.BAD_REQUEST],
        [True],
    )


def test_the_last_piece_of_an_upload_sent_again_gets_the_same_success(coordinator_a, folder, record):
    """Its answer lost, the browser sends the last piece again: the stored document, not "identical…"."""
    content, upload_id = pdf_bytes("Protocole chutes"), secrets.token_hex(16)

    def last_piece(client):
        return send_piece(client, folder, content, upload_id=upload_id, offset=0, total=len(content), name="c.pdf")

    # One after the other on both databases: the piece sent again while the first is stored is
    # tests/documents/test_upload_race.py's case.
    first = login_verified(Client(), coordinator_a)
    answers = [last_piece(first), last_piece(_twin(first))]
    results = [a.json()["results"][0] for a in answers]
    stored = Document.objects.filter(folder=folder).count()
    record("document upload (last piece again)", acknowledged=[r["ok"] for r in results].count(True), stored=stored)
    assert (stored, [(r["ok"], r["url"]) for r in results]) == (
        1,
        [(True, Document.objects.get(folder=folder).get_absolute_url())] * 2,
    )


def test_a_document_confirmed_read_twice_at_once_is_confirmed_once(coordinator_a, staff_a, folder, record):
    document = make_document(folder, coordinator_a)
    url = reverse("documents:document_read_confirm", kwargs={"public_id": document.public_id})
    answers = _twice("documents_readconfirmation", staff_a, lambda c: c.post(url))
    stored = ReadConfirmation.objects.filter(user=staff_a).count()
    record("document read confirmation", acknowledged=_statuses(answers).count(HTTPStatus.FOUND), stored=stored)
    assert (stored, _statuses(answers)) == (1, [HTTPStatus.FOUND] * 2)


# --- the family portal --------------------------------------------------------------------------

STRONG_PASSWORD = "Tilleuls-du-jardin-2026"


def test_an_invitation_accepted_twice_at_once_makes_one_account_and_the_second_is_told_it_was_used(
    coordinator_a, resident, record
):
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email="anne.durand@famille.test",
        resident=resident,
        relationship=Relationship.CHILD,
        may_see_news=True,
        token_hash=hash_token(token),
        expires_at=timezone.now() + timedelta(days=7),
        created_by=coordinator_a,
    )
    url = reverse("portal:invitation_accept", kwargs={"token": token})
    data = {"first_name": "Anne", "last_name": "Durand", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}
    browsers = [Client(), Client()]  # the link opened twice, in two tabs, before any session
    if ON_POSTGRES:
        with row_held(invitation) as waiting:
            for browser in browsers:
                waiting.start(lambda b=browser: b.post(url, data, HTTP_ACCEPT_LANGUAGE="en"))
        answers = waiting.answers
    else:
        answers = [browser.post(url, data, HTTP_ACCEPT_LANGUAGE="en") for browser in browsers]
    links = FamilyLink.objects.filter(resident=resident).count()
    refused = [a for a in answers if a.status_code == HTTPStatus.NOT_FOUND]
    record("family invitation acceptance", acknowledged=len(answers) - len(refused), stored=links)
    assert (links, _statuses(answers), ["already used" in t for t in _texts(refused)]) == (
        1,
        [HTTPStatus.FOUND, HTTPStatus.NOT_FOUND],
        [True],
    )
