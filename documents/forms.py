import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Job

from .models import Folder


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _new_upload_id() -> str:
    return uuid.uuid4().hex


class UploadIdField(forms.CharField):
    """A random id drawn with the form: the same form sent twice (a double click, a lost answer)
    stores its files once, and the second answer is the first one's (views.form_upload_key)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=32, initial=_new_upload_id, **kwargs)


class UploadForm(forms.Form):
    """The plain (no JavaScript) upload form; files are read from request.FILES one by one."""

    files = forms.FileField(
        label=_("Files"),
        widget=MultipleFileInput(attrs={"multiple": True}),
        required=False,
        help_text=_("You may choose several files at once."),
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)
    upload_id = UploadIdField()


class NewVersionForm(forms.Form):
    file = forms.FileField(label=_("New version of the file"), required=False)
    comment = forms.CharField(label=_("What changed"), max_length=500, required=False, widget=forms.TextInput)
    upload_id = UploadIdField()


class FolderForm(forms.Form):
    name = forms.CharField(label=_("Folder name"), max_length=150)
    staff_may_upload = forms.BooleanField(label=_("All staff of the site may add documents here"), required=False)


class RootFolderForm(FolderForm):
    place = forms.ChoiceField(label=_("Where"), help_text=_("Who will see this folder."))

    def __init__(self, *args, sites=(), units=(), group=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if group:
            choices.append(("group", _("Whole group (every site)")))
        choices += [(f"site:{s.public_id}", _("Site: %(name)s") % {"name": s.name}) for s in sites]
        choices += [(f"unit:{u.public_id}", _("Unit: %(name)s") % {"name": str(u)}) for u in units]
        self.fields["place"].choices = choices


class DocumentEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class MoveForm(forms.Form):
    folder = forms.ChoiceField(label=_("Move to folder"))

    def __init__(self, *args, folders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["folder"].choices = [(str(f.public_id), folder_label(f)) for f in folders]


def folder_label(folder: Folder) -> str:
    where = {
        Folder.Scope.GROUP: _("Group"),
        Folder.Scope.SITE: folder.site.name if folder.site_id else "",
        Folder.Scope.UNIT: str(folder.unit) if folder.unit_id else "",
        Folder.Scope.RESIDENT: str(folder.resident) if folder.resident_id else "",
    }[folder.scope]
    path = f"{folder.parent.name} / {folder.name}" if folder.parent_id else folder.name
    return f"{where} — {path}"


class ReadingRequirementForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"))
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    job = forms.ChoiceField(label=_("Job"), required=False)

    def __init__(self, *args, sites=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(str(s.public_id), s.name) for s in sites]
        self.fields["unit"].choices = [("", _("Every unit"))] + [(str(u.public_id), str(u)) for u in units]
        self.fields["job"].choices = [("", _("Every job"))] + list(Job.choices)
