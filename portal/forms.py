from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import DigestFrequency, Relationship, SiteFamilyInfo
from .services import validate_new_password


class RightsFields(forms.Form):
    may_see_news = forms.BooleanField(
        label=_("News"),
        required=False,
        initial=True,
        help_text=_("The notes the team marks as shared with the family."),
    )
    may_see_documents = forms.BooleanField(
        label=_("Documents"), required=False, help_text=_("The resident's documents the team shares with the family.")
    )
    may_see_messages = forms.BooleanField(
        label=_("Messages"), required=False, help_text=_("A message thread with the care team.")
    )

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in ("may_see_news", "may_see_documents", "may_see_messages")):
            raise ValidationError(_("Choose at least one thing the relative may see."))
        return data


class InvitationForm(RightsFields):
    email = forms.EmailField(label=_("Relative's e-mail address"), max_length=254)
    relationship = forms.ChoiceField(label=_("Relationship to the resident"), choices=Relationship.choices)
    field_order = ["email", "relationship", "may_see_news", "may_see_documents", "may_see_messages"]


class LinkRightsForm(RightsFields):
    pass


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; not too common, not only digits, not close to your name."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif p1:
            try:
                validate_new_password(
                    p1, email=self.email, first_name=data.get("first_name", ""), last_name=data.get("last_name", "")
                )
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class PreferencesForm(forms.Form):
    digest = forms.ChoiceField(
        label=_("Summary e-mail"),
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
        help_text=_("Only says how many new updates there are, with a link: never any health details."),
    )


class SiteFamilyInfoForm(forms.ModelForm):
    class Meta:
        model = SiteFamilyInfo
        fields = ["visiting_hours", "family_phone", "practical_notes"]
        widgets = {
            "visiting_hours": forms.Textarea(attrs={"rows": 4}),
            "practical_notes": forms.Textarea(attrs={"rows": 6}),
        }


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    client_token = forms.UUIDField(widget=forms.HiddenInput)
