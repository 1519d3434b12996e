"""Forms of the coordinators' panel."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Comma or semicolon separated, UTF-8 (Excel “CSV UTF-8”), first line with the column names."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.BACKOFFICE_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(size)d kB).")
                % {"size": settings.BACKOFFICE_IMPORT_MAX_BYTES // 1024}
            )
        raw = upload.read()
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError(_("The file could not be read as text: save it as “CSV UTF-8”."))
