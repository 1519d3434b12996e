"""Conversations, their members, messages and acknowledgements of urgent messages.

Who may read a conversation is decided by :meth:`ConversationQuerySet.visible_to`,
built on the access policy:

- direct, group: the people holding a membership row (and still active staff);
- site channel: staff currently assigned to the site (and group admins);
- unit channel: staff currently assigned to that unit, coordinators of its
  site, group admins;
- resident thread, family thread (staff side): whoever may read the resident
  (``Resident.objects.visible_to``: staff of the resident's site);
- family thread (family side): the family user holding a membership row of
  *that* thread only — a family user never reaches any other kind.

Channels and resident threads are therefore decided at read time from the
assignments in force today, so an assignment that ends at midnight closes the
channel without any event. ``Membership`` rows of those kinds only keep the
read position and put the conversation in the person's list; they are synced
when assignments change (signals) and when the person opens messaging.
"""

import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from carehub import policy
from carehub.times import stamp


class Kind(models.TextChoices):
    DIRECT = "direct", _("Direct conversation")
    GROUP = "group", _("Group")
    SITE = "site", _("Site channel")
    UNIT = "unit", _("Unit channel")
    RESIDENT = "resident", _("Resident thread")
    FAMILY = "family", _("Family thread")


#: Kinds whose readers are listed explicitly by membership rows.
EXPLICIT_KINDS = frozenset({Kind.DIRECT, Kind.GROUP})
#: Kinds whose staff readers follow assignments (decided at read time).
DERIVED_KINDS = frozenset({Kind.SITE, Kind.UNIT, Kind.RESIDENT, Kind.FAMILY})


class ConversationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The conversations ``user`` may read and write in, now."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_family:
            # Exactly the family threads they were made members of (portal app).
            return self.filter(kind=Kind.FAMILY, memberships__user=user, resident__isnull=False)
        if not policy.is_active_staff(user):
            return self.none()
        explicit = Q(kind__in=EXPLICIT_KINDS, memberships__user=user)
        care_sites = policy.site_ids(user, policy.Scope.CARE)
        if care_sites is policy.ALL_SITES:
            return self.filter(explicit | Q(kind__in=DERIVED_KINDS)).distinct()
        from directory.models import Assignment

        own_units = Assignment.objects.active().filter(user=user, unit__isnull=False).values("unit_id")
        managed = policy.site_ids(user, policy.Scope.MANAGE)
        derived = (
            Q(kind=Kind.SITE, site_id__in=care_sites)
            | Q(kind=Kind.UNIT, unit_id__in=own_units)
            | Q(kind=Kind.UNIT, site_id__in=managed)
            # The resident's current site, not the thread's: a transferred resident's threads and
            # files follow her at once (the site column is kept in step, but access never waits for it).
            | Q(kind__in=[Kind.RESIDENT, Kind.FAMILY], resident__site_id__in=care_sites)
        )
        return self.filter(explicit | derived).distinct()

    def listed_for(self, user):
        """Visible conversations the person has in their list (a membership row)."""
        return self.visible_to(user).filter(memberships__user=user)


class Conversation(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("name"), max_length=150, blank=True)
    site = models.ForeignKey(
        "directory.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("site"),
    )
    unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("unit"),
    )
    resident = models.ForeignKey(
        "coordination.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("resident"),
    )
    #: "<smaller user id>:<larger user id>" for direct conversations: one per pair.
    direct_key = models.CharField(max_length=50, null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    #: Id of the latest message: orders the list and finds unread without a scan.
    last_message_id = models.BigIntegerField(default=0, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: Sequence number of the latest message (see ``Message.seq``).
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_id", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["direct_key"], condition=Q(kind="direct"), name="conversation_one_direct_per_pair"
            ),
            models.UniqueConstraint(
                fields=["site"], condition=Q(kind="site"), name="conversation_one_channel_per_site"
            ),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(kind="unit"), name="conversation_one_channel_per_unit"
            ),
            models.UniqueConstraint(
                fields=["resident"], condition=Q(kind="resident"), name="conversation_one_thread_per_resident"
            ),
            models.UniqueConstraint(
                fields=["resident"], condition=Q(kind="family"), name="conversation_one_family_thread_per_resident"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["site", "unit", "resident", "family"]) | Q(site__isnull=False),
                name="conversation_channel_has_site",
            ),
            models.CheckConstraint(
                condition=~Q(kind="unit") | Q(unit__isnull=False), name="conversation_unit_channel_has_unit"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["resident", "family"]) | Q(resident__isnull=False),
                name="conversation_thread_has_resident",
            ),
        ]

    def __str__(self):
        return self.title or self.get_kind_display()

    @property
    def access_log_subject_id(self):
        return self.resident.public_id if self.resident_id else None

    @property
    def is_channel(self) -> bool:
        return self.kind in (Kind.SITE, Kind.UNIT)

    @property
    def group_name(self) -> str:
        return conversation_group(self.pk)

    @property
    def time_zone(self) -> str:
        """The zone its times are read in: its site's, else the group's."""
        return self.site.time_zone if self.site_id else settings.TIME_ZONE

    def allocate_seqs(self, count: int) -> range:
        """The next ``count`` message numbers of this conversation. On PostgreSQL the update
        locks the conversation's row until the caller's transaction ends, so numbers are
        committed in their order; call it inside the transaction that saves the messages."""
        conversations = Conversation.objects.filter(pk=self.pk)
        conversations.update(last_seq=F("last_seq") + count)
        last = conversations.values_list("last_seq", flat=True).get()
        return range(last - count + 1, last + 1)

    def display_title(self, viewer=None) -> str:
        """The name shown to ``viewer``: the other person for a direct conversation."""
        if self.kind == Kind.DIRECT and viewer is not None:
            others = [m.user for m in self.memberships.all() if m.user_id != viewer.pk]
            if others:
                return str(others[0])
        return str(self)


