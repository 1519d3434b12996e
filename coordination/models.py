"""Residents and their care notes (transmissions ciblées), targets, handover acknowledgements."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from carehub import policy, textsearch
from carehub.times import stamp
from directory.photos import PhotoField

from .shifts import Shift, ShiftHours, ShiftSlot, default_starts


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Residents whose file the user may read: staff of their site, group admins.

        Families reach residents only through the family portal's own queries.
        """
        return policy.restrict(self, user, policy.Scope.CARE, "site")

    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "site")

    def current(self):
        return self.filter(status=Resident.Status.PRESENT)

    def in_care(self):
        """Residents the team still looks after (present or away in hospital)."""
        return self.exclude(status__in=Resident.ARCHIVED_STATUSES)

    def archived(self):
        return self.filter(status__in=Resident.ARCHIVED_STATUSES)


class Resident(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        HOSPITALISED = "hospitalised", _("In hospital")
        DISCHARGED = "discharged", _("Discharged")
        DECEASED = "deceased", _("Deceased")

    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        UNDETERMINED = "I", _("Undetermined")

    class IdentityStatus(models.TextChoices):
        """The four statuses of an identity under the RNIV."""

        PROVISIONAL = "provisional", _("Provisional identity")
        RETRIEVED = "retrieved", _("Retrieved identity")
        VALIDATED = "validated", _("Validated identity")
        QUALIFIED = "qualified", _("Qualified identity")

    #: Archived residents: read-only record, searchable by those allowed.
    ARCHIVED_STATUSES = frozenset({Status.DISCHARGED, Status.DECEASED})

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "directory.Site", on_delete=models.PROTECT, related_name="residents", verbose_name=_("site")
    )
    unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("unit"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    room = models.CharField(_("room"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PRESENT)
    admission_date = models.DateField(_("admission date"), null=True, blank=True)
    discharge_date = models.DateField(_("discharge date"), null=True, blank=True)
    external_id = models.CharField(_("admission software id"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    referents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="referent_for", verbose_name=_("referent staff")
    )
    gir = models.PositiveSmallIntegerField(
        _("GIR"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text=_("Dependency level, from 1 (most dependent) to 6."),
    )
    photo = PhotoField(_("photo"), upload_to="resident-photos/", blank=True)
    preferred_name = models.CharField(
        _("preferred name"), max_length=100, blank=True, help_text=_("How the resident likes to be called.")
    )
    # Identity traits of the national identity-vigilance rules (RNIV). ``last_name`` and
    # ``first_name`` above are the *used* name and forename (nom et prénom utilisés).
    birth_name = models.CharField(_("birth name"), max_length=100, blank=True)
    birth_first_forename = models.CharField(_("first birth forename"), max_length=100, blank=True)
    birth_forenames = models.CharField(
        _("birth forenames"), max_length=255, blank=True, help_text=_("Every birth forename, in order.")
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_place_code = models.CharField(
        _("birth place code"), max_length=5, blank=True, help_text=_("INSEE code of the commune or country.")
    )
    ins_matricule = models.CharField(_("INS matricule"), max_length=15, blank=True, db_index=True)
    ins_oid = models.CharField(_("INS OID"), max_length=64, blank=True)
    identity_status = models.CharField(
        _("identity status"), max_length=12, choices=IdentityStatus.choices, default=IdentityStatus.PROVISIONAL
    )
    possible_duplicate = models.BooleanField(
        _("possible duplicate to check"),
        default=False,
        help_text=_(
            "Set when another resident of the group has the same identity traits; "
            "the identity-vigilance referent clears it once checked."
        ),
    )

    #: The words a resident is found by (names and room), normalised: see SEARCH_SOURCE_FIELDS.
    search_text = models.CharField(max_length=400, blank=True, default="", editable=False)

    objects = ResidentQuerySet.as_manager()

    #: What ``search_text`` is made of; saving any of them saves it too.
    SEARCH_SOURCE_FIELDS = ("first_name", "last_name", "preferred_name", "room")

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["site", "status"], name="resident_site_status"),
            models.Index(fields=["unit", "status"], name="resident_unit_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(gir__isnull=True) | Q(gir__gte=1, gir__lte=6), name="resident_gir_between_1_and_6"
            ),
        ]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name}"

    def save(self, *args, update_fields=None, **kwargs):
        # Derived data, kept with its sources however the resident is saved (form, admin, import).
        self.search_text = self.build_search_text()
        if update_fields is not None and set(update_fields) & set(self.SEARCH_SOURCE_FIELDS):
            update_fields = {*update_fields, "search_text"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def build_search_text(self) -> str:
        return textsearch.padded(" ".join(getattr(self, f) or "" for f in self.SEARCH_SOURCE_FIELDS))

    def clean(self):
        if self.unit_id and self.site_id and self.unit.site_id != self.site_id:
            raise ValidationError({"unit": _("This unit belongs to another site.")})
        if self.status in self.ARCHIVED_STATUSES and not self.discharge_date:
            raise ValidationError({"discharge_date": _("Give the date of discharge or death.")})
        from .identity import check  # the rules of the RNIV, which read the choices of this model

        check(self)

    @property
    def is_archived(self) -> bool:
        return self.status in self.ARCHIVED_STATUSES

    @property
    def shown_identity(self):
        """The identity traits as pages and prints show them (coordination.identity)."""
        from .identity import shown_identity

        return shown_identity(self)

    @property
    def access_log_subject_id(self):
        return self.public_id


def _default_morning():
    return default_starts()[0]


def _default_afternoon():
    return default_starts()[1]


def _default_night():
    return default_starts()[2]


def _default_escalation_delay():
    return settings.COORDINATION_ESCALATION_DELAY_MINUTES


def _default_correction_window():
    return settings.COORDINATION_CORRECTION_WINDOW_MINUTES


class SiteCareSettings(models.Model):
    """How a site organises its care day. A site without a row uses the defaults of settings."""

    site = models.OneToOneField(
        "directory.Site", on_delete=models.CASCADE, related_name="care_settings", verbose_name=_("site")
    )
    morning_start = models.TimeField(_("morning shift starts"), default=_default_morning)
    afternoon_start = models.TimeField(_("afternoon shift starts"), default=_default_afternoon)
    night_start = models.TimeField(_("night shift starts"), default=_default_night)
    escalation_delay_minutes = models.PositiveSmallIntegerField(
        _("escalation delay (minutes)"),
        default=_default_escalation_delay,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("An urgent note nobody acknowledged after this delay is escalated to nurses and coordinators."),
    )
    correction_window_minutes = models.PositiveSmallIntegerField(
        _("correction window (minutes)"),
        default=_default_correction_window,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("The author may correct a note during this time; afterwards only an amendment is possible."),
    )

    class Meta:
        verbose_name = _("care settings of a site")
        verbose_name_plural = _("care settings of the sites")
        constraints = [
            models.CheckConstraint(
                condition=Q(morning_start__lt=models.F("afternoon_start"))
                & Q(afternoon_start__lt=models.F("night_start")),
                name="sitecaresettings_shifts_in_order",
            ),
        ]

    def __str__(self):
        return str(self.site)

    def clean(self):
        if not (self.morning_start < self.afternoon_start < self.night_start):
            raise ValidationError(
                _("Shifts must start in this order within the day: morning, then afternoon, then night.")
            )

    @classmethod
    def for_site(cls, site) -> SiteCareSettings:
        """The site's settings, or unsaved defaults (nothing is written on read)."""
        try:
            return site.care_settings
        except cls.DoesNotExist:
            return cls(site=site)

    @property
    def hours(self) -> ShiftHours:
        return ShiftHours(self.morning_start, self.afternoon_start, self.night_start, zone=self.site.zone)

    @property
    def escalation_delay(self) -> timedelta:
        return timedelta(minutes=self.escalation_delay_minutes)

    @property
    def correction_window(self) -> timedelta:
        return timedelta(minutes=self.correction_window_minutes)


class TargetQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def visible_to(self, user):
        # The list of targets is the same for the whole group; only staff use it.
        return self if policy.is_active_staff(user) else self.none()


class Target(models.Model):
    """A target (cible) from the group's controlled list: pain, fall, nutrition…"""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_fr = models.CharField(_("name in French"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["sort_order", "name_fr"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return self.name_en if (get_language() or "fr").startswith("en") else self.name_fr


class ResidentAlert(models.Model):
    """A key alert shown as a banner on the resident's file (allergy, fall risk…)."""

    class Kind(models.TextChoices):
        ALLERGY = "allergy", _("Allergy")
        FALL_RISK = "fall_risk", _("Fall risk")
        SWALLOWING = "swallowing", _("Swallowing disorder")
        WANDERING = "wandering", _("Wandering risk")
        PRESSURE_ULCER = "pressure_ulcer", _("Pressure ulcer risk")
        DIABETES = "diabetes", _("Diabetes")
        ANTICOAGULANT = "anticoagulant", _("Anticoagulant treatment")
        DNR = "end_of_life", _("End-of-life wishes")
        OTHER = "other", _("Other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("resident"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("key alert")
        verbose_name_plural = _("key alerts")
        ordering = ["kind", "created_at"]
        indexes = [models.Index(fields=["resident", "is_active"], name="alert_resident_active")]

    def __str__(self):
        if not self.detail:
            return str(self.get_kind_display())
        return gettext("%(kind)s: %(detail)s") % {"kind": self.get_kind_display(), "detail": self.detail}

    @property
    def access_log_site_id(self):
        return self.resident.site_id


def normalise_for_search(text: str) -> str:
    """Lower case without accents: what both the index and the query are built from."""
    return textsearch.fold(text)


class CareNoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Notes of the residents the user may read (staff of the resident's site, group admins)."""
        return policy.restrict(self, user, policy.Scope.CARE, "site")

    def family_visible(self):
        """Notes the team chose to share with the family, retracted ones excluded.

        The family portal builds its feed on this; it still has to restrict to the
        residents a family user is linked to.
        """
        return self.filter(is_family_visible=True, retracted_at__isnull=True)

    def not_retracted(self):
        return self.filter(retracted_at__isnull=True)

    def open_targets(self):
        return self.filter(is_open_target=True, target_closed_at__isnull=True, retracted_at__isnull=True)

    def urgent_unacknowledged(self):
        """Urgent notes nobody of the team acknowledged yet, escalated or not: the handover lists them."""
        return self.filter(priority=CareNote.Priority.URGENT, acknowledged_at__isnull=True, retracted_at__isnull=True)

    def urgent_pending(self):
        """Urgent notes nobody acknowledged and not escalated yet."""
        return self.filter(
            priority=CareNote.Priority.URGENT,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            retracted_at__isnull=True,
        )


class CareNote(models.Model):
    """A targeted care note (transmission ciblée) in the DAR form. A medico-legal record:
    corrected only by its author within the site's correction window (each correction
    keeps the previous text in a revision), amended afterwards, retracted (never deleted)
    by a coordinator."""

    class Priority(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        IMPORTANT = "important", _("Important")
        URGENT = "urgent", _("Urgent")

    #: Sort key: urgent first.
    PRIORITY_RANK = {Priority.URGENT: 0, Priority.IMPORTANT: 1, Priority.ROUTINE: 2}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="notes", verbose_name=_("resident"))
    # The resident's site, kept on the note so that the access policy and the
    # search filter on one column (updated when a resident moves to another site).
    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit when written"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_notes", verbose_name=_("author")
    )
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="notes", verbose_name=_("target"))
    target_detail = models.CharField(
        _("target detail"), max_length=150, blank=True, help_text=_("For example: left hip.")
    )
    data = models.TextField(_("data"), help_text=_("What was observed."))
    action = models.TextField(_("action"), blank=True, help_text=_("What was done."))
    result = models.TextField(_("result"), blank=True, help_text=_("The outcome, if already known."))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    shift = models.CharField(_("shift"), max_length=10, choices=Shift.choices)
    shift_date = models.DateField(_("shift date"), help_text=_("Local date on which the shift started."))
    is_family_visible = models.BooleanField(_("visible to the family"), default=False)
    is_open_target = models.BooleanField(
        _("target left open"), default=False, help_text=_("Under watch until a colleague closes it with a result.")
    )
    target_closed_at = models.DateTimeField(_("target closed"), null=True, blank=True)
    target_closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("target closed by"),
    )
    amends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
        verbose_name=_("amends the note"),
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    corrected_at = models.DateTimeField(_("last corrected"), null=True, blank=True)
    retracted_at = models.DateTimeField(_("retracted"), null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retracted by"),
    )
    retraction_reason = models.TextField(_("reason for retraction"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    client_token = models.UUIDField(_("submission token"), null=True, blank=True, editable=False)
    search_text = models.TextField(editable=False, blank=True)
    # PostgreSQL only: kept equal to to_tsvector('french', search_text) by a trigger
    # (migration 0005), so that searching never recomputes it row by row. NULL elsewhere.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = CareNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("care note")
        verbose_name_plural = _("care notes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["resident", "-created_at"], name="carenote_resident_created"),
            models.Index(fields=["site", "-created_at"], name="carenote_site_created"),
            models.Index(fields=["author", "-created_at"], name="carenote_author_created"),
            models.Index(
                fields=["resident"],
                condition=Q(is_open_target=True, target_closed_at__isnull=True),
                name="carenote_open_targets",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(priority="urgent", acknowledged_at__isnull=True, escalated_at__isnull=True),
                name="carenote_urgent_pending",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_token"],
                condition=Q(client_token__isnull=False),
                name="carenote_unique_client_token_per_author",
            ),
            models.CheckConstraint(
                condition=Q(retracted_at__isnull=True) | ~Q(retraction_reason=""),
                name="carenote_retraction_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.target} — {self.resident} ({stamp(self.created_at, self.site.zone)})"

    @property
    def access_log_subject_id(self):
        return self.resident.public_id

    @property
    def slot(self) -> ShiftSlot:
        return ShiftSlot(self.shift_date, self.shift)

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None

    @property
    def is_urgent(self) -> bool:
        return self.priority == self.Priority.URGENT

    @property
    def target_is_open(self) -> bool:
        return self.is_open_target and self.target_closed_at is None and self.retracted_at is None

    @property
    def priority_rank(self) -> int:
        return self.PRIORITY_RANK.get(self.priority, 2)

    @property
    def target_label(self) -> str:
        label = self.target.label
        return f"{label} — {self.target_detail}" if self.target_detail else label

    def build_search_text(self, followup_texts: list[str] | None = None) -> str:
        parts = [self.target.name_fr, self.target.name_en, self.target_detail, self.data, self.action, self.result]
        parts += followup_texts or []
        return normalise_for_search(" ".join(p for p in parts if p))


class CareNoteRevision(models.Model):
    """The text of a note before one of its author's corrections: the history stays visible."""

    note = models.ForeignKey(CareNote, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("note"))
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="+", verbose_name=_("target"))
    target_detail = models.CharField(_("target detail"), max_length=150, blank=True)
    data = models.TextField(_("data"))
    action = models.TextField(_("action"), blank=True)
    result = models.TextField(_("result"), blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=CareNote.Priority.choices)
    is_family_visible = models.BooleanField(_("visible to the family"))
    is_open_target = models.BooleanField(_("target left open"))
    replaced_at = models.DateTimeField(_("replaced"), default=timezone.now)

    class Meta:
        verbose_name = _("earlier version of a note")
        verbose_name_plural = _("earlier versions of notes")
        ordering = ["note", "replaced_at", "id"]

    def __str__(self):
        return f"{self.note_id} @ {stamp(self.replaced_at)}"


class CareNoteFollowUp(models.Model):
    """A result added later to a note, by anyone on the care team, with its own author and time."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    note = models.ForeignKey(CareNote, on_delete=models.PROTECT, related_name="followups", verbose_name=_("note"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    result = models.TextField(_("result"))
    closes_target = models.BooleanField(_("closes the target"), default=False)

    class Meta:
        verbose_name = _("result added later")
        verbose_name_plural = _("results added later")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.note_id}: {self.result[:40]}"


class NoteReading(models.Model):
    """A staff member had this note on screen (or marked it read): one row per note and person.

    Set when the note is displayed expanded in the reader's viewport (the browser reports
    it) or explicitly marked, never by opening a page: nothing records that someone saw
    what was never on their screen.
    """

    class How(models.TextChoices):
        DISPLAYED = "displayed", _("displayed on screen")
        MARKED = "marked", _("marked as read")
        ACKNOWLEDGED = "acknowledged", _("acknowledged with the handover")

    note = models.ForeignKey("CareNote", on_delete=models.CASCADE, related_name="readings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)
    how = models.CharField(max_length=15, choices=How.choices, default=How.DISPLAYED)

    class Meta:
        verbose_name = _("note read")
        verbose_name_plural = _("notes read")
        constraints = [models.UniqueConstraint(fields=["note", "user"], name="notereading_once_per_note_and_user")]
        indexes = [models.Index(fields=["user", "note"], name="notereading_user_note")]

    def __str__(self):
        return f"{self.user_id} read {self.note_id}"


class HandoverAcknowledgementQuerySet(models.QuerySet):
    def visible_to(self, user):
        return policy.restrict(self, user, policy.Scope.CARE, "site")


class HandoverAcknowledgement(models.Model):
    """Who took the handover of which unit, for which shift (the shift starting)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    unit = models.ForeignKey("directory.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    shift = models.CharField(_("shift"), max_length=10, choices=Shift.choices)
    shift_date = models.DateField(_("shift date"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("taken by")
    )
    acknowledged_at = models.DateTimeField(_("taken at"), default=timezone.now)
    #: The notes of the handover the person had read (on screen or marked) when taking it.
    notes_seen = models.ManyToManyField(
        "CareNote", blank=True, related_name="+", verbose_name=_("notes read when taking the handover")
    )
    #: The urgent notes listed, with their text, on the take-over form and acknowledged with it.
    urgent_acknowledged = models.ManyToManyField(
        "CareNote", blank=True, related_name="+", verbose_name=_("urgent notes acknowledged")
    )

    objects = HandoverAcknowledgementQuerySet.as_manager()

    class Meta:
        verbose_name = _("handover taken")
        verbose_name_plural = _("handovers taken")
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "shift_date", "shift", "user"], name="handoverack_unique_per_unit_shift_user"
            )
        ]
        indexes = [models.Index(fields=["unit", "shift_date", "shift"], name="handoverack_unit_shift")]

    def __str__(self):
        return f"{self.unit} {self.shift_date} {self.shift}: {self.user}"


class WritingAidQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, target__is_active=True)

    def for_site(self, site_id: int | None):
        """The group's aids and those of the site: what the note form of that site offers."""
        return self.active().filter(models.Q(site__isnull=True) | models.Q(site_id=site_id))

    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "site")


class NoteTemplate(models.Model):
    """A ready-made note for a target ("Chute sans gravité"): one tap fills Data, Action and Result."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="templates", verbose_name=_("target"))
    site = models.ForeignKey(
        "directory.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
        help_text=_("Empty: offered at every site of the group."),
    )
    label = models.CharField(_("label"), max_length=60)
    data = models.TextField(_("data"))
    action = models.TextField(_("action"), blank=True)
    result = models.TextField(_("result"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = WritingAidQuerySet.as_manager()

    class Meta:
        verbose_name = _("note template")
        verbose_name_plural = _("note templates")
        ordering = ["target__sort_order", "sort_order", "label"]

    def __str__(self):
        return f"{self.target} — {self.label}"


class NotePhrase(models.Model):
    """A phrase for one part of a note ("Relevée à deux", "IDE prévenue"), inserted with one tap.

    Checklist items are phrases too: tapping one again takes it out of the text.
    """

    class Part(models.TextChoices):
        DATA = "data", _("Data")
        ACTION = "action", _("Action")
        RESULT = "result", _("Result")

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="phrases", verbose_name=_("target"))
    site = models.ForeignKey(
        "directory.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
        help_text=_("Empty: offered at every site of the group."),
    )
    part = models.CharField(_("part of the note"), max_length=10, choices=Part.choices)
    text = models.CharField(_("text"), max_length=200)
    is_check = models.BooleanField(
        _("checklist item"), default=False, help_text=_("Shown as a box to tick; ticking again removes it.")
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = WritingAidQuerySet.as_manager()

    class Meta:
        verbose_name = _("note phrase")
        verbose_name_plural = _("note phrases")
        ordering = ["target__sort_order", "part", "sort_order", "text"]

    def __str__(self):
        return self.text
