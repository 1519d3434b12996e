"""Writes of the coordination app: residents, alerts, care notes, handover.

Each function is one transaction; the audit trail (django-auditlog) records the
row changes inside it, and side effects (Celery) are queued on commit.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carehub import policy
from directory.models import NURSING_JOBS, StaffProfile
from directory.selectors import site_managers, unit_nurses
from outbox import services as outbox

from . import identity, selectors
from .models import (
    CareNote,
    CareNoteFollowUp,
    CareNoteRevision,
    HandoverAcknowledgement,
    NoteReading,
    Resident,
    ResidentAlert,
    SiteCareSettings,
    Target,
)
from .shifts import shift_at

logger = logging.getLogger(__name__)


# --- permissions (rules that views and services share) -----------------------------------


def can_write_notes(user, resident: Resident) -> bool:
    return policy.is_active_staff(user) and policy.can(user, policy.Scope.CARE, resident.site_id)


def can_manage(user, site_id: int) -> bool:
    """Coordinators of the site and group admins."""
    return policy.can(user, policy.Scope.MANAGE, site_id)


def is_nursing_staff(user) -> bool:
    job = StaffProfile.objects.filter(user=user).values_list("job", flat=True).first()
    return job in NURSING_JOBS


def can_maintain_alerts(user, resident: Resident) -> bool:
    """Coordinators and nurses (and doctors) of the resident's site keep the key alerts."""
    if can_manage(user, resident.site_id):
        return True
    return can_write_notes(user, resident) and is_nursing_staff(user)


def can_correct(user, note: CareNote, *, now: datetime | None = None) -> bool:
    if note.author_id != user.pk or note.is_retracted or note.resident.is_archived:
        return False
    window = SiteCareSettings.for_site(note.site).correction_window
    return (now or timezone.now()) < note.created_at + window


def _ensure_writable(resident: Resident) -> None:
    if resident.is_archived:
        raise ValidationError(
            _("This resident's file is archived (discharge or death): it can be read but no longer changed.")
        )


def _ensure_note_writer(user, resident: Resident) -> None:
    if not can_write_notes(user, resident):
        raise PermissionDenied


# --- checks: each write's rules, also asked by the pages before they show a form ------------------
# PermissionDenied when the person may not do it at all; ValidationError (with the reason to
# show) when the record's state forbids it.


def note_create_check(*, user, resident: Resident) -> None:
    _ensure_note_writer(user, resident)
    _ensure_writable(resident)


def note_correct_check(*, user, note: CareNote, now: datetime | None = None) -> None:
    if not can_correct(user, note, now=now):
        raise ValidationError(
            _(
                "This note can no longer be corrected: only its author may, within %(minutes)d minutes. "
                "Write an amendment instead."
            )
            % {"minutes": SiteCareSettings.for_site(note.site).correction_window_minutes}
        )


def note_amend_check(*, user, note: CareNote) -> None:
    note_create_check(user=user, resident=note.resident)
    if note.is_retracted:
        raise ValidationError(_("A retracted note cannot be amended."))


def note_followup_check(*, user, note: CareNote) -> None:
    note_create_check(user=user, resident=note.resident)
    if note.is_retracted:
        raise ValidationError(_("This note was retracted: nothing can be added to it."))


def note_retract_check(*, user, note: CareNote) -> None:
    if not can_manage(user, note.site_id):
        raise PermissionDenied
    if note.is_retracted:
        raise ValidationError(_("This note is already retracted."))


def resident_manage_check(*, user, resident: Resident) -> None:
    """Transfers and discharges: coordinators of the resident's site, on a file still open."""
    if not can_manage(user, resident.site_id):
        raise PermissionDenied
    _ensure_writable(resident)


def resident_alerts_check(*, user, resident: Resident) -> None:
    if not can_maintain_alerts(user, resident):
        raise PermissionDenied
    _ensure_writable(resident)


# --- care notes ------------------------------------------------------------------------------


def _enqueue_escalation(note: CareNote, delay_seconds: int) -> None:
    from .tasks import escalate_urgent_note

    # Held in the outbox until due (from the note's time): a broker outage neither fails the note
    # nor loses its escalation.
    due = note.created_at + timedelta(seconds=delay_seconds)
    countdown = max(0, int((due - timezone.now()).total_seconds()))
    outbox.enqueue(escalate_urgent_note, [note.pk], key=f"coordination:escalation:{note.pk}", countdown=countdown)


