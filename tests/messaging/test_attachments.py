"""Files sent with messages: the documents app's checks, membership, access log."""

import uuid
from http import HTTPStatus

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from carehub.models import AccessLog
from documents.samples import text_pdf
from messaging import selectors, services
from messaging.models import Attachment, Message
from portal import presentation
from tests.factories import FamilyUserFactory, make_staff
from tests.messaging.factories import ResidentFactory, group_with

pytestmark = pytest.mark.django_db

HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def _files_in_tmp_english(media_root, settings):
    """Every test writes its files under its own temporary directory; English messages."""
    settings.LANGUAGE_CODE = "en"


def pdf(name="transmissions.pdf", text="Transmissions de nuit"):
    return SimpleUploadedFile(name, text_pdf([[text]]), content_type="application/pdf")


def url(name, **kwargs):
    return reverse(f"messaging:{name}", kwargs=kwargs or None)


def send_with_files(conversation, sender, *files, body="Voir pièce jointe"):
    return services.message_send(
        conversation=conversation, sender=sender, body=body, client_token=uuid.uuid4(), files=files
    ).message


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_real_pdf_sent_from_the_plain_form_is_stored_and_downloadable(
    verified_client, staff_a, coordinator_a, media_root
):
    group = group_with(staff_a, coordinator_a)
    response = verified_client(staff_a).post(
        url("conversation", public_id=group.public_id),
        {"body": "Le protocole", "client_token": str(uuid.uuid4()), "files": [pdf("protocole chute.pdf")]},
    )
    assert response.status_code == HTTPStatus.FOUND
    message = Message.objects.get(conversation=group)
    attachment = message.attachments.get()
    assert attachment.name == "protocole chute.pdf"
    assert attachment.kind == "pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.uploaded_by == staff_a
    assert len(attachment.sha256) == 64
    assert "protocole" not in attachment.file.name, "stored under a random name"
    assert default_storage.exists(attachment.file.name)

    page = verified_client(coordinator_a).get(url("conversation", public_id=group.public_id)).content.decode()
    assert "protocole chute.pdf" in page
    assert url("attachment", public_id=attachment.public_id) in page

    download = verified_client(coordinator_a).get(url("attachment", public_id=attachment.public_id))
    assert download.status_code == HTTPStatus.OK
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "protocole" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]


