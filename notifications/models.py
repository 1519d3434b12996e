import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person sees only their own notifications."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notice for one person. Titles never carry health details:
    they say *that* something needs attention and link to where it is."""

    class Kind(models.TextChoices):
        URGENT_NOTE = "urgent_note", _("Urgent care note not acknowledged")
        URGENT_MESSAGE = "urgent_message", _("Urgent message not acknowledged")
        MENTION = "mention", _("Mention")
        UNREAD_MESSAGES = "unread_messages", _("Unread messages")
        MUST_READ = "must_read", _("Document to read")
        INFO = "info", _("Information")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.INFO)
    title = models.CharField(_("title"), max_length=255)
    url = models.CharField(_("link"), max_length=500, blank=True)
    dedup_key = models.CharField(
        _("deduplication key"),
        max_length=200,
        blank=True,
        help_text=_("Same key for the same person: the notice is created once (idempotent tasks)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedup_key"],
                condition=~models.Q(dedup_key=""),
                name="notification_unique_dedup_key_per_user",
            )
        ]

    def __str__(self):
        return self.title
