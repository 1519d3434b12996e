from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import search
from .models import Assignment, Job, StaffProfile, Unit

MAX_QUERY_LENGTH = 100


class DirectorySearchForm(forms.Form):
    """The directory's GET form. Filters are addressed by public ids (shareable URLs)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": _("Name, job, site, unit, extension, language…"),
            }
        ),
    )
    site = forms.ChoiceField(label=_("Site"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    job = forms.ChoiceField(label=_("Job"), required=False, choices=[("", _("All")), *Job.choices])
    on_call = forms.BooleanField(label=_("On call today"), required=False)
    present = forms.BooleanField(label=_("Present now"), required=False)

    def __init__(self, data=None, *, sites, units, **kwargs):
        """``sites``: every visible site; ``units``: those of the chosen site (both already loaded)."""
        super().__init__(data, **kwargs)
        self.sites = {str(s.public_id): s for s in sites}
        self.units = {str(u.public_id): u for u in units}
        self.fields["site"].choices = [("", _("All")), *((key, s.name) for key, s in self.sites.items())]
        self.fields["unit"].choices = [("", _("All")), *((key, u.name) for key, u in self.units.items())]

    def clean_site(self):
        value = self.cleaned_data.get("site")
        return self.sites.get(value) if value else None

    def clean_unit(self):
        value = self.cleaned_data.get("unit")
        return self.units.get(value) if value else None

    def clean(self):
        cleaned = super().clean()
        site, unit = cleaned.get("site"), cleaned.get("unit")
        if site and unit and unit.site_id != site.pk:
            self.add_error("unit", _("This unit belongs to another site."))
        return cleaned


class StaffProfileForm(forms.Form):
    """What a staff member edits on their own profile."""

    phone_extension = forms.CharField(
        label=_("Phone extension"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    mobile = forms.RegexField(
        label=_("Mobile phone"),
        required=False,
        max_length=30,
        regex=r"^\+?[0-9 .()\-]{6,29}$",
        error_messages={"invalid": _("Enter a phone number: digits, spaces, dots, dashes, and an optional +.")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    mobile_visibility = forms.ChoiceField(
        label=_("Who sees my mobile number"),
        choices=StaffProfile.MobileVisibility.choices,
        widget=forms.RadioSelect,
        help_text=_("By default only colleagues of the sites where you work see it."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages I speak"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP. It is resized and its metadata (location, camera) removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["languages"].choices = search.language_choices()

    def clean_phone_extension(self):
        value = self.cleaned_data["phone_extension"].strip()
        if value and not search.digits(value):
            raise forms.ValidationError(_("An extension is made of digits."))
        return value


class OnCallShiftForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=get_user_model().objects.none())
    unit = forms.ModelChoiceField(
        label=_("Unit"), required=False, queryset=Unit.objects.none(), empty_label=_("Whole site")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        working = Assignment.objects.active().filter(site=site).values("user_id")
        self.fields["user"].queryset = (
            get_user_model()
            .objects.filter(pk__in=working, is_active=True, kind=get_user_model().Kind.STAFF)
            .order_by("last_name", "first_name")
        )
        self.fields["unit"].queryset = site.units.order_by("name")
        self.fields["date"].initial = timezone.localdate(timezone=site.zone)

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date < timezone.localdate(timezone=self.site.zone):
            raise forms.ValidationError(_("Choose today or a later day."))
        return date


#: The feed choice that names the person's own shifts rather than a site's roster.
OWN_SHIFTS = "mine"


class CalendarFeedForm(forms.Form):
    """Which on-call calendar to subscribe to (or to renew the link of)."""

    feed = forms.ChoiceField(label=_("Calendar"))

    def __init__(self, data=None, *, sites, **kwargs):
        """``sites``: the sites the person may see (already loaded)."""
        super().__init__(data, **kwargs)
        self.sites = {str(s.public_id): s for s in sites}
        self.fields["feed"].choices = [
            (OWN_SHIFTS, _("My on-call shifts")),
            (_("On-call roster of a site"), [(key, s.name) for key, s in self.sites.items()]),
        ]

    def clean_feed(self):
        """The site of the roster, None for the person's own shifts."""
        value = self.cleaned_data["feed"]
        return None if value == OWN_SHIFTS else self.sites[value]
