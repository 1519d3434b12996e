"""Audit completeness (ASVS 16.3): every page, fragment, search, export and download that shows a
resident writes an access-log entry naming that resident; every object refused leaves a refusal entry;
and the chain still verifies after all those reads. The pages come from the access matrix's URL rows
and the admin's registry (tests/access/walker.py): a new page showing resident data without logging
fails here, with no list to keep."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from carehub.models import AccessLog
from coordination.models import Resident
from documents.samples import text_pdf
from jobs.services import job_run
from messaging import services
from tests.access.test_access_matrix import _all_rules, _client_for, world  # noqa: F401 - the matrix's world
from tests.access.walker import ADMIN_READERS, INTRUDERS, READERS, Markers, Walk, walk_admin, walk_site
from tests.directory.factories import jpeg_bytes


@pytest.fixture
def markers():
    marks = Markers()
    marks.connect()
    yield marks
    marks.disconnect()


def _resident_thread(built):
    """The care team's thread about a resident, with a message and a file: its pages are walked too."""
    staff_a, resident = built.users["staff_a"], built.note.resident
    thread = services.resident_thread_message_send(
        sender=staff_a, resident=resident, body="Chute ce matin", client_token=uuid.uuid4()
    ).message.conversation
    services.message_send(
        conversation=thread,
        sender=staff_a,
        body="Compte rendu joint",
        client_token=uuid.uuid4(),
        files=[SimpleUploadedFile("cr.pdf", text_pdf([["Compte rendu"]]))],
    )


@pytest.fixture
def walked(media_root, markers, world):  # noqa: F811 - the matrix's world, built with markers on
    for n, resident in enumerate(Resident.objects.all(), start=1):
        resident.photo.save(f"walker-{n}.jpg", ContentFile(jpeg_bytes((40 + n, 40), exif=False)))
    _resident_thread(world)
    job_run(job_id=world.job.pk)  # the matrix's export of a resident's history, done: its file is walked
    markers.add_files()
    clients = {role: _client_for(world, role) for role in {*READERS, *ADMIN_READERS, *INTRUDERS}}
    walk = Walk()
    walk_site(world, _all_rules(), clients, markers, walk)
    walk_admin(world, clients, markers, walk)
    return walk


def test_every_read_of_a_resident_is_in_the_access_log(walked):
    assert walked.failures == []


def _verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_the_chain_verifies_after_the_walk(walked):
    assert f"chain intact: {AccessLog.objects.count()} entries verified" in _verify()


def test_an_entry_altered_after_the_walk_is_named(walked):
    entry = AccessLog.objects.filter(action=AccessLog.Action.VIEW).order_by("id")[1]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AccessLog._meta.db_table} SET object_repr = %s WHERE id = %s", ["x", entry.pk])  # noqa: S608
    with pytest.raises(CommandError, match=rf"broken at entry #{entry.pk} "):
        _verify()
