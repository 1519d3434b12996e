from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.models import EmailAddress
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from directory.models import Assignment, Job, Site, Unit

User = get_user_model()


class OTPCodeForm(forms.Form):
    """The code of the second factor: the phone's 6 digits on a number pad; a backup code (letters
    and digits) on a text keyboard when the person chose to use one."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 12}
        ),
        help_text=_("The 6 digits shown by your authenticator app."),
    )

    def __init__(self, *args, backup: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if backup:
            field = self.fields["code"]
            field.label = _("Backup code")
            field.widget.attrs.update({"inputmode": "text", "autocomplete": "off", "autocapitalize": "none"})
            field.help_text = _("One of the backup codes you kept when you set up two-factor authentication.")


def _pin_field(label, *, autocomplete: str = "off", autofocus: bool = False) -> forms.CharField:
    attrs = {"inputmode": "numeric", "autocomplete": autocomplete, "pattern": "[0-9]*", "size": 12}
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label=label, max_length=32, strip=True, widget=forms.PasswordInput(attrs=attrs, render_value=False)
    )


class UnlockForm(forms.Form):
    pin = _pin_field(_("PIN"), autofocus=True)


class UnlockPinForm(forms.Form):
    """Choose or change the PIN that opens a locked screen; the rule is ``services.unlock_pin_problem``."""

    pin = _pin_field(_("New PIN"), autocomplete="new-password", autofocus=True)
    pin_again = _pin_field(_("The same PIN again"), autocomplete="new-password")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pin"].help_text = _("At least 6 digits, not a run such as 123456 nor a repeat such as 000000.")

    def clean_pin(self):
        from .services import unlock_pin_problem

        pin = self.cleaned_data["pin"]
        problem = unlock_pin_problem(pin)
        if problem:
            raise forms.ValidationError(problem)
        return pin

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pin") and cleaned.get("pin_again") is not None and cleaned["pin"] != cleaned["pin_again"]:
            self.add_error("pin_again", _("The two PINs are not the same."))
        return cleaned


class TOTPSetupForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "size": 8}
        ),
        help_text=_("Enter the 6-digit code your app shows now, to prove it is set up."),
    )


class StaffCreationForm(forms.ModelForm):
    """One form for a new staff member: account, profile and first assignment.

    The site and unit choices are the coordinator's sites (set by the admin with
    ``for_user``). No password: the welcome e-mail carries a link to choose one.
    """

    job = forms.ChoiceField(label=_("Job"), choices=Job.choices, initial=Job.CARE_ASSISTANT)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Assignment.Role.choices,
        initial=Assignment.Role.STAFF,
        help_text=_("Coordinators manage the site in this panel."),
    )
    start_date = forms.DateField(
        label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_date = forms.DateField(
        label=_("End date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("For temporary and agency staff: access ends on its own after this day."),
    )
    external_id = forms.CharField(label=_("HR identifier"), max_length=64, required=False)
    phone_extension = forms.CharField(label=_("Phone extension"), max_length=20, required=False)
    send_welcome = forms.BooleanField(
        label=_("Send the welcome e-mail now"),
        required=False,
        initial=True,
        help_text=_("It contains a link to choose a password."),
    )

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].required = True

    def for_user(self, user) -> StaffCreationForm:
        sites = Site.objects.managed_by(user).filter(is_active=True)
        self.fields["site"].queryset = sites
        only = list(sites[:2])
        if len(only) == 1:
            self.fields["site"].initial = only[0].pk  # a coordinator of one site has nothing to choose
        self.fields["unit"].queryset = Unit.objects.managed_by(user).select_related("site")
        return self

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean(self):
        cleaned = super().clean()
        site, unit = cleaned.get("site"), cleaned.get("unit")
        if site and unit and unit.site_id != site.pk:
            self.add_error("unit", _("This unit belongs to another site."))
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must not be before the start date."))
        return cleaned


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form without the "forgotten password" link under the password field:
    the page has it once, below the form (twice was noise, and two links too close to tap)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""


class ResetPasswordForm(AllauthResetPasswordForm):
    """A reset link goes only to an address the account can be trusted with: the one its coordinator
    (or the invitation) set, or an address verified since. An address added without verification
    gets nothing, exactly as an unknown one (no enumeration either way)."""

    def clean_email(self) -> str:
        email = super().clean_email()
        verified = set(
            EmailAddress.objects.filter(email__iexact=email, verified=True).values_list("user_id", flat=True)
        )
        self.users = [u for u in self.users if u.email.casefold() == email.casefold() or u.pk in verified]
        return email
