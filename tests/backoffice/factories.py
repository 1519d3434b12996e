"""Factories and bulk builders for the coordinators' panel tests."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from directory.models import Assignment, Job, StaffProfile


def bulk_staff(site, unit, count: int, *, start: int = 0, prefix: str = "bulk") -> list:
    """``count`` staff members at ``site`` (account, profile, primary assignment), inserted in bulk."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(
                email=f"{prefix}{n}@carehub.test",
                first_name=f"Prénom{n}",
                last_name=f"Nom{n:05d}",
                kind="staff",
                password="!",
            )
            for n in range(start, start + count)
        ],
        batch_size=500,
    )
    if not users or users[0].pk is None:  # backends that do not return ids
        users = list(User.objects.filter(email__startswith=prefix).order_by("pk")[start : start + count])
    StaffProfile.objects.bulk_create(
        [StaffProfile(user=u, job=Job.CARE_ASSISTANT, external_id=f"RH{u.pk}") for u in users], batch_size=500
    )
    Assignment.objects.bulk_create(
        [Assignment(user=u, site=site, unit=unit, role="staff", is_primary=True) for u in users], batch_size=500
    )
    return users
