"""The organisation of the group: sites, units, staff profiles and assignments."""

import secrets
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from carehub import policy
from carehub.tokens import hash_token as calendar_token_hash

from .photos import PhotoField


def validate_time_zone(value: str) -> None:
    # A validator, not choices: the list of zones depends on the machine's tzdata
    # and must not end up in migrations.
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value}) from exc


class SiteQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Sites a user may see listed (directory, site pages)."""
        return policy.restrict(self.filter(is_active=True), user, policy.Scope.DIRECTORY, "pk")

    def in_care_scope_of(self, user):
        """Sites whose residents' data the user may read."""
        return policy.restrict(self, user, policy.Scope.CARE, "pk")

    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "pk")


class Site(models.Model):
    class Kind(models.TextChoices):
        EHPAD = "ehpad", _("Nursing home (EHPAD)")
        RESIDENCE = "residence", _("Independent living residence")
        SSIAD = "ssiad", _("Home nursing service (SSIAD)")
        FAM = "fam", _("Medicalised home for adults with disabilities (FAM)")
        MAS = "mas", _("Specialised care home (MAS)")
        DAY_CENTRE = "day_centre", _("Day centre")
        HEAD_OFFICE = "head_office", _("Head office")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=150, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EHPAD)
    address = models.CharField(_("address"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("main phone"), max_length=30, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Paris",
        validators=[validate_time_zone],
        help_text=_("IANA name, e.g. Europe/Paris, America/Cayenne, Indian/Reunion."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    lock_with_pin = models.BooleanField(
        _("lock shared tablets with a PIN"),
        default=False,
        help_text=_(
            "After the idle time, the screens of this site's staff lock instead of signing out: "
            "a personal PIN of at least 6 digits opens them again. "
            "The full sign-in is still asked at the end of the day and after 5 wrong PINs."
        ),
    )

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def access_log_site_id(self) -> int:
        """Reads of a site's pages are filed under that site in the access log."""
        return self.pk


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        return policy.restrict(self.filter(site__is_active=True), user, policy.Scope.DIRECTORY, "site")

    def in_care_scope_of(self, user):
        return policy.restrict(self, user, policy.Scope.CARE, "site")

    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "site")


class Unit(models.Model):
    """A wing, floor or sector of a site ("unité", "secteur", "étage")."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="units", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=100)
    is_secure = models.BooleanField(
        _("secure unit"), default=False, help_text=_("Protected unit (UVP) for residents with dementia.")
    )
    nurse_station_phone = models.CharField(_("nurse station phone"), max_length=30, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["site__name", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="unit_unique_name_per_site")]

    def __str__(self):
        return f"{self.site.name} — {self.name}"


class Job(models.TextChoices):
    CARE_ASSISTANT = "care_assistant", _("Care assistant (AS)")
    NURSE = "nurse", _("Nurse (IDE)")
    NURSE_COORDINATOR = "nurse_coordinator", _("Nurse coordinator (IDEC)")
    COORDINATING_DOCTOR = "coordinating_doctor", _("Coordinating doctor")
    DOCTOR = "doctor", _("Doctor")
    SITE_DIRECTOR = "site_director", _("Site director")
    HOUSEKEEPING = "housekeeping", _("Care support staff (ASH)")
    SUPPORT_WORKER = "support_worker", _("Social support worker (AES/AMP)")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    OCCUPATIONAL_THERAPIST = "occupational_therapist", _("Occupational therapist")
    ACTIVITY_LEAD = "activity_lead", _("Activity lead")
    DIETITIAN = "dietitian", _("Dietitian")
    SECRETARY = "secretary", _("Administrative staff")
    HEAD_OFFICE = "head_office", _("Head office staff")


#: Jobs whose holders write and maintain clinical information (alerts, targets).
NURSING_JOBS = frozenset({Job.NURSE, Job.NURSE_COORDINATOR, Job.COORDINATING_DOCTOR, Job.DOCTOR})


class StaffProfileQuerySet(models.QuerySet):
    def in_directory(self):
        """Profiles listed in the directory: active staff accounts working somewhere today.

        Head-office staff appear once assigned to the head-office site (Site.Kind.HEAD_OFFICE):
        a listing needs a place to show and a site's colleagues to rank by.
        """
        # A plain EXISTS (no OR around it) lets PostgreSQL turn it into a semi-join:
        # index probes for a few matches, one hash for many.
        working = Assignment.objects.in_force().filter(user_id=models.OuterRef("user_id"))
        return self.filter(models.Exists(working), user__is_active=True, user__kind=get_user_model().Kind.STAFF)

    def visible_to(self, user):
        """The directory as ``user`` may see it (the DIRECTORY scope of the policy)."""
        allowed = policy.site_ids(user, policy.Scope.DIRECTORY)
        listed = self.in_directory()
        if allowed is policy.ALL_SITES:
            return listed
        if not allowed:
            return listed.none()
        # Should the policy ever narrow the directory, keep the people working there.
        return listed.filter(user_id__in=Assignment.objects.in_force().filter(site_id__in=allowed).values("user_id"))


class StaffProfile(models.Model):
    class MobileVisibility(models.TextChoices):
        SITE = "site", _("Colleagues of my sites")
        GROUP = "group", _("Everyone in the group")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    job = models.CharField(_("job"), max_length=40, choices=Job.choices, default=Job.CARE_ASSISTANT)
    phone_extension = models.CharField(_("phone extension"), max_length=20, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=30, blank=True)
    mobile_visibility = models.CharField(
        _("who sees my mobile"), max_length=10, choices=MobileVisibility.choices, default=MobileVisibility.SITE
    )
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    photo = PhotoField(_("photo"), upload_to="staff-photos/", blank=True)
    external_id = models.CharField(_("HR identifier"), max_length=64, blank=True, db_index=True)
    # Derived search columns (directory/search.py), lower-case and without accents,
    # space-padded so that " word" finds a word start. Kept up to date by
    # directory/signals.py and the nightly refresh; never edited by hand.
    search_name = models.CharField(max_length=300, blank=True, default="", editable=False)
    search_document = models.TextField(blank=True, default="", editable=False)

    objects = StaffProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return str(self.user)


class AssignmentQuerySet(models.QuerySet):
    def active(self, on=None):
        """Assignments in force on a date (today by default, in the group's time zone)."""
        day = on or timezone.localdate()
        return self.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gte=day),
            user__is_active=True,
            site__is_active=True,
        )

    def not_ended(self, on=None):
        """Assignments in force on a date or still to come: the rights an account holds or will hold."""
        day = on or timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day))

    def in_force(self, on=None):
        """``active()`` without the check of the user's account, for subqueries whose outer
        query checks it already (saves a join over every user of the group)."""
        day = on or timezone.localdate()
        return self.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gte=day),
            site__is_active=True,
        )

    def visible_to(self, user):
        return policy.restrict(self, user, policy.Scope.DIRECTORY, "site")

    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "site")