@transaction.atomic
def care_note_create(
    *,
    author,
    resident: Resident,
    target: Target,
    data: str,
    action: str = "",
    result: str = "",
    target_detail: str = "",
    priority: str = CareNote.Priority.ROUTINE,
    is_family_visible: bool = False,
    is_open_target: bool = False,
    client_token: uuid.UUID | None = None,
    amends: CareNote | None = None,
    now: datetime | None = None,
) -> tuple[CareNote, bool]:
    """Write a note. Returns (note, created): a second post with the same client token
    (a double click, a resent form) returns the first note and creates nothing."""
    _ensure_note_writer(author, resident)
    if client_token is not None:
        existing = CareNote.objects.filter(author=author, client_token=client_token).first()
        if existing is not None:
            return existing, False
    resident = Resident.objects.select_for_update().select_related("site").get(pk=resident.pk)
    note_create_check(user=author, resident=resident)
    if not data.strip():
        raise ValidationError(_("Describe what you observed (Data)."))
    if not target.is_active:
        raise ValidationError(_("This target is no longer in use; choose another one."))
    if amends is not None and amends.resident_id != resident.pk:
        raise ValidationError(_("An amendment must concern the same resident as the original note."))
    moment = now or timezone.now()
    care_settings = SiteCareSettings.for_site(resident.site)
    slot = shift_at(moment, care_settings.hours)
    note = CareNote(
        resident=resident,
        site_id=resident.site_id,
        unit_id=resident.unit_id,
        author=author,
        target=target,
        target_detail=target_detail.strip(),
        data=data.strip(),
        action=action.strip(),
        result=result.strip(),
        priority=priority,
        shift=slot.shift,
        shift_date=slot.day,
        is_family_visible=is_family_visible,
        is_open_target=is_open_target,
        amends=amends,
        created_at=moment,
        client_token=client_token,
    )
    note.search_text = note.build_search_text()
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError:
        # Two identical posts raced past the check above: the other one won.
        existing = CareNote.objects.filter(author=author, client_token=client_token).first()
        if client_token is not None and existing is not None:
            return existing, False
        raise
    if note.is_urgent:
        _enqueue_escalation(note, int(care_settings.escalation_delay.total_seconds()))
    return note, True


@transaction.atomic
def care_note_correct(
    *,
    note: CareNote,
    user,
    target: Target,
    data: str,
    action: str = "",
    result: str = "",
    target_detail: str = "",
    priority: str,
    is_family_visible: bool,
    is_open_target: bool,
    now: datetime | None = None,
) -> CareNote:
    """The author corrects their note within the correction window; the previous text is kept."""
    note = CareNote.objects.select_for_update().select_related("site", "resident", "target").get(pk=note.pk)
    moment = now or timezone.now()
    note_correct_check(user=user, note=note, now=moment)
    if not data.strip():
        raise ValidationError(_("Describe what you observed (Data)."))
    CareNoteRevision.objects.create(
        note=note,
        target=note.target,
        target_detail=note.target_detail,
        data=note.data,
        action=note.action,
        result=note.result,
        priority=note.priority,
        is_family_visible=note.is_family_visible,
        is_open_target=note.is_open_target,
        replaced_at=moment,
    )
    became_urgent = priority == CareNote.Priority.URGENT and not note.is_urgent
    note.target = target
    note.target_detail = target_detail.strip()
    note.data, note.action, note.result = data.strip(), action.strip(), result.strip()
    note.priority = priority
    note.is_family_visible = is_family_visible
    note.is_open_target = is_open_target
    note.corrected_at = moment
    note.search_text = note.build_search_text(list(note.followups.values_list("result", flat=True)))
    note.save(
        update_fields=[
            "target",
            "target_detail",
            "data",
            "action",
            "result",
            "priority",
            "is_family_visible",
            "is_open_target",
            "corrected_at",
            "search_text",
        ]
    )
    if became_urgent:
        _enqueue_escalation(note, int(SiteCareSettings.for_site(note.site).escalation_delay.total_seconds()))
    return note


def care_note_amend(*, original: CareNote, author, **fields) -> tuple[CareNote, bool]:
    """An amendment: a new note linked to the original, which stays as it was."""
    note_amend_check(user=author, note=original)
    return care_note_create(author=author, resident=original.resident, amends=original, **fields)


