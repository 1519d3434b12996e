"""Factories of the directory tests: on-call entries, many staff at once, photos."""

import io

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from PIL import Image

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


def jpeg_bytes(size=(1200, 900), exif=True, color=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {2: (45.0, 46.0, 0.0)}  # GPS latitude
        data[0x0112] = 6  # orientation: rotate 90°
        image.save(out, "JPEG", exif=data.tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()
