"""The upload form of registrations.csv / activations.csv."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from core.imports import ImportFileError, check_upload_size

from . import rows, services


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("File"),
        choices=[
            (rows.REGISTRATIONS, gettext_lazy("registrations.csv")),
            (rows.ACTIVATIONS, gettext_lazy("activations.csv")),
        ],
        initial=rows.REGISTRATIONS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(label=gettext_lazy("CSV file"))

    def clean(self):
        data = super().clean()
        upload, kind = data.get("file"), data.get("kind")
        if upload and kind:
            # Check the header now, so a wrong file is refused here rather than failing in the worker.
            try:
                check_upload_size(upload, settings.REGISTRATIONS_UPLOAD_MAX_BYTES)
                services.check_header(upload, kind)
            except ImportFileError as exc:
                self.add_error("file", str(exc))
        return data
