"""Family accounts: links between a relative and a resident, invitations, site
information for families, e-mail preferences and the digests already sent.

A family user reaches a resident only through an active :class:`FamilyLink`
(``carehub.policy.family_resident_ids``), and within it only what the link's
rights allow (news, documents, messages).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carehub import policy
from carehub.tokens import hash_token

#: Days an invitation link stays valid.


class Relationship(models.TextChoices):
    CHILD = "child", _("Son or daughter")
    SPOUSE = "spouse", _("Spouse or partner")
    SIBLING = "sibling", _("Brother or sister")
    GRANDCHILD = "grandchild", _("Grandchild")
    NEPHEW_NIECE = "nephew_niece", _("Nephew or niece")
    PARENT = "parent", _("Parent")
    LEGAL_GUARDIAN = "legal_guardian", _("Legal guardian")
    FRIEND = "friend", _("Friend")
    OTHER = "other", _("Other")


class FamilyRights(models.Model):
    """What a relative may see of the resident: the three switches of a link or an invitation."""

    may_see_news = models.BooleanField(_("may read news"), default=True)
    may_see_documents = models.BooleanField(_("may see shared documents"), default=False)
    may_see_messages = models.BooleanField(_("may write to the care team"), default=False)

    class Meta:
        abstract = True

    def rights_summary(self) -> list[str]:
        labels = []
        if self.may_see_news:
            labels.append(str(_("news")))
        if self.may_see_documents:
            labels.append(str(_("documents")))
        if self.may_see_messages:
            labels.append(str(_("messages")))
        return labels


class FamilyLinkQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, revoked_at__isnull=True, user__is_active=True)

    def managed_by(self, user):
        """Links of the residents of the sites the user manages (coordinators, group admins)."""
        return policy.restrict(self, user, policy.Scope.MANAGE, "resident__site")

    def visible_to(self, user):
        if user.is_authenticated and user.is_family:
            return self.active().filter(user=user, resident_id__in=policy.family_resident_ids(user))
        return self.managed_by(user)


class FamilyLink(FamilyRights):
    """A relative (family account) follows a resident, with their own rights."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="family_links",
        limit_choices_to={"kind": "family"},
        verbose_name=_("relative"),
    )
    resident = models.ForeignKey(
        "coordination.Resident", on_delete=models.PROTECT, related_name="family_links", verbose_name=_("resident")
    )
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = FamilyLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("family link")
        verbose_name_plural = _("family links")
        ordering = ["resident__last_name", "resident__first_name", "user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "resident"], name="familylink_one_per_user_and_resident"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(is_active=False), name="familylink_revoked_is_inactive"
            ),
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="familylink_user_active")]

    def __str__(self):
        return f"{self.user} → {self.resident} ({self.get_relationship_display()})"

    @property
    def access_log_site_id(self):
        return self.resident.site_id

    @property
    def access_log_subject_id(self):
        return self.resident.public_id


def new_token() -> str:
    return secrets.token_urlsafe(32)


class InvitationQuerySet(models.QuerySet):
    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "resident__site")

    def visible_to(self, user):
        return self.managed_by(user)

    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())

    def by_token(self, token: str):
        return self.filter(token_hash=hash_token(token or ""))


class Invitation(FamilyRights):
    """An invitation sent to a relative's e-mail: a single-use link valid 7 days.

    Only the SHA-256 of the token is stored; the token itself lives in the e-mail.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the relative")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail address"))
    resident = models.ForeignKey(
        "coordination.Resident", on_delete=models.PROTECT, related_name="family_invitations", verbose_name=_("resident")
    )
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=0)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("family invitation")
        verbose_name_plural = _("family invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["resident", "-created_at"], name="invitation_resident_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_both_accepted_and_revoked",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.resident}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def access_log_site_id(self):
        return self.resident.site_id

    @property
    def access_log_subject_id(self):
        return self.resident.public_id


class SiteFamilyInfoQuerySet(models.QuerySet):
    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "site")


class SiteFamilyInfo(models.Model):
    """Practical information the site gives families (set by its coordinators)."""

    site = models.OneToOneField(
        "directory.Site", on_delete=models.CASCADE, related_name="family_info", verbose_name=_("site")
    )
    visiting_hours = models.TextField(
        _("visiting hours"), blank=True, help_text=_("As families should read them, e.g. “Every day 11:00–19:00”.")
    )
    family_phone = models.CharField(
        _("phone for families"),
        max_length=30,
        blank=True,
        help_text=_("Leave empty to show the site's main phone number."),
    )
    practical_notes = models.TextField(
        _("practical information"), blank=True, help_text=_("Parking, meals with the resident, laundry, mail…")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SiteFamilyInfoQuerySet.as_manager()

    class Meta:
        verbose_name = _("practical information sheet for families")
        verbose_name_plural = _("practical information sheets for families")
        ordering = ["site__name"]

    def __str__(self):
        return str(self.site)


class DigestFrequency(models.TextChoices):
    OFF = "off", _("Never")
    DAILY = "daily", _("Once a day")
    WEEKLY = "weekly", _("Once a week")


class FamilyPreferences(models.Model):
    """A relative's e-mail preferences."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_preferences", verbose_name=_("user")
    )
    digest = models.CharField(
        _("summary e-mail"), max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.OFF
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("family e-mail preferences")
        verbose_name_plural = _("family e-mail preferences")

    def __str__(self):
        return f"{self.user} — {self.get_digest_display()}"


class SentDigest(models.Model):
    """One summary e-mail sent for one period: the unique key makes the beat task idempotent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_digests", verbose_name=_("user")
    )
    period = models.CharField(_("period"), max_length=32, help_text=_("daily:YYYY-MM-DD or weekly:YYYY-Www"))
    update_count = models.PositiveIntegerField(_("updates announced"), default=0)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("family summary e-mail sent")
        verbose_name_plural = _("family summary e-mails sent")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["user", "period"], name="sentdigest_one_per_user_and_period")]

    def __str__(self):
        return f"{self.user} {self.period}"