def test_message_with_files_only_is_accepted(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    response = verified_client(staff_a).post(
        url("conversation", public_id=group.public_id), {"client_token": str(uuid.uuid4()), "files": [pdf()]}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Message.objects.get(conversation=group).attachments.count() == 1


def test_empty_message_without_files_is_still_refused(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    response = verified_client(staff_a).post(
        url("conversation", public_id=group.public_id), {"body": "  ", "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The message is empty." in response.content.decode()
    assert not Message.objects.exists()


def test_html_named_pdf_is_refused_keeping_the_text_and_storing_nothing(
    verified_client, staff_a, coordinator_a, media_root
):
    group = group_with(staff_a, coordinator_a)
    token = str(uuid.uuid4())
    fake = SimpleUploadedFile("ordonnance.pdf", HTML_AS_PDF, content_type="application/pdf")
    response = verified_client(staff_a).post(
        url("conversation", public_id=group.public_id),
        {"body": "Texte tapé à garder", "client_token": token, "files": [pdf("bon.pdf"), fake]},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    # The documents app's own sentence (documents.detection), escaped in the page.
    assert "ordonnance.pdf" in page
    assert "its content is a web page (HTML/SVG/XML)" in page
    assert "Texte tapé à garder" in page
    assert token in page, "the same client token: sending again stores the message once"
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == [], "the accepted file sent with it is not kept either"


def test_oversize_file_is_refused_with_the_documents_limit(verified_client, settings, staff_a, coordinator_a):
    settings.DOCUMENTS_MAX_UPLOAD_SIZE = 1024 * 1024
    group = group_with(staff_a, coordinator_a)
    big = SimpleUploadedFile("gros.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10), content_type="application/pdf")
    response = verified_client(staff_a).post(
        url("conversation", public_id=group.public_id),
        {"body": "Gros fichier", "client_token": str(uuid.uuid4()), "files": [big]},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "is larger than the limit of 1 MB" in response.content.decode()
    assert not Message.objects.exists()


def test_service_refusal_stores_nothing(staff_a, coordinator_a, media_root):
    group = group_with(staff_a, coordinator_a)
    exe = SimpleUploadedFile("planning.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(services.AttachmentRefused) as refused:
        send_with_files(group, staff_a, pdf(), exe)
    assert "Windows program" in refused.value.message
    assert not Message.objects.exists()
    assert stored_files(media_root) == []


def test_download_is_written_to_the_access_log(verified_client, site_a, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    attachment = send_with_files(group, staff_a, pdf()).attachments.get()
    before = AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).count()
    response = verified_client(coordinator_a).get(url("attachment", public_id=attachment.public_id))
    assert response.status_code == HTTPStatus.OK
    entries = AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD)
    assert entries.count() == before + 1
    entry = entries.latest("pk")
    assert entry.user == coordinator_a
    assert entry.object_type == "messaging.attachment"
    assert entry.object_id == str(attachment.public_id)


def test_outsiders_get_404_and_nothing_is_logged(verified_client, site_a, staff_a, coordinator_a, staff_b, group_admin):
    group = group_with(staff_a, coordinator_a)
    attachment = send_with_files(group, staff_a, pdf()).attachments.get()
    outsider_same_site = make_staff(site_a)
    for user in (outsider_same_site, staff_b, group_admin):
        response = verified_client(user).get(url("attachment", public_id=attachment.public_id))
        assert response.status_code == HTTPStatus.NOT_FOUND, user
    missing = verified_client(staff_a).get(url("attachment", public_id=uuid.uuid4()))
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert not AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).exists()


def test_family_reaches_only_their_family_thread(verified_client, site_a, staff_a, staff_b, family_user):
    resident = ResidentFactory(site=site_a)
    thread = services.family_thread_get_or_create(resident=resident)
    services.family_member_add(conversation=thread, user=family_user)
    in_thread = send_with_files(thread, staff_a, pdf("menu.pdf")).attachments.get()

    other_thread = services.family_thread_get_or_create(resident=ResidentFactory(site=site_a))
    other_family = FamilyUserFactory()
    services.family_member_add(conversation=other_thread, user=other_family)
    elsewhere = send_with_files(other_thread, staff_a, pdf("autre.pdf")).attachments.get()
    channel = services.site_channel_get_or_create(site=site_a)
    staff_only = send_with_files(channel, staff_a, pdf("interne.pdf")).attachments.get()

    family = verified_client(family_user)
    assert family.get(url("attachment", public_id=in_thread.public_id)).status_code == HTTPStatus.OK
    assert family.get(url("attachment", public_id=elsewhere.public_id)).status_code == HTTPStatus.NOT_FOUND
    assert family.get(url("attachment", public_id=staff_only.public_id)).status_code == HTTPStatus.NOT_FOUND
    other = verified_client(other_family)
    assert other.get(url("attachment", public_id=in_thread.public_id)).status_code == HTTPStatus.NOT_FOUND
    assert verified_client(staff_b).get(url("attachment", public_id=in_thread.public_id)).status_code == 404


def test_deleted_message_takes_its_files_out_of_reach(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    message = send_with_files(group, staff_a, pdf())
    attachment = message.attachments.get()
    services.message_delete(message=message, actor=staff_a)
    response = verified_client(coordinator_a).get(url("attachment", public_id=attachment.public_id))
    assert response.status_code == HTTPStatus.NOT_FOUND
    message.refresh_from_db()
    assert selectors.message_payload(message)["attachments"] == []


def test_purged_message_removes_the_stored_file(staff_a, coordinator_a, media_root, django_capture_on_commit_callbacks):
    group = group_with(staff_a, coordinator_a)
    message = send_with_files(group, staff_a, pdf())
    name = message.attachments.get().file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        message.delete()
    assert not default_storage.exists(name)


def test_socket_payload_lists_the_files_and_so_does_the_family_form(staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    message = send_with_files(group, staff_a, pdf("bilan.pdf"))
    payload = selectors.message_payload(message)
    [item] = payload["attachments"]
    attachment = message.attachments.get()
    assert item["name"] == "bilan.pdf"
    assert item["size"] == attachment.size
    assert item["url"] == url("attachment", public_id=attachment.public_id)
    family = presentation.family_frame({"type": "message", "message": payload}, message=message)
    assert family["message"]["attachments"] == payload["attachments"]
    assert "handle" not in family["message"]["sender"]


def test_conversation_page_query_count_is_fixed(
    django_assert_max_num_queries, settings, verified_client, staff_a, coordinator_a
):
    settings.MESSAGING_RATE_LIMIT = 1000
    group = group_with(staff_a, coordinator_a)
    client = verified_client(coordinator_a)
    page_url = url("conversation", public_id=group.public_id)
    send_with_files(group, staff_a, pdf())
    client.get(page_url)  # first visit: joins, marks read
    with django_assert_max_num_queries(60) as one:
        response = client.get(page_url)
    assert response.content.decode().count("transmissions.pdf") == 1
    for _ in range(9):
        send_with_files(group, staff_a, pdf(), pdf())
    send_with_files(group, staff_a, pdf())
    assert Attachment.objects.count() == 20
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(page_url)
    assert response.content.decode().count("transmissions.pdf") == 20
