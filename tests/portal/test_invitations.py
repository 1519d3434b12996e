"""Inviting a relative, accepting, resending and revoking: the single-use hashed link."""

import hashlib
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.models import FamilyLink, Invitation, Relationship
from tests.factories import FamilyUserFactory
from tests.portal.factories import ResidentFactory

STRONG_PASSWORD = "Tilleuls-du-jardin-2026"


def invite(client, resident, email="anne.durand@famille.test", **rights):
    data = {"email": email, "relationship": Relationship.CHILD, "may_see_news": "on", **rights}
    return client.post(reverse("portal:resident_family", kwargs={"public_id": resident.public_id}), data)


def token_from_mail(message) -> str:
    match = re.search(r"/family/invitation/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def invited(coordinator_a, marie, verified_client, django_capture_on_commit_callbacks):
    client = verified_client(coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, marie, may_see_messages="on")
    assert response.status_code == HTTPStatus.FOUND
    return Invitation.objects.get(), token_from_mail(mail.outbox[-1])


def test_coordinator_invites_and_the_link_is_mailed_with_only_its_hash_stored(invited, marie):
    invitation, token = invited
    assert invitation.email == "anne.durand@famille.test"
    assert invitation.resident == marie
    assert (invitation.may_see_news, invitation.may_see_documents, invitation.may_see_messages) == (True, False, True)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {getattr(invitation, f.attname) for f in Invitation._meta.fields}
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    assert invitation.sent_at is not None and invitation.send_count == 1
    message = mail.outbox[-1]
    assert message.to == ["anne.durand@famille.test"]
    assert "Marie" in message.body and "Durand" not in message.body


def test_accepting_creates_a_verified_family_account_then_requires_the_second_factor(invited, marie):
    invitation, token = invited
    client = Client()
    url = reverse("portal:invitation_accept", kwargs={"token": token})
    assert client.get(url).status_code == HTTPStatus.OK
    response = client.post(
        url, {"first_name": "Anne", "last_name": "Durand", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_setup"))
    user = get_user_model().objects.get(email="anne.durand@famille.test")
    assert user.is_family and user.check_password(STRONG_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified
    link = FamilyLink.objects.get(user=user)
    assert link.resident == marie and link.is_active and link.may_see_messages and not link.may_see_documents
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    # Signed in but without a second factor: the portal is closed until TOTP is set up.
    response = client.get(reverse("portal:news", kwargs={"public_id": marie.public_id}))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_setup"))


def test_without_family_2fa_the_portal_opens_right_after_acceptance(invited, marie, settings):
    settings.FAMILY_2FA_REQUIRED = False
    _invitation, token = invited
    client = Client()
    response = client.post(
        reverse("portal:invitation_accept", kwargs={"token": token}),
        {"first_name": "Anne", "last_name": "Durand", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )
    assert response.url == reverse("portal:home")
    assert client.get(reverse("portal:news", kwargs={"public_id": marie.public_id})).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        ("court", "court", "too short"),
        ("123456789012345", "123456789012345", "entirely numeric"),
        ("anne.durand@famille.test", "anne.durand@famille.test", "too similar"),
        (STRONG_PASSWORD, STRONG_PASSWORD + "x", "not the same"),
    ],
)
def test_a_weak_or_mismatched_password_is_refused_and_nothing_is_created(
    invited, password1, password2, message, settings
):
    settings.LANGUAGE_CODE = "en"
    invitation, token = invited
    response = Client(headers={"accept-language": "en"}).post(
        reverse("portal:invitation_accept", kwargs={"token": token}),
        {"first_name": "Anne", "last_name": "Durand", "password1": password1, "password2": password2},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not get_user_model().objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_link_works_once(invited):
    _invitation, token = invited
    url = reverse("portal:invitation_accept", kwargs={"token": token})
    data = {"first_name": "Anne", "last_name": "Durand", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}
    Client().post(url, data)
    again = Client().post(url, data)
    assert again.status_code == HTTPStatus.NOT_FOUND
    assert get_user_model().objects.filter(email="anne.durand@famille.test").count() == 1
    assert FamilyLink.objects.count() == 1


def test_an_expired_link_is_refused(invited):
    invitation, token = invited
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(reverse("portal:invitation_accept", kwargs={"token": token}))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "expired" in response.content.decode() or "expiré" in response.content.decode()


def test_an_unknown_token_is_refused(db):
    response = Client().get(reverse("portal:invitation_accept", kwargs={"token": "not-a-real-token"}))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_resend_gives_a_new_token_and_expiry_and_kills_the_old_one(
    invited, coordinator_a, verified_client, django_capture_on_commit_callbacks
):
    invitation, old_token = invited
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = verified_client(coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:invitation_resend", kwargs={"public_id": invitation.public_id}))
    assert response.status_code == HTTPStatus.FOUND
    new_token = token_from_mail(mail.outbox[-1])
    assert new_token != old_token
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert invitation.send_count == 2
    assert Client().get(reverse("portal:invitation_accept", kwargs={"token": old_token})).status_code == 404
    assert Client().get(reverse("portal:invitation_accept", kwargs={"token": new_token})).status_code == 200


def test_revoked_invitation_cannot_be_used(invited, coordinator_a, verified_client):
    invitation, token = invited
    response = verified_client(coordinator_a).post(
        reverse("portal:invitation_revoke", kwargs={"public_id": invitation.public_id})
    )
    assert response.status_code == HTTPStatus.FOUND
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None and invitation.revoked_by == coordinator_a
    assert Client().get(reverse("portal:invitation_accept", kwargs={"token": token})).status_code == 404


def test_mail_failure_leaves_the_invitation_marked_not_sent(
    coordinator_a, marie, verified_client, django_capture_on_commit_callbacks, settings
):
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "tests.portal.failing_mail.FailingBackend"
    client = verified_client(coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, marie)
    assert response.status_code == HTTPStatus.FOUND
    invitation = Invitation.objects.get()
    assert invitation.sent_at is None and invitation.send_count == 0
    page = client.get(reverse("portal:resident_family", kwargs={"public_id": marie.public_id}))
    assert page.status_code == HTTPStatus.OK
    assert "could not be delivered" in page.content.decode()


def test_a_relative_with_an_account_follows_a_second_resident(
    family_a, coordinator_a, verified_client, django_capture_on_commit_callbacks, site_a, settings
):
    """A couple in the same home: the same relative follows both."""
    settings.LANGUAGE_CODE = "en"
    husband = ResidentFactory(site=site_a, first_name="Robert", last_name="Durand")
    with django_capture_on_commit_callbacks(execute=True):
        invite(verified_client(coordinator_a), husband, email=family_a.user.email.upper())
    token = token_from_mail(mail.outbox[-1])
    assert "already have an account" in mail.outbox[-1].body
    url = reverse("portal:invitation_accept", kwargs={"token": token})
    anonymous = Client().get(url)
    assert anonymous.status_code == HTTPStatus.OK
    assert reverse("account_login") in anonymous.content.decode()
    client = verified_client(family_a.user)
    assert client.get(url).status_code == HTTPStatus.OK
    response = client.post(url)
    assert response.status_code == HTTPStatus.FOUND
    assert set(FamilyLink.objects.active().filter(user=family_a.user).values_list("resident", flat=True)) == {
        family_a.resident.pk,
        husband.pk,
    }
    assert client.get(reverse("portal:news", kwargs={"public_id": husband.public_id})).status_code == 200


def test_another_signed_in_person_cannot_use_the_link(invited, family_b, staff_a, verified_client):
    _invitation, token = invited
    url = reverse("portal:invitation_accept", kwargs={"token": token})
    for user in (family_b.user, staff_a):
        assert verified_client(user).post(url).status_code == HTTPStatus.FORBIDDEN
    assert not FamilyLink.objects.filter(resident__first_name="Marie").exists()


def test_a_resident_may_have_several_relatives_each_with_their_rights(marie):
    from tests.portal.factories import link

    son = FamilyUserFactory(email="fils@famille.test")
    daughter = FamilyUserFactory(email="fille@famille.test")
    link(son, marie, may_see_documents=False)
    link(daughter, marie, may_see_messages=False)
    rights = dict(FamilyLink.objects.filter(resident=marie).values_list("user__email", "may_see_documents"))
    assert rights == {"fils@famille.test": False, "fille@famille.test": True}


def test_staff_address_cannot_be_invited(coordinator_a, staff_a, marie, verified_client):
    response = invite(verified_client(coordinator_a), marie, email=staff_a.email)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Invitation.objects.exists()


def test_a_second_pending_invitation_to_the_same_address_is_refused(invited, coordinator_a, marie, verified_client):
    response = invite(verified_client(coordinator_a), marie)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Invitation.objects.count() == 1


def test_invitation_needs_at_least_one_right(coordinator_a, marie, verified_client):
    client = verified_client(coordinator_a)
    response = client.post(
        reverse("portal:resident_family", kwargs={"public_id": marie.public_id}),
        {"email": "x@famille.test", "relationship": Relationship.CHILD},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["staff_a", "staff_b", "family"])
def test_only_coordinators_of_the_site_manage_family_access(who, marie, staff_a, staff_b, family_user, verified_client):
    user = {"staff_a": staff_a, "staff_b": staff_b, "family": family_user}[who]
    expected = {"staff_a": 403, "staff_b": 404, "family": 404}[who]
    url = reverse("portal:resident_family", kwargs={"public_id": marie.public_id})
    client = verified_client(user)
    assert client.get(url).status_code == expected
    assert invite(client, marie).status_code == expected
    assert not Invitation.objects.exists()


def test_service_refuses_a_coordinator_of_another_site(coordinator_a, louis):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.invitation_create(
            actor=coordinator_a,
            resident=louis,
            email="x@famille.test",
            relationship=Relationship.OTHER,
            may_see_news=True,
            may_see_documents=False,
            may_see_messages=False,
        )


def test_admin_invitation_is_made_by_the_service_and_mailed(
    group_admin, marie, verified_client, django_capture_on_commit_callbacks
):
    client = verified_client(group_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:portal_invitation_add"),
            {
                "email": "admin.invite@famille.test",
                "resident": marie.pk,
                "relationship": "spouse",
                "may_see_news": "on",
            },
        )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    invitation = Invitation.objects.get()
    assert invitation.created_by == group_admin and len(invitation.token_hash) == 64
    assert mail.outbox[-1].to == ["admin.invite@famille.test"]
