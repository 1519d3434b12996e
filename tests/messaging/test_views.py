"""The messaging pages without JavaScript: plain forms and reloads."""

import uuid
from http import HTTPStatus

import pytest
from django.urls import reverse

from carehub.models import AccessLog
from messaging import services
from messaging.models import Conversation, Kind, Membership, Message
from tests.accounts.flows import page_text
from tests.conftest import ANY_PAGE
from tests.factories import make_staff
from tests.messaging.factories import ResidentFactory, group_with

pytestmark = pytest.mark.django_db


def url(name, **kwargs):
    return reverse(f"messaging:{name}", kwargs=kwargs or None)


def test_index_lists_my_conversations_with_unread_counts(verified_client, site_a, staff_a, coordinator_a, staff_b):
    group = group_with(staff_a, coordinator_a, title="Équipe du soir")
    hidden = group_with(staff_b, title="Secret du site B")
    services.message_send(conversation=group, sender=coordinator_a, body="Bonsoir", client_token=uuid.uuid4())
    response = verified_client(staff_a).get(url("index"))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Équipe du soir" in page
    assert hidden.title not in page
    assert site_a.name in page, "the site channel follows the assignment"
    assert "data-messaging-badge >1<" in page.replace("\n", "") or ">1</span>" in page


def test_index_query_count_does_not_grow(
    django_assert_max_num_queries, verified_client, site_a, staff_a, coordinator_a
):
    client = verified_client(staff_a)
    client.get(url("index"))  # first visit creates the channel rows

    def grow(n):
        for i in range(n):
            conversation = group_with(staff_a, coordinator_a, title=f"G{i}")
            services.message_send(conversation=conversation, sender=coordinator_a, body="x", client_token=uuid.uuid4())
            services.conversation_direct_get_or_create(user=staff_a, other=make_staff(site_a))

    grow(2)
    with django_assert_max_num_queries(30) as small:
        client.get(url("index"))
    grow(15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url("index"))