def conversation_group(conversation_id: int) -> str:
    return f"msg.conv.{conversation_id}"


class Membership(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("conversation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conversation_memberships",
        verbose_name=_("member"),
    )
    last_read_message_id = models.BigIntegerField(_("last message read"), default=0)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    #: The oldest unread message already e-mailed about (digest idempotency).
    unread_emailed_upto_id = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="membership_unique_user_per_conversation")
        ]
        indexes = [models.Index(fields=["user", "conversation"], name="membership_user_conv")]

    def __str__(self):
        return f"{self.user} — {self.conversation}"


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(conversation__in=Conversation.objects.visible_to(user).values("pk"))


class Message(models.Model):
    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("conversation")
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sent_messages",
        verbose_name=_("sender"),
    )
    body = models.TextField(_("message"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    client_token = models.UUIDField(_("client token"), help_text=_("Makes a retried send idempotent."))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    #: For a message addressed to a duty role: the role, as resolved at send time.
    duty_role = models.CharField(_("duty role"), max_length=100, blank=True)
    duty_role_label = models.CharField(_("addressed to"), max_length=255, blank=True)
    reached = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people the duty role reached")
    )
    mentioned = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people mentioned")
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    #: 1, 2, 3… within its conversation, in commit order: the conversation's row is locked from
    #: the number's allocation to the commit. A socket knows from it that it missed one (a gap)
    #: whatever the global ids say (see messaging.consumers, "delivery repair").
    seq = models.PositiveBigIntegerField(editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_token"], name="message_unique_client_token_per_sender"),
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq_per_conversation"),
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_conversation_id"),
            models.Index(
                fields=["created_at"],
                condition=Q(priority="urgent", escalated_at__isnull=True),
                name="message_urgent_open",
            ),
        ]

    def __str__(self):
        return f"{self.sender} {stamp(self.created_at, ZoneInfo(self.conversation.time_zone))}"

    def save(self, *args, **kwargs):
        if self.seq is None:
            self.seq = self.conversation.allocate_seqs(1).start
        super().save(*args, **kwargs)

    @property
    def is_urgent(self) -> bool:
        return self.priority == self.Priority.URGENT

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def access_log_site_id(self):
        return self.conversation.site_id


class Acknowledgement(models.Model):
    """Someone confirmed they saw an urgent message."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="acknowledgements", verbose_name=_("message")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("acknowledged by")
    )
    at = models.DateTimeField(_("acknowledged"), auto_now_add=True)

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="acknowledgement_once_per_user")]

    def __str__(self):
        return f"{self.user} — message {self.message_id}"


def attachment_upload_to(instance, filename):
    # Random name, sharded: nothing of the sent name reaches the storage.
    key = uuid.uuid4().hex
    return f"messaging/{key[:2]}/{key}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Files of the messages ``user`` may read (a deleted message's files are gone)."""
        return self.filter(
            message__conversation__in=Conversation.objects.visible_to(user).values("pk"),
            message__deleted_at__isnull=True,
        )


class Attachment(models.Model):
    """A file sent with a message, checked by the documents app's rules before it was stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    original_name = models.CharField(_("name as sent"), max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=255)
    size = models.BigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    kind = models.CharField(_("detected type"), max_length=10)
    content_type = models.CharField(_("content type"), max_length=120)
    scanned = models.BooleanField(_("checked for viruses"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.name

    @property
    def access_log_site_id(self):
        return self.message.conversation.site_id

    @property
    def access_log_subject_id(self):
        return self.message.conversation.access_log_subject_id