@transaction.atomic
def care_note_add_followup(
    *, note: CareNote, author, result: str, close_target: bool = False, now: datetime | None = None
) -> CareNoteFollowUp:
    """Add a result later (anyone of the care team); optionally close the open target."""
    note = CareNote.objects.select_for_update().select_related("resident", "target").get(pk=note.pk)
    note_followup_check(user=author, note=note)
    if not result.strip():
        raise ValidationError(_("Write the result."))
    moment = now or timezone.now()
    closes = bool(close_target and note.target_is_open)
    followup = CareNoteFollowUp.objects.create(
        note=note, author=author, result=result.strip(), closes_target=closes, created_at=moment
    )
    note.search_text = note.build_search_text(list(note.followups.values_list("result", flat=True)))
    update_fields = ["search_text"]
    if closes:
        note.target_closed_at, note.target_closed_by = moment, author
        update_fields += ["target_closed_at", "target_closed_by"]
    note.save(update_fields=update_fields)
    return followup


@transaction.atomic
def care_note_retract(*, note: CareNote, user, reason: str, now: datetime | None = None) -> CareNote:
    """A coordinator withdraws a note written in error; it stays in the trail, marked, with the reason."""
    note = CareNote.objects.select_for_update().get(pk=note.pk)
    note_retract_check(user=user, note=note)
    reason = reason.strip()
    if len(reason) < 5:
        raise ValidationError(_("Give the reason for the retraction (at least 5 characters)."))
    note.retracted_at = now or timezone.now()
    note.retracted_by = user
    note.retraction_reason = reason
    note.save(update_fields=["retracted_at", "retracted_by", "retraction_reason"])
    return note


@transaction.atomic
def care_note_acknowledge(*, note: CareNote, user, now: datetime | None = None) -> bool:
    """Someone of the team has seen an urgent note: it will not be escalated. Idempotent."""
    note = CareNote.objects.select_for_update().select_related("resident").get(pk=note.pk)
    _ensure_note_writer(user, note.resident)
    if not note.is_urgent:
        raise ValidationError(_("Only urgent notes need an acknowledgement."))
    if note.author_id == user.pk:
        raise ValidationError(_("A colleague must acknowledge your urgent note; you wrote it."))
    if note.acknowledged_at is not None:
        return False
    note.acknowledged_at, note.acknowledged_by = now or timezone.now(), user
    note.save(update_fields=["acknowledged_at", "acknowledged_by"])
    notes_mark_read(user=user, notes=[note], how=NoteReading.How.ACKNOWLEDGED, now=note.acknowledged_at)
    return True


# --- read tracking --------------------------------------------------------------------------------


def notes_mark_read(*, user, notes, how: str = NoteReading.How.DISPLAYED, now: datetime | None = None) -> int:
    """Record that ``user`` had these notes on screen (or marked them read). Idempotent.

    The caller takes the notes from the policy's queryset (``selectors.note_queryset(user)``).
    Returns how many readings are new.
    """
    moment = now or timezone.now()
    notes = [n for n in notes if n.author_id != user.pk]
    if not notes:
        return 0
    already = set(NoteReading.objects.filter(user=user, note__in=notes).values_list("note_id", flat=True))
    fresh = [NoteReading(note=n, user=user, read_at=moment, how=how) for n in notes if n.pk not in already]
    NoteReading.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


# --- handover -------------------------------------------------------------------------------------


@transaction.atomic
def handover_take(*, user, unit, urgent_shown=(), now: datetime | None = None) -> tuple[HandoverAcknowledgement, bool]:
    """Record that the user took the handover of a unit for the shift now starting.

    Acknowledges exactly the urgent notes of ``urgent_shown``: those the take-over form
    listed with their text (a note written after the page was drawn is not among them
    and stays to acknowledge). Each acknowledgement is the same as a direct one (audited,
    stops the escalation). Records which notes of the handover the person had read.
    """
    if not (policy.is_active_staff(user) and policy.can(user, policy.Scope.CARE, unit.site_id)):
        raise PermissionDenied
    from .selectors import handover_window

    moment = now or timezone.now()
    care_settings = SiteCareSettings.for_site(unit.site)
    slot = shift_at(moment, care_settings.hours)
    ack, created = HandoverAcknowledgement.objects.get_or_create(
        unit=unit,
        shift=slot.shift,
        shift_date=slot.day,
        user=user,
        defaults={"site_id": unit.site_id, "acknowledged_at": moment},
    )
    since = handover_window(slot, care_settings)
    resident_ids = list(Resident.objects.in_care().filter(unit=unit).values_list("pk", flat=True))
    window = CareNote.objects.filter(resident_id__in=resident_ids, created_at__gte=since, created_at__lte=moment)
    shown_ids = [n.pk for n in urgent_shown]
    acknowledged = [
        note
        for note in window.urgent_unacknowledged().filter(pk__in=shown_ids).exclude(author=user).order_by("pk")
        if care_note_acknowledge(note=note, user=user, now=moment)
    ]
    if acknowledged:
        notes_mark_read(user=user, notes=acknowledged, how=NoteReading.How.ACKNOWLEDGED, now=moment)
        ack.urgent_acknowledged.add(*acknowledged)
    ack.notes_seen.add(*window.filter(readings__user=user))
    return ack, created