def test_post_without_javascript_saves_once_and_redirects(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    client = verified_client(staff_a)
    token = str(uuid.uuid4())
    data = {
        "body": "Penser au bilan sanguin <script>alert(1)</script> https://example.org/x?a=1&b=2",
        "client_token": token,
    }
    first = client.post(url("conversation", public_id=group.public_id), data)
    again = client.post(url("conversation", public_id=group.public_id), data)  # double click
    assert first.status_code == again.status_code == HTTPStatus.FOUND
    assert Message.objects.filter(conversation=group).count() == 1
    message = Message.objects.get()
    assert first.url.endswith(f"#m-{message.pk}")
    page = client.get(url("conversation", public_id=group.public_id)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://example.org/x?a=1&amp;b=2" rel="noopener noreferrer nofollow"' in page


def test_bad_post_keeps_the_text_and_answers_400(verified_client, settings, staff_a):
    settings.MESSAGING_MAX_BODY_CHARS = 10
    group = group_with(staff_a)
    response = verified_client(staff_a).post(
        url("conversation", public_id=group.public_id),
        {"body": "trop long pour passer", "client_token": str(uuid.uuid4())},
    )
    # The form field's max_length was fixed at import; the service's limit answers too.
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "trop long pour passer" in response.content.decode()
    assert not Message.objects.exists()
    response = verified_client(staff_a).post(url("conversation", public_id=group.public_id), {"body": "ok"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_rate_limited_post_answers_429_with_the_text_kept(verified_client, settings, staff_a):
    settings.MESSAGING_RATE_LIMIT = 1
    settings.MESSAGING_RATE_WINDOW = 60
    group = group_with(staff_a)
    client = verified_client(staff_a)
    client.post(url("conversation", public_id=group.public_id), {"body": "un", "client_token": str(uuid.uuid4())})
    response = client.post(
        url("conversation", public_id=group.public_id), {"body": "deux", "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "deux" in response.content.decode()
    assert Message.objects.count() == 1


def test_reading_a_conversation_is_logged_and_marks_read(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    message = services.message_send(
        conversation=group, sender=coordinator_a, body="x", client_token=uuid.uuid4()
    ).message
    verified_client(staff_a).get(url("conversation", public_id=group.public_id))
    entry = AccessLog.objects.filter(action=AccessLog.Action.VIEW, object_type="messaging.conversation").get()
    assert entry.object_id == str(group.public_id) and entry.user == staff_a
    assert Membership.objects.get(conversation=group, user=staff_a).last_read_message_id == message.pk


def test_seen_by_names_in_small_conversations(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    services.message_send(conversation=group, sender=staff_a, body="Lu ?", client_token=uuid.uuid4())
    page = verified_client(staff_a).get(url("conversation", public_id=group.public_id)).content.decode()
    assert "Not seen yet" in page or "Pas encore vu" in page
    verified_client(coordinator_a).get(url("conversation", public_id=group.public_id))
    page = verified_client(staff_a).get(url("conversation", public_id=group.public_id)).content.decode()
    assert str(coordinator_a) in page.split("Lu ?")[1]


def test_outsider_gets_404_on_a_conversation(verified_client, staff_a, staff_b):
    group = group_with(staff_a)
    response = verified_client(staff_b).get(url("conversation", public_id=group.public_id))
    assert response.status_code == HTTPStatus.NOT_FOUND
    response = verified_client(staff_b).post(
        url("conversation", public_id=group.public_id), {"body": "x", "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Message.objects.exists()


def test_following_the_directory_link_creates_nothing(verified_client, staff_a, coordinator_a):
    client = verified_client(staff_a)
    for _ in range(3):  # a crawler, or a nurse clicking around
        response = client.get(url("start_direct", public_id=coordinator_a.public_id))
    assert response.status_code == HTTPStatus.OK
    assert Conversation.objects.count() == 0


def test_the_first_message_makes_the_direct_conversation_once(verified_client, staff_a, coordinator_a):
    client = verified_client(staff_a)
    data = {"body": "Peux-tu passer en chambre 12 ?", "client_token": str(uuid.uuid4())}
    first = client.post(url("start_direct", public_id=coordinator_a.public_id), data)
    again = client.post(url("start_direct", public_id=coordinator_a.public_id), data)  # resent form
    conversation = Conversation.objects.get(kind=Kind.DIRECT)
    message = Message.objects.get()
    assert first.url == again.url == url("conversation", public_id=conversation.public_id) + f"#m-{message.pk}"
    assert set(conversation.memberships.values_list("user_id", flat=True)) == {staff_a.pk, coordinator_a.pk}
    # From then on the link opens it.
    assert client.get(url("start_direct", public_id=coordinator_a.public_id)).url == url(
        "conversation", public_id=conversation.public_id
    )
    assert verified_client(coordinator_a).get(url("start_direct", public_id=staff_a.public_id)).url == url(
        "conversation", public_id=conversation.public_id
    )


def test_an_empty_first_message_answers_400_and_makes_nothing(verified_client, staff_a, coordinator_a):
    response = verified_client(staff_a).post(
        url("start_direct", public_id=coordinator_a.public_id), {"body": "  ", "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Le message est vide." in response.content.decode()
    assert Conversation.objects.count() == 0


def test_a_rate_limited_first_message_makes_no_conversation(verified_client, settings, staff_a, coordinator_a):
    settings.MESSAGING_RATE_LIMIT = 0
    response = verified_client(staff_a).post(
        url("start_direct", public_id=coordinator_a.public_id), {"body": "Bonjour", "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert Conversation.objects.count() == 0


def test_start_direct_refuses_families_and_oneself(verified_client, staff_a, family_user):
    client = verified_client(staff_a)
    assert client.get(url("start_direct", public_id=family_user.public_id)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(url("start_direct", public_id=staff_a.public_id)).url == url("index")
    assert Conversation.objects.count() == 0


def test_following_the_resident_link_creates_nothing(verified_client, site_a, staff_a, staff_b):
    resident = ResidentFactory(site=site_a)
    response = verified_client(staff_a).get(url("resident_thread", public_id=resident.public_id))
    assert response.status_code == HTTPStatus.OK
    assert Conversation.objects.filter(kind=Kind.RESIDENT).count() == 0
    assert verified_client(staff_b).get(url("resident_thread", public_id=resident.public_id)).status_code == 404


def test_the_first_message_makes_the_resident_thread_once(verified_client, site_a, staff_a, coordinator_a):
    resident = ResidentFactory(site=site_a)
    client = verified_client(staff_a)
    data = {"body": "Bilan à prévoir", "client_token": str(uuid.uuid4())}
    client.post(url("resident_thread", public_id=resident.public_id), data)
    client.post(url("resident_thread", public_id=resident.public_id), data)
    thread = Conversation.objects.get(kind=Kind.RESIDENT, resident=resident)
    assert Message.objects.filter(conversation=thread).count() == 1
    response = verified_client(coordinator_a).get(url("resident_thread", public_id=resident.public_id))
    assert response.url == url("conversation", public_id=thread.public_id)
    verified_client(staff_a).get(url("conversation", public_id=thread.public_id))
    entry = AccessLog.objects.filter(object_type="messaging.conversation").first()
    assert entry.subject_id == resident.public_id and entry.site_id == site_a.pk


def test_group_create_and_member_management(verified_client, site_a, staff_a, coordinator_a):
    colleague = make_staff(site_a)
    client = verified_client(staff_a)
    response = client.post(url("group_create"), {"title": "Projet jardin", "members": [coordinator_a.pk]})
    group = Conversation.objects.get(kind=Kind.GROUP)
    assert response.url == url("conversation", public_id=group.public_id)
    client.post(url("member_add", public_id=group.public_id), {"user": colleague.pk})
    assert set(group.memberships.values_list("user_id", flat=True)) == {staff_a.pk, coordinator_a.pk, colleague.pk}
    client.post(url("member_remove", public_id=group.public_id, user_public_id=colleague.public_id))
    assert not group.memberships.filter(user=colleague).exists()
    response = client.post(url("group_create"), {"title": "", "members": [coordinator_a.pk]})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_acknowledge_edit_delete_without_javascript(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    message = services.message_send(
        conversation=group, sender=staff_a, body="Urgent", client_token=uuid.uuid4(), urgent=True
    ).message
    verified_client(coordinator_a).post(url("acknowledge", public_id=message.public_id))
    assert message.acknowledgements.filter(user=coordinator_a).exists()
    client = verified_client(staff_a)
    assert client.get(url("message_edit", public_id=message.public_id)).status_code == HTTPStatus.OK
    client.post(url("message_edit", public_id=message.public_id), {"body": "Urgent, chambre 4"})
    message.refresh_from_db()
    assert message.body == "Urgent, chambre 4"
    assert verified_client(coordinator_a).post(url("message_delete", public_id=message.public_id)).status_code == 403
    client.post(url("message_delete", public_id=message.public_id))
    message.refresh_from_db()
    assert message.is_deleted
    page = client.get(url("conversation", public_id=group.public_id)).content.decode()
    assert "Urgent, chambre 4" not in page


def test_duty_form_reports_nobody_and_keeps_the_text(verified_client, site_a, staff_a):
    response = verified_client(staff_a).post(
        url("duty_send"),
        {"role": f"on_call:{site_a.pk}", "body": "Besoin d'aide", "client_token": str(uuid.uuid4())},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Besoin d&#x27;aide" in response.content.decode() or "Besoin d'aide" in response.content.decode()
    assert not Message.objects.exists()


def test_search_only_in_my_conversations_and_logged(verified_client, staff_a, staff_b):
    mine = group_with(staff_a)
    theirs = group_with(staff_b)
    services.message_send(conversation=mine, sender=staff_a, body="protocole escarre", client_token=uuid.uuid4())
    services.message_send(conversation=theirs, sender=staff_b, body="escarre secrète", client_token=uuid.uuid4())
    page = verified_client(staff_a).get(url("search"), {"q": "escarre"}).content.decode()
    assert "protocole escarre" in page and "secrète" not in page
    assert AccessLog.objects.filter(action=AccessLog.Action.SEARCH, query="escarre", user=staff_a).exists()


def test_header_badge_counts_unread(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    for _ in range(2):
        services.message_send(conversation=group, sender=coordinator_a, body="x", client_token=uuid.uuid4())
    page = verified_client(staff_a).get(ANY_PAGE).content.decode()
    assert "data-messaging-badge >2</span>" in page or "data-messaging-badge>2</span>" in page


def test_message_times_are_in_the_sites_zone(verified_client, site_b, staff_b):
    channel = services.site_channel_get_or_create(site=site_b)  # America/Cayenne
    message = services.message_send(
        conversation=channel, sender=staff_b, body="Relève du soir", client_token=uuid.uuid4()
    ).message
    page = verified_client(staff_b).get(url("conversation", public_id=channel.public_id)).content.decode()
    from zoneinfo import ZoneInfo

    expected = message.created_at.astimezone(ZoneInfo("America/Cayenne")).strftime("%d/%m/%Y %H:%M")
    assert f">{expected}</time>" in page


def test_the_list_marks_urgent_messages_still_to_acknowledge(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a, title="Équipe du soir")
    urgent = services.message_send(
        conversation=group, sender=coordinator_a, body="Chute", client_token=uuid.uuid4(), urgent=True
    ).message
    client = verified_client(staff_a)
    assert 'data-urgent="1"' in client.get(url("index")).content.decode()
    services.message_acknowledge(message=urgent, user=staff_a)
    assert 'data-urgent="1"' not in client.get(url("index")).content.decode()


def test_a_prefetched_conversation_is_not_marked_read(verified_client, staff_a, coordinator_a):
    group = group_with(staff_a, coordinator_a)
    services.message_send(conversation=group, sender=coordinator_a, body="Bonjour", client_token=uuid.uuid4())
    client = verified_client(staff_a)
    client.get(url("conversation", public_id=group.public_id), headers={"Sec-Purpose": "prefetch"})
    assert Membership.objects.get(conversation=group, user=staff_a).last_read_message_id == 0


def test_message_search_ignores_accents_and_case(verified_client, staff_a):
    mine = group_with(staff_a)
    services.message_send(
        conversation=mine, sender=staff_a, body="Rappel : Hygiène des mains", client_token=uuid.uuid4()
    )
    page = verified_client(staff_a).get(url("search"), {"q": "hygiene"}).content.decode()
    assert "Hygiène des mains" in page


def test_the_message_field_is_not_called_optional(verified_client, staff_a):
    # The body may be empty only when files are attached: it is what one writes, not an option.
    mine = group_with(staff_a)
    page = verified_client(staff_a).get(url("conversation", public_id=mine.public_id))
    assert "Message (facultatif)" not in page_text(page)
