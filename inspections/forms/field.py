"""Input of the inspector's phone page: the JSON bodies (and the photo upload) its script sends.

Every body may also carry `device_time` (read by views.field.field_endpoint for every endpoint alike).

The forms only check shapes and types; what a value means (too far, unknown item, wrong check digit) is
the services' business, so the phone gets the same message whichever way a value arrives.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import PhotoSource

CLIENT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class PositionForm(forms.Form):
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180)
    accuracy_m = forms.FloatField(required=False, min_value=0)


class CheckInForm(PositionForm):
    location_note = forms.CharField(required=False, max_length=1000)


class CheckOutForm(PositionForm):
    pass


class AnswersForm(forms.Form):
    answers = forms.JSONField()

    def clean_answers(self):
        answers = self.cleaned_data["answers"]
        if not isinstance(answers, dict) or not answers:
            raise ValidationError(_("Send the answers as a map of item codes to answers."))
        for code, answer in answers.items():
            if isinstance(answer, dict):
                if not set(answer) <= {"value", "note"}:
                    raise ValidationError(_("An answer has a value and a note, nothing else."))
                parts = answer.values()
            else:
                parts = [answer]
            if not all(part is None or isinstance(part, str | int | float) for part in parts):
                raise ValidationError(_("The answer to %(code)s is not text or a number.") % {"code": code})
        return answers


class RemarksForm(forms.Form):
    remarks = forms.CharField(required=False, strip=True)


class PhotoForm(forms.Form):
    file = forms.FileField(allow_empty_file=False)
    item_code = forms.CharField(required=False, max_length=40)
    client_id = forms.CharField(required=False)
    # "camera": taken with the capture input during the visit; "gallery": picked from the phone's files;
    # absent: an older page (stored empty, and the reviewer sees "source unknown")
    source = forms.ChoiceField(required=False, choices=[("", ""), *PhotoSource.choices])

    def clean_client_id(self):
        client_id = self.cleaned_data["client_id"]
        if client_id and not CLIENT_ID.fullmatch(client_id):
            raise ValidationError(_("The photo's client id is not valid."))
        return client_id


class SimForm(forms.Form):
    iccid = forms.CharField(max_length=40)
    note = forms.CharField(required=False, max_length=300)


class SimRemoveForm(forms.Form):
    iccid = forms.CharField(max_length=40)


class SubmitForm(forms.Form):
    remarks = forms.CharField(required=False, strip=True)
