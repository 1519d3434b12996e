from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directory.models import Unit

from . import identity, selectors, services
from .identity import INS_OIDS
from .models import CareNote, Resident, ResidentAlert, Target


def _text(label, *, required=False, rows=3, help_text=""):
    limit = settings.COORDINATION_NOTE_MAX_LENGTH
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        strip=True,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": limit}),
        error_messages={
            "max_length": _("This text is too long: at most %(limit_value)d characters (it has %(show_value)d)."),
        },
    )


class TargetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


#: Targets shown as one-tap choices on the note form (the person's most used first); the others
#: are one more tap away.
TARGETS_AT_HAND = 6


class CareNoteForm(forms.Form):
    """Target, then Data (required), Action, Result; priority; family visibility; open target."""

    target = TargetChoiceField(
        label=_("Target"),
        queryset=Target.objects.active(),
        to_field_name="code",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a target.")},
    )
    target_detail = forms.CharField(
        label=_("Detail of the target"),
        required=False,
        max_length=150,
        help_text=_("For example: left hip."),
    )
    data = _text(_("Data — what you observed"), required=True, rows=4)
    action = _text(_("Action — what was done"))
    result = _text(_("Result — the outcome"), help_text=_("Can be added later by a colleague."))
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=CareNote.Priority.choices,
        initial=CareNote.Priority.ROUTINE,
        widget=forms.RadioSelect,
    )
    is_open_target = forms.BooleanField(
        label=_("Leave the target open (under watch until a colleague closes it)"), required=False
    )
    is_family_visible = forms.BooleanField(label=_("Visible to the family"), required=False)
    #: One per form shown: the same note posted again (a lost answer, a draft sent once the
    #: network is back) is stored once (services.care_note_create).
    client_token = forms.UUIDField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={"invalid": _("This form arrived damaged: check the note and save it again.")},
    )

    def __init__(self, *args, targets: list[Target] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if targets is not None:
            # The person's most used targets first; validation still uses the queryset.
            self.fields["target"].choices = [(t.code, t.label) for t in targets]
        if not self.is_bound and not self.initial.get("client_token"):
            self.initial["client_token"] = uuid.uuid4()

    def clean(self):
        cleaned = super().clean()
        if "client_token" in self.errors:
            # The form shown again gets a sound token, or saving it again would fail the same way.
            self.data = self.data.copy()
            self.data[self.add_prefix("client_token")] = str(uuid.uuid4())
        return cleaned

    def targets_at_hand(self):
        """The radio buttons of the person's most used targets (one tap)."""
        return self["target"].subwidgets[:TARGETS_AT_HAND]

    def targets_more(self):
        return self["target"].subwidgets[TARGETS_AT_HAND:]

    def target_in_more(self) -> bool:
        """The chosen target is among the others: their list opens."""
        value = self["target"].value()
        return bool(value) and str(value) in {str(radio.data["value"]) for radio in self.targets_more()}

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "target": d["target"],
            "target_detail": d["target_detail"],
            "data": d["data"],
            "action": d["action"],
            "result": d["result"],
            "priority": d["priority"],
            "is_family_visible": d["is_family_visible"],
            "is_open_target": d["is_open_target"],
        }


class ResidentChoiceField(forms.ModelChoiceField):
    """Residents as the team names them: the room first, then the name."""

    def label_from_instance(self, obj):
        return _("%(room)s — %(name)s") % {"room": obj.room, "name": obj} if obj.room else str(obj)


class QuickNoteForm(CareNoteForm):
    """The note form of the handover page: the resident is chosen in the form, listed by room."""

    resident = ResidentChoiceField(
        label=_("Resident"),
        queryset=Resident.objects.none(),
        to_field_name="public_id",
        empty_label=_("Choose by room or name"),
    )
    field_order = ["resident", "target"]

    def __init__(self, *args, residents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].widget.attrs["data-filter-label"] = _("Find by room or name")
        if residents is not None:
            from .selectors import room_sort_key

            self.fields["resident"].queryset = residents
            self.fields["resident"].choices = [("", self.fields["resident"].empty_label)] + [
                (r.public_id, self.fields["resident"].label_from_instance(r))
                for r in sorted(residents, key=lambda r: (room_sort_key(r.room), r.last_name, r.pk))
            ]


class FollowUpForm(forms.Form):
    result = _text(_("Result"), required=True)
    close_target = forms.BooleanField(label=_("Close the target (no longer under watch)"), required=False)


class RetractForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the retraction"),
        min_length=5,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the note in the record. For example: written in the wrong resident's file."),
    )


class AlertForm(forms.Form):
    kind = forms.ChoiceField(label=_("Alert"), choices=ResidentAlert.Kind.choices)
    detail = forms.CharField(
        label=_("Detail"), required=False, max_length=200, help_text=_("For example: penicillin, mixed texture.")
    )


class TransferForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("New unit"), queryset=Unit.objects.none(), to_field_name="public_id")

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units
            self.fields["unit"].label_from_instance = lambda u: f"{u.site.name} — {u.name}"


class DischargeForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Reason"),
        choices=[(Resident.Status.DISCHARGED, _("Discharge")), (Resident.Status.DECEASED, _("Death"))],
        widget=forms.RadioSelect,
    )
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_on(self):
        day = self.cleaned_data["on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class ResidentFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or room"), required=False, max_length=100)
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False, to_field_name="public_id"
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("current", _("In care (present or in hospital)")),
            (Resident.Status.PRESENT, _("Present")),
            (Resident.Status.HOSPITALISED, _("In hospital")),
            ("archived", _("Archived (discharged or deceased)")),
            ("all", _("All")),
        ],
    )
    alert = forms.ChoiceField(
        label=_("Alert"), required=False, choices=[("", _("Any"))] + list(ResidentAlert.Kind.choices)
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units
            self.fields["unit"].label_from_instance = lambda u: f"{u.site.name} — {u.name}"


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    target = TargetChoiceField(
        label=_("Target"), queryset=Target.objects.all(), required=False, to_field_name="code", empty_label=_("Any")
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any"))] + list(CareNote.Priority.choices)
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False, to_field_name="public_id", empty_label=_("Any")
    )
    author = forms.CharField(label=_("Author"), required=False, max_length=100, help_text=_("Name or e-mail."))
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units
            self.fields["unit"].label_from_instance = lambda u: f"{u.site.name} — {u.name}"

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data


class ResidentAdminForm(forms.ModelForm):
    """The resident's record in the admin panel, identity traits included (``coordination.identity``).

    On admission, a resident with the same traits as another of the group is a possible
    duplicate: the form says so and saves only once the person confirms."""

    ins_matricule = forms.CharField(
        label=_("INS matricule"),
        required=False,
        max_length=30,
        help_text=_("15 characters: the NIR or NIA and its key; spaces are allowed."),
    )
    confirm_possible_duplicate = forms.BooleanField(
        label=_("I checked: this is another person; create the record (it stays flagged for the referent)"),
        required=False,
        help_text=_("Only needed when a possible duplicate is reported above."),
    )

    class Meta:
        model = Resident
        fields = ("site", "unit", *services.RECORD_FIELDS, "discharge_date", "referents")
        widgets = {
            "ins_oid": forms.Select(
                choices=[("", "—"), *((oid, format_lazy("{} ({})", kind, oid)) for oid, kind in INS_OIDS.items())]
            )
        }

    #: The person at the form (``ResidentAdmin.get_form``): what they are told of duplicates depends on it.
    user = None
    #: The other records shown as possible duplicates: reads, for the access log.
    shown_duplicates: list[Resident] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "identity_status" in self.fields:
            # Left out, an identity is provisional (the model's default), as on any other path.
            self.fields["identity_status"].required = False

    def clean_identity_status(self):
        return self.cleaned_data["identity_status"] or Resident.IdentityStatus.PROVISIONAL

    def clean(self):
        cleaned = identity.clean_traits(super().clean())
        if self.instance.pk is None and not cleaned.get("confirm_possible_duplicate"):
            traits = {name: cleaned.get(name) or "" for name in identity.DUPLICATE_TRAITS}
            traits["birth_date"] = cleaned.get("birth_date")
            candidates = selectors.resident_possible_duplicates(Resident(**traits))
            self.shown_duplicates, others = selectors.possible_duplicates_seen_by(self.user, candidates)
            for other in self.shown_duplicates:
                self.add_error(
                    None,
                    gettext("A resident with the same identity traits already exists: %(identity)s, %(site)s.")
                    % {"identity": identity.identity_line(other), "site": other.site.name},
                )
            if others:
                self.add_error(
                    None, gettext("A possible duplicate exists at another site; ask the identity-vigilance referent.")
                )
        return cleaned