class Assignment(models.Model):
    """A staff member working at a site, optionally in one unit, for a period.

    Temporary and agency staff get an end date and lose access on their own
    when it passes; a visiting professional gets a few days at one site.
    """

    class Role(models.TextChoices):
        STAFF = "staff", _("Care staff")
        COORDINATOR = "coordinator", _("Coordinator")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("staff member"),
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("site"))
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("unit"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    is_primary = models.BooleanField(_("primary assignment"), default=False)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-is_primary", "site__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_primary=True), name="assignment_one_primary_per_user"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="assignment_end_after_start",
            ),
        ]

    def __str__(self):
        where = self.unit.name if self.unit_id else self.site.name
        return f"{self.user} @ {where}"

    def clean(self):
        if self.unit_id and self.site_id and self.unit.site_id != self.site_id:
            raise ValidationError({"unit": _("This unit belongs to another site.")})
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date must not be before the start date.")})

    @cached_property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return (self.start_date is None or self.start_date <= today) and (
            self.end_date is None or self.end_date >= today
        )


class OnCallShiftQuerySet(models.QuerySet):
    def visible_to(self, user):
        return policy.restrict(self.filter(site__is_active=True), user, policy.Scope.DIRECTORY, "site")

    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "site")


class OnCallShift(models.Model):
    """Who is on call ("d'astreinte") for a site on a given day, filled in by its coordinators.

    The day is the site's local calendar day (sites may be overseas).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="on_call_shifts", verbose_name=_("site"))
    date = models.DateField(_("date"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="on_call_shifts",
        verbose_name=_("staff member on call"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="on_call_shifts",
        verbose_name=_("unit"),
        help_text=_("Leave empty when the person is on call for the whole site."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("For example: night, 8 pm to 8 am."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)
    # What calendar apps read to replace an event they hold (directory/ical.py): LAST-MODIFIED
    # and SEQUENCE, the number of changes since the entry was made.
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    sequence = models.PositiveIntegerField(default=0, editable=False)

    objects = OnCallShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("on-call shift")
        verbose_name_plural = _("on-call roster")
        ordering = ["date", "site__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["site", "date", "user"], name="oncall_one_entry_per_person_site_day"),
        ]
        indexes = [models.Index(fields=["site", "date"], name="oncall_site_date")]

    def __str__(self):
        return f"{date_format(self.date, 'SHORT_DATE_FORMAT')} — {self.site.name} — {self.user}"

    def clean(self):
        if self.unit_id and self.site_id and self.unit.site_id != self.site_id:
            raise ValidationError({"unit": _("This unit belongs to another site.")})
        if self.user_id and self.user.is_family:
            raise ValidationError({"user": _("Only staff members can be on call.")})


class CalendarFeedQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person's own feeds only: the secret links are nobody else's, not even a coordinator's."""
        if not policy.is_active_staff(user):
            return self.none()
        return self.filter(user=user)

    def by_token(self, token: str):
        return self.filter(token_hash=calendar_token_hash(token or ""))


class CalendarFeed(models.Model):
    """A person's subscription to an on-call calendar: a site's roster, or their own shifts (no site).

    The address of the feed holds a secret token; only its SHA-256 is stored, so the address is
    shown once, when the feed is made or renewed. Renewing replaces the hash: the former address
    stops working at once. Rights are those of the person at each fetch (selectors.calendar_entries).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds", verbose_name=_("user")
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
        help_text=_("Empty: the person's own on-call shifts."),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    #: The events' wording: the language the person used when making or renewing the link.
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    renewed_at = models.DateTimeField(_("last renewed"), null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("on-call calendar feed")
        verbose_name_plural = _("on-call calendar feeds")
        # No join in the default order: the feed's row is locked when renewed (PostgreSQL locks no
        # nullable side of an outer join).
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="calendarfeed_one_per_user_site"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(site__isnull=True), name="calendarfeed_one_own_shifts_per_user"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.site.name if self.site_id else _('own on-call shifts')}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
