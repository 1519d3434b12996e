"""A message with a file is committed, then work after the commit fails (a broker down, say): the
request fails, but the file of the committed message stays."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models.signals import post_save

from documents.samples import text_pdf
from messaging import services
from messaging.models import Attachment, Message
from tests.messaging.factories import group_with


class _AfterCommitFailure(Exception):
    pass


def _fail():
    raise _AfterCommitFailure


def _queue_failing_work(sender, instance, created, **kwargs):
    if created:
        transaction.on_commit(_fail)


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_commit_never_removes_the_file_of_a_committed_message(staff_a, coordinator_a, media_root):
    group = group_with(staff_a, coordinator_a)
    content = text_pdf([["Transmissions de nuit"]])
    post_save.connect(_queue_failing_work, sender=Message, dispatch_uid="test-after-commit-failure")
    try:
        with pytest.raises(_AfterCommitFailure):
            services.message_send(
                conversation=group,
                sender=staff_a,
                body="Le plan",
                client_token=uuid.uuid4(),
                files=[SimpleUploadedFile("plan.pdf", content, content_type="application/pdf")],
            )
    finally:
        post_save.disconnect(sender=Message, dispatch_uid="test-after-commit-failure")
    attachment = Attachment.objects.get()
    assert (media_root / attachment.file.name).read_bytes() == content
