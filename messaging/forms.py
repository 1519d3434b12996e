import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carehub import policy


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """The chosen files, unchecked: the documents app's checks run in the service
    (messaging.attachments), so that refusals read as in the documents app."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        return [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        max_length=settings.MESSAGING_MAX_BODY_CHARS,
        required=False,
    )
    files = AttachmentsField(label=_("Attach files"), required=False)
    urgent = forms.BooleanField(
        label=_("Urgent: recipients must acknowledge it"),
        required=False,
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # A fresh token per rendered form: a double click or a resent POST stores the message once.
            self.initial.setdefault("client_token", uuid.uuid4())
        # Required in effect: empty only when files are sent (clean() says so), never shown as optional.
        self.fields["body"].needed = True
        from documents.detection import allowed_kinds

        self.fields["files"].help_text = _(
            "Up to %(count)d files of %(limit)d MB each, checked as in the documents: %(types)s."
        ) % {
            "count": settings.DOCUMENTS_MAX_FILES_PER_REQUEST,
            "limit": settings.DOCUMENTS_MAX_UPLOAD_SIZE // 1_048_576,
            "types": ", ".join(str(kind.label) for kind in allowed_kinds()),
        }

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files") and "body" not in self.errors:
            self.add_error("body", _("The message is empty."))
        return data


class FirstMessageForm(MessageForm):
    """The first message of a conversation opened from a link; files follow in the conversation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["files"]
        self.fields["body"].required = True
        self.fields["body"].error_messages["required"] = _("The message is empty.")


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.MESSAGING_MAX_BODY_CHARS,
        error_messages={"required": _("The message is empty.")},
    )


def _staff_queryset(user):
    """Colleagues one may message: current staff of the sites in the person's directory scope."""
    from directory.models import Assignment, Site

    User = get_user_model()
    sites = policy.restrict(Site.objects.filter(is_active=True), user, policy.Scope.DIRECTORY, "pk")
    active = Assignment.objects.active().filter(site__in=sites)
    return (
        User.objects.filter(is_active=True, kind=User.Kind.STAFF)
        .filter(Q(pk__in=active.values("user_id")) | Q(is_group_admin=True))
        .exclude(pk=user.pk)
        .order_by("last_name", "first_name")
    )


class PeopleField(forms.ModelMultipleChoiceField):
    """People chosen by id. An id past the database's integer range is no one's: refused as an unknown
    choice, where the query would fail (SQLite raises OverflowError, PostgreSQL a DataError)."""

    LARGEST_ID = 2**63 - 1

    def _check_values(self, value):
        for pk in value:
            try:
                out_of_range = abs(int(str(pk))) > self.LARGEST_ID
            except ValueError:
                continue  # not a number: the parent refuses it
            if out_of_range:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class GroupForm(forms.Form):
    title = forms.CharField(label=_("Group name"), max_length=150)
    members = PeopleField(
        label=_("Members"),
        queryset=get_user_model().objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or Cmd) to choose several people."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = _staff_queryset(user)


class MemberAddForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Add a member"), queryset=get_user_model().objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff_queryset(user)


class DutyRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Send to the person on duty"), choices=())
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.MESSAGING_MAX_BODY_CHARS,
        error_messages={"required": _("The message is empty.")},
    )
    urgent = forms.BooleanField(label=_("Urgent: recipients must acknowledge it"), required=False)
    client_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        from .duty import role_choices

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(user=user)
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search my conversations"), min_length=2, max_length=200)
