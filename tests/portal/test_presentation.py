"""How a relative sees people: one label for staff on every family page (French, the default)."""

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import translation

from messaging import services as messaging_services
from messaging.models import Conversation, Kind
from notifications.models import Notification
from portal import presentation
from tests.factories import FamilyUserFactory, UserFactory
from tests.portal.factories import link, shared_note

NURSE_LABEL = "Sophie, infirmier(ère) (IDE)"


def family_thread(resident):
    return Conversation.objects.get(kind=Kind.FAMILY, resident=resident)


def test_staff_are_named_by_first_name_and_job(nurse_a):
    assert presentation.staff_as_family_sees(nurse_a) == NURSE_LABEL


def test_the_job_label_follows_the_language(nurse_a):
    with translation.override("en"):
        assert presentation.staff_as_family_sees(nurse_a) == "Sophie, nurse (IDE)"


def test_staff_without_a_profile_are_the_care_team(db):
    assert presentation.staff_as_family_sees(UserFactory(first_name="Claire")) == "Claire, équipe soignante"


def test_staff_without_a_first_name_are_named_by_job(nurse_a):
    nurse_a.first_name = ""
    assert presentation.staff_as_family_sees(nurse_a) == "Infirmier(ère) (IDE)"


def test_a_relative_is_named_by_first_name(family_a, nurse_a):
    assert presentation.person_as_family_sees(family_a.user, viewer=nurse_a) == "Jeanne"


def test_a_relative_without_a_first_name_is_a_relative(db):
    assert presentation.person_as_family_sees(FamilyUserFactory(first_name="")) == "Un proche"


def test_the_viewer_is_you(family_a):
    assert presentation.person_as_family_sees(family_a.user, viewer=family_a.user) == "Vous"


# --- The same label on every family page ----------------------------------------------------------


def test_the_news_feed_names_the_author_with_the_one_label(family_a, nurse_a, verified_client):
    shared_note(family_a.resident, nurse_a)
    html = verified_client(family_a.user).get(reverse("portal:news", args=[family_a.resident.public_id])).content
    assert f"· {NURSE_LABEL}" in html.decode()


def test_the_thread_page_names_staff_with_the_one_label(family_a, nurse_a, verified_client):
    messaging_services.message_send(
        conversation=family_thread(family_a.resident), sender=nurse_a, body="Bonjour", client_token=uuid.uuid4()
    )
    html = verified_client(family_a.user).get(reverse("portal:messages", args=[family_a.resident.public_id])).content
    assert f"{NURSE_LABEL} ·" in html.decode()


def test_the_note_preview_names_the_author_with_the_one_label(family_a, nurse_a, verified_client):
    response = verified_client(nurse_a).post(
        reverse("coordination:note_create", args=[family_a.resident.public_id]),
        {"target": "douleur", "data": "Bonne journée", "is_family_visible": "on", "_preview": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert f"· {NURSE_LABEL}" in response.content.decode()


def test_the_thread_page_shows_you_relatives_and_deleted_messages(family_a, nurse_a, marie, verified_client):
    sister = FamilyUserFactory(email="soeur@famille.test", first_name="Lucie", last_name="Durand")
    link(sister, marie)
    thread = family_thread(marie)
    for sender, body in ((family_a.user, "De Jeanne"), (sister, "De Lucie")):
        messaging_services.message_send(conversation=thread, sender=sender, body=body, client_token=uuid.uuid4())
    gone = messaging_services.message_send(
        conversation=thread, sender=nurse_a, body="Texte retiré", client_token=uuid.uuid4()
    ).message
    messaging_services.message_delete(message=gone, actor=nurse_a)
    html = verified_client(family_a.user).get(reverse("portal:messages", args=[marie.public_id])).content.decode()
    labels = re.findall(r'<p class="small muted">\s*(.+?) ·', html)
    assert labels == ["Vous", "Lucie", NURSE_LABEL]
    assert "Texte retiré" not in html and "Message supprimé." in html


def test_the_thread_page_runs_a_fixed_number_of_queries(
    family_a, nurse_a, staff_a, coordinator_a, verified_client, django_assert_max_num_queries, settings
):
    settings.MESSAGING_RATE_LIMIT = 1000
    thread = family_thread(family_a.resident)
    client = verified_client(family_a.user)
    url = reverse("portal:messages", args=[family_a.resident.public_id])

    def write(count):
        for i in range(count):
            sender = (nurse_a, staff_a, coordinator_a, family_a.user)[i % 4]
            messaging_services.message_send(conversation=thread, sender=sender, body=f"m{i}", client_token=uuid.uuid4())

    write(1)
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    write(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["items"]) == 31


def test_a_relative_mentioned_in_the_thread_reads_the_one_label(family_a, nurse_a):
    messaging_services.message_send(
        conversation=family_thread(family_a.resident),
        sender=nurse_a,
        body="@jeanne.durand votre mère vous attend.",
        client_token=uuid.uuid4(),
    )
    notice = Notification.objects.get(user=family_a.user)
    assert (notice.title, notice.url) == (
        f"{NURSE_LABEL} vous a mentionné dans une conversation",
        reverse("portal:messages", args=[family_a.resident.public_id]),
    )


@pytest.mark.parametrize("sender_kind", ["staff", "family"])
def test_staff_mentioned_in_the_thread_read_the_full_name(family_a, nurse_a, staff_a, sender_kind):
    sender = nurse_a if sender_kind == "staff" else family_a.user
    messaging_services.message_send(
        conversation=family_thread(family_a.resident),
        sender=sender,
        body="@helene.lefevre pouvez-vous rappeler ?",
        client_token=uuid.uuid4(),
    )
    notice = Notification.objects.get(user=staff_a)
    assert notice.title == f"{sender.get_full_name()} vous a mentionné dans une conversation"
