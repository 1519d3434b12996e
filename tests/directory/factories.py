"""Factories of the directory tests: on-call entries and many staff at once."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from directory import services
from directory.models import Assignment, Job, OnCallShift, StaffProfile
from tests.factories import SiteFactory, UserFactory


class OnCallShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnCallShift

    site = factory.SubFactory(SiteFactory)
    user = factory.SubFactory(UserFactory)
    date = factory.Faker("date_this_month")
    note = ""


def bulk_staff(site, count, *, unit=None, prefix="person", job=Job.CARE_ASSISTANT, languages=("fr",)):
    """``count`` staff members working at ``site`` today, made with a few bulk inserts."""
    User = get_user_model()
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"{prefix}{n}.s{site.pk}@bulk.carehub.test",
            first_name=f"{prefix.title()}{n}",
            last_name=f"Nom{n}",
            kind="staff",
            password=password,
        )
        for n in range(count)
    )
    if not all(u.pk for u in users):
        users = list(User.objects.filter(email__in=[u.email for u in users]))
    StaffProfile.objects.bulk_create(
        StaffProfile(
            user=u, job=job, phone_extension=f"{5000 + n}", mobile=f"06 00 00 {n:05d}", languages=list(languages)
        )
        for n, u in enumerate(users)
    )
    Assignment.objects.bulk_create(
        Assignment(user=u, site=site, unit=unit, role=Assignment.Role.STAFF, is_primary=True) for u in users
    )
    services.search_documents_refresh(user_ids=[u.pk for u in users])
    return users
