"""Factories for the core models. Each app's tests add theirs in tests/<app>/factories.py."""

import factory
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from directory.models import Assignment, Job, Site, StaffProfile, Unit

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@carehub.test")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    kind = "staff"
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class FamilyUserFactory(UserFactory):
    kind = "family"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"EHPAD Les Tilleuls {n}")
    kind = Site.Kind.EHPAD
    address = factory.Faker("street_address", locale="fr_FR")
    postal_code = "69003"
    city = "Lyon"
    phone = "04 72 00 00 00"
    time_zone = "Europe/Paris"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Unité {n}")


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    job = Job.CARE_ASSISTANT
    phone_extension = factory.Sequence(lambda n: f"{2000 + n}")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    user = factory.SubFactory(UserFactory)
    site = factory.SubFactory(SiteFactory)
    unit = None
    role = Assignment.Role.STAFF
    is_primary = True


def make_staff(site, *, unit=None, job=Job.CARE_ASSISTANT, coordinator=False, **user_fields):
    """A staff member with a profile and a current assignment at ``site``."""
    user = UserFactory(is_staff=coordinator, **user_fields)
    StaffProfileFactory(user=user, job=job)
    AssignmentFactory(
        user=user,
        site=site,
        unit=unit,
        role=Assignment.Role.COORDINATOR if coordinator else Assignment.Role.STAFF,
    )
    return user


def make_group_admin(**user_fields):
    user = UserFactory(is_staff=True, is_group_admin=True, **user_fields)
    StaffProfileFactory(user=user, job=Job.HEAD_OFFICE)
    return user


def confirmed_totp(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
