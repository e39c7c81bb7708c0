from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.crypto import digest_hex, portrait_text

from .. import validators
from ..records.masking import mask_msisdn, masked, masked_row, national_msisdn

register = template.Library()

# The reason codes stored in id_number_issue / id_dob_issue, as people read them.
ISSUE_LABELS = {
    validators.UNKNOWN_DOC_TYPE: _("unknown document type"),
    validators.CCCD_NOT_12_DIGITS: _("CCCD is not 12 digits"),
    validators.CCCD_BAD_PLACE_CODE: _("CCCD place code is no province"),
    validators.CMND_NOT_9_OR_12_DIGITS: _("CMND is not 9 or 12 digits"),
    validators.VN_PASSPORT_BAD_FORMAT: _("Vietnamese passport is not a letter and 7 digits"),
    validators.PASSPORT_BAD_FORMAT: _("passport is not 6-12 letters or digits"),
    validators.DOB_CENTURY_MISMATCH: _("CCCD century disagrees with the date of birth"),
    validators.DOB_YEAR_MISMATCH: _("CCCD year disagrees with the date of birth"),
    validators.GENDER_MISMATCH: _("CCCD gender digit disagrees with the gender"),
}


@register.filter(name="masked")
def masked_filter(registration):
    """{% with m=registration|masked %}{{ m.msisdn }}…{% endwith %}: the masked personal data."""
    return masked(registration)


@register.filter(name="masked_row")
def masked_row_filter(registration):
    """{% with m=registration|masked_row %}: the masked values a list row shows (msisdn, name, ID number)."""
    return masked_row(registration)


@register.filter(name="hex")
def hex_filter(digest) -> str:
    """A stored digest (bytea) as its 64 hexadecimal characters; "" for none."""
    return digest_hex(digest)


@register.filter(name="portrait")
def portrait_filter(value) -> str:
    """A stored portrait_sha256 as the file gave it (core.crypto.portrait_text); "" for none."""
    return portrait_text(value)


@register.filter(name="mask_msisdn")
def mask_msisdn_filter(msisdn):
    return mask_msisdn(msisdn)


@register.filter(name="national_msisdn")
def national_msisdn_filter(msisdn):
    return national_msisdn(msisdn)


@register.filter(name="issue_label")
def issue_label(code):
    return ISSUE_LABELS.get(code, code)


# Badges a list shows once per row, written in Python rather than included (issue 15); the templates
# _severity_badge.html and _check_badge.html call these, so the markup lives here once.
SEVERITY_LABELS = {
    "critical": _("Critical"),
    "high": _("High"),
    "medium": _("Medium"),
    "low": _("Low"),
}
CHECK_LABELS = {
    "MATCH": _("Match"),
    "MISMATCH": _("Mismatch"),
    "PENDING": _("Pending"),
    "NOT_CHECKED": _("Not checked"),
}


@register.simple_tag
def severity_badge(severity):
    return format_html('<span class="sev sev-{}">{}</span>', severity, SEVERITY_LABELS.get(severity, severity))


@register.simple_tag
def check_badge(check, label):
    """The population check's result; `label` (the field's display value) is its title."""
    return format_html(
        '<span class="check check-{}" title="{}">{}</span>',
        str(check or "").lower(),
        label,
        CHECK_LABELS.get(check, check),
    )