# --- escalation ------------------------------------------------------------------------------------


def escalation_recipients(note: CareNote) -> list:
    """The nurses of the resident's unit and the site's managers, today (not the author)."""
    people = unit_nurses(site_id=note.site_id, unit_id=note.resident.unit_id) + site_managers(site_id=note.site_id)
    return sorted({u.pk: u for u in people if u.pk != note.author_id}.values(), key=lambda u: u.pk)


def urgent_note_escalate(*, note_id: int, now: datetime | None = None) -> int:
    """Escalate one urgent note if it is due and still unacknowledged. Idempotent:
    the note is claimed by a conditional update, so concurrent runs notify once.
    Returns the number of people notified."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from notifications.models import Notification
    from notifications.services import notify

    moment = now or timezone.now()
    note = CareNote.objects.select_related("site", "resident__unit").filter(pk=note_id).first()
    if note is None or note.priority != CareNote.Priority.URGENT:
        return 0
    delay = SiteCareSettings.for_site(note.site).escalation_delay
    # A few seconds of tolerance: a countdown may fire a little early.
    if moment + timedelta(seconds=5) < note.created_at + delay:
        return 0
    with transaction.atomic():
        claimed = CareNote.objects.urgent_pending().filter(pk=note.pk).update(escalated_at=moment)
        if not claimed:
            return 0
        recipients = escalation_recipients(note)
        unit_name = note.resident.unit.name if note.resident.unit else note.site.name
        with translation.override(settings.LANGUAGE_CODE):
            # No health details, no name: only that something waits, where, and a link behind sign-in.
            title = _("An urgent care note in %(unit)s has not been acknowledged") % {"unit": unit_name}
            # The notifications app appends the link (behind sign-in) to the e-mail.
            body = _(
                "An urgent care note written in %(unit)s (%(site)s) has not been acknowledged by the team "
                "within %(minutes)d minutes. Sign in to CareHub to read it."
            ) % {"unit": unit_name, "site": note.site.name, "minutes": int(delay.total_seconds() // 60)}
            url = reverse("coordination:note_detail", kwargs={"public_id": note.public_id})
            notify(
                users=recipients,
                kind=Notification.Kind.URGENT_NOTE,
                title=title,
                url=url,
                email_subject=_("[CareHub] Urgent note not acknowledged"),
                email_body=body,
                dedup_key=f"urgent-note:{note.public_id}",
            )
    logger.info("escalated urgent note %s to %d people", note.pk, len(recipients))
    return len(recipients)


def urgent_notes_due(*, now: datetime | None = None, lookback_hours: int = 24) -> list[int]:
    """Ids of urgent notes that may be due for escalation (the sweep's safety net).

    The per-site delay is checked again by ``urgent_note_escalate``; notes older than
    the lookback are left alone (an outage must not flood people with old alerts).
    """
    moment = now or timezone.now()
    return list(
        CareNote.objects.urgent_pending()
        .filter(
            created_at__gte=moment - timedelta(hours=lookback_hours),
            created_at__lte=moment - timedelta(minutes=1),
        )
        .values_list("pk", flat=True)
    )


# --- residents and alerts ----------------------------------------------------------------------


@transaction.atomic
def resident_alert_add(*, resident: Resident, user, kind: str, detail: str = "") -> ResidentAlert:
    resident_alerts_check(user=user, resident=resident)
    if kind not in ResidentAlert.Kind.values:
        raise ValidationError(_("Choose a kind of alert from the list."))
    return ResidentAlert.objects.create(resident=resident, kind=kind, detail=detail.strip()[:200], created_by=user)


@transaction.atomic
def resident_alert_end(*, alert: ResidentAlert, user, now: datetime | None = None) -> ResidentAlert:
    """An alert no longer applies: it leaves the banner but stays in the trail."""
    alert = ResidentAlert.objects.select_for_update().select_related("resident").get(pk=alert.pk)
    resident_alerts_check(user=user, resident=alert.resident)
    if alert.is_active:
        alert.is_active, alert.ended_at, alert.ended_by = False, now or timezone.now(), user
        alert.save(update_fields=["is_active", "ended_at", "ended_by"])
    return alert


@transaction.atomic
def resident_transfer(*, resident: Resident, user, unit=None) -> Resident:
    """Move a resident to another unit, possibly of another site the coordinator manages
    (``unit`` None: no unit any more, on the same site)."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    resident_manage_check(user=user, resident=resident)
    site_id = unit.site_id if unit is not None else resident.site_id
    if not can_manage(user, site_id):
        raise PermissionDenied
    moved_site = site_id != resident.site_id
    resident.unit = unit
    resident.site_id = site_id
    resident.save(update_fields=["unit", "site"])
    if moved_site:
        # The record follows the resident: the new site's team reads their history.
        CareNote.objects.filter(resident=resident).update(site_id=site_id)
    return resident


#: What coordinators keep of a resident's record outside transfers and discharges.
RECORD_FIELDS = (
    "last_name",
    "first_name",
    "preferred_name",
    "birth_date",
    "room",
    "gir",
    "photo",
    "status",
    "admission_date",
    "external_id",
    *identity.IDENTITY_FIELDS,
    "possible_duplicate",
)


def _ensure_not_archiving(status) -> None:
    if status in Resident.ARCHIVED_STATUSES:
        raise ValidationError({"status": _("Discharge or death is recorded from the resident's page.")})


def _check_record(record: dict) -> dict:
    if unknown := set(record) - set(RECORD_FIELDS):
        raise TypeError(f"not fields of a resident's record: {sorted(unknown)}")
    _ensure_not_archiving(record.get("status"))
    return identity.clean_traits(record)


def _flag_possible_duplicate(resident: Resident) -> None:
    """Flag a resident whose traits another resident of the group shares, for the identity-vigilance
    referent. Every path flags (form, import, API); a form asks for confirmation before."""
    if selectors.resident_possible_duplicates(resident):
        resident.possible_duplicate = True


@transaction.atomic
def resident_admit(*, user, site, unit=None, referents=(), **record) -> Resident:
    """A new resident of a site the user manages (admission by hand or from the admission software).

    The identity traits are checked (``coordination.identity``); a resident with the same traits
    as another is flagged ``possible_duplicate``."""
    if not can_manage(user, site.pk):
        raise PermissionDenied
    record = _check_record(record)
    resident = Resident(site=site, unit=unit, **record)
    resident.full_clean()
    _flag_possible_duplicate(resident)
    resident.save()
    if referents:
        resident.referents.set(referents)
    return resident


@transaction.atomic
def resident_update(*, user, resident: Resident, referents=None, **record) -> Resident:
    """Change fields of an open record (``RECORD_FIELDS``); the referents when given. New identity
    traits shared with another resident flag the record (``possible_duplicate``)."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    resident_manage_check(user=user, resident=resident)
    record = _check_record(record)
    changed = [name for name, value in record.items() if getattr(resident, name) != value]
    for name in changed:
        setattr(resident, name, record[name])
    resident.full_clean()
    if (
        set(changed) & set(identity.DUPLICATE_TRAITS)
        and not resident.possible_duplicate
        and "possible_duplicate" not in changed
    ):
        _flag_possible_duplicate(resident)
        if resident.possible_duplicate:
            changed.append("possible_duplicate")
    if changed:
        resident.save(update_fields=changed)
    if referents is not None:
        resident.referents.set(referents)
    return resident


def resident_identity_set(*, user, resident: Resident, **traits) -> Resident:
    """Set a resident's identity traits (``identity.IDENTITY_FIELDS`` and ``birth_date``) from any
    caller: the API, the admission software. Raises ValidationError by field when they do not hold."""
    if unknown := set(traits) - {*identity.IDENTITY_FIELDS, "birth_date"}:
        raise TypeError(f"not identity traits: {sorted(unknown)}")
    return resident_update(user=user, resident=resident, **traits)


@transaction.atomic
def resident_discharge(*, resident: Resident, user, status: str, on: date) -> Resident:
    """Discharge or death: the file becomes archived, read-only and still searchable."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    resident_manage_check(user=user, resident=resident)
    if status not in Resident.ARCHIVED_STATUSES:
        raise ValidationError(_("Choose discharge or death."))
    if resident.admission_date and on < resident.admission_date:
        raise ValidationError(_("The date cannot be before the admission date."))
    if on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    resident.status, resident.discharge_date = status, on
    resident.save(update_fields=["status", "discharge_date"])
    # Nothing stays "under watch" for someone who has left.
    CareNote.objects.open_targets().filter(resident=resident).update(
        target_closed_at=timezone.now(), target_closed_by=user
    )
    return resident
