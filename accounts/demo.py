"""Demo accounts, one per role, whose second factor is a printed backup code."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from carehub.demo import DEMO_DOMAIN, new_demo_password
from directory.models import Assignment, Job, StaffProfile

from .services import TOTP_DEVICE_NAME, backup_codes_generate

#: How the printed demo logins name each role (in the deployment's language).
ROLE_LABELS = {
    "group admin": gettext_lazy("group administrator (head office)"),
    "site coordinator": gettext_lazy("site coordinator (IDEC)"),
    "nurse": gettext_lazy("nurse"),
    "care assistant": gettext_lazy("care assistant"),
    "family member": gettext_lazy("relative (family portal)"),
}

DEMO_ACCOUNTS = [
    # role label, e-mail local part, first name, last name, job, assignment role, unit index
    ("group admin", "siege", "Sophie", "Marchand", Job.HEAD_OFFICE, None, None),
    ("site coordinator", "idec", "Claire", "Rousseau", Job.NURSE_COORDINATOR, Assignment.Role.COORDINATOR, None),
    ("nurse", "infirmiere", "Hélène", "Lefèvre", Job.NURSE, Assignment.Role.STAFF, 0),
    ("care assistant", "aide-soignant", "Karim", "Benali", Job.CARE_ASSISTANT, Assignment.Role.STAFF, 0),
    ("family member", "famille", "Jeanne", "Martin", None, None, None),
]


def seed(ctx) -> None:
    User = get_user_model()
    site = ctx.site_list[0]
    units = list(site.units.order_by("name"))
    for role, local, first, last, job, assignment_role, unit_index in DEMO_ACCOUNTS:
        email = f"{local}@{DEMO_DOMAIN}"
        is_family = job is None and assignment_role is None and role == "family member"
        user, _ = User.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "kind": User.Kind.FAMILY if is_family else User.Kind.STAFF,
                "is_group_admin": role == "group admin",
                "is_staff": role in ("group admin", "site coordinator"),
            },
        )
        password = new_demo_password()
        user.set_password(password)
        user.save(update_fields=["password"])
        if not is_family:
            StaffProfile.objects.get_or_create(
                user=user, defaults={"job": job, "phone_extension": "1000", "languages": ["fr", "en"]}
            )
            if assignment_role:
                Assignment.objects.get_or_create(
                    user=user,
                    site=site,
                    defaults={
                        "role": assignment_role,
                        "unit": units[unit_index] if unit_index is not None and units else None,
                        "is_primary": True,
                    },
                )
        # A confirmed authenticator exists (so sign-in asks for a code), and fresh
        # backup codes replace the old ones at each run: printed, they work once each.
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        codes = backup_codes_generate(user=user)
        ctx.accounts[role] = {"email": email, "password": password, "codes": codes, "user": user}
    ctx.log(f"accounts: {len(DEMO_ACCOUNTS)} demo accounts ready")
