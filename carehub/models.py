"""The access log: an append-only, hash-chained record of who read what.

django-auditlog records changes; this records reads (views, downloads,
exports, searches) and sign-in events. Each entry's hash covers its fields
and the previous entry's hash, so that altering or removing a row breaks the
chain (``manage.py verify_audit``). The hash is sealed with a key kept outside
the database (carehub/audit_seal.py): write access alone cannot re-hash it.
"""

import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carehub import audit_seal
from carehub.times import stamp

GENESIS_HASH = "0" * 64


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("The access log is append-only.")

    def delete(self):
        raise PermissionDenied("The access log is append-only.")


class AccessLog(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        DOWNLOAD = "download", _("Downloaded")
        EXPORT = "export", _("Exported")
        SEARCH = "search", _("Searched")
        REFUSED = "refused", _("Refused: not theirs to open")
        PRINT = "print", _("Printed")
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")
        SESSION_EXPIRED = "session_expired", _("Session expired")
        LOCK = "lock", _("Screen locked")
        UNLOCK = "unlock", _("Unlocked with the PIN")
        UNLOCK_FAILED = "unlock_failed", _("Wrong unlock PIN")
        LOCK_ENDED = "lock_ended", _("Session ended after wrong PINs")
        PIN_SET = "pin_set", _("Set the unlock PIN")
        TWO_FACTOR_SETUP = "2fa_setup", _("Set up two-factor authentication")
        TWO_FACTOR_VERIFIED = "2fa_verified", _("Passed two-factor authentication")
        TWO_FACTOR_FAILED = "2fa_failed", _("Failed two-factor authentication")
        BACKUP_CODE_USED = "backup_code_used", _("Used a backup code")
        BACKUP_CODES_REGENERATED = "backup_codes_regenerated", _("Generated new backup codes")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    actor = models.CharField(_("actor"), max_length=254, blank=True, help_text=_("E-mail at the time of access."))
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    site_id = models.BigIntegerField(_("site"), null=True, blank=True, db_index=True)
    subject_id = models.UUIDField(
        _("resident concerned"), null=True, blank=True, db_index=True, help_text=_("Public id of the resident.")
    )
    query = models.CharField(_("search terms"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)
    #: Hashed with the audit key (HMAC); False only for entries written before the key (CareHub 0.3). The
    #: database's default is False: a 0.3 process still running during a rolling upgrade inserts plain
    #: SHA-256 entries, which then verify as such.
    sealed = models.BooleanField(default=True, db_default=False, editable=False)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-at"], name="accesslog_user_at")]
        default_permissions = ("view",)

    def __str__(self):
        return f"{stamp(self.at)} {self.actor} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The access log is append-only.")

    @property
    def access_log_subject_id(self):
        # Reading the trail of a resident is a read about that resident.
        return self.subject_id

    def hash_input(self) -> bytes:
        payload = [
            self.prev_hash,
            self.at.astimezone(UTC).isoformat(),
            self.user_id,
            self.actor,
            self.action,
            self.object_type,
            self.object_id,
            self.object_repr,
            self.site_id,
            str(self.subject_id) if self.subject_id else None,
            self.query,
            self.ip,
            self.user_agent,
        ]
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode()

    def compute_hash(self) -> str:
        """The hash a new entry gets: sealed with the current audit key."""
        return audit_seal.seal(self.hash_input())

    def hash_matches(self) -> bool:
        raw = self.hash_input()
        if self.sealed:
            return audit_seal.sealed_by_a_key(raw, self.hash)
        return hashlib.sha256(raw).hexdigest() == self.hash


class AccessLogHead(models.Model):
    """The tip of the chain; its row lock serialises appends across processes."""

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_id = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"access log head #{self.last_id}"
