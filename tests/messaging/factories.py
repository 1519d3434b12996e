"""Factories for messaging tests."""

import uuid

import factory

from coordination.models import Resident
from messaging.models import Conversation, Kind, Membership, Message
from tests.factories import SiteFactory, UserFactory


class ResidentFactory(factory.django.DjangoModelFactory):
    """Only the fields of coordination's first migration (the coordination app grows it)."""

    class Meta:
        model = Resident

    site = factory.SubFactory(SiteFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    kind = Kind.GROUP
    title = factory.Sequence(lambda n: f"Groupe {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    conversation = factory.SubFactory(ConversationFactory)
    user = factory.SubFactory(UserFactory)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    sender = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence", locale="fr_FR")
    client_token = factory.LazyFunction(uuid.uuid4)


def group_with(*users, title="Équipe de nuit"):
    conversation = ConversationFactory(kind=Kind.GROUP, title=title, created_by=users[0] if users else None)
    for user in users:
        MembershipFactory(conversation=conversation, user=user)
    return conversation
