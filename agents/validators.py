"""Field and record validation for agents and points, shared by forms, API, services and imports."""

import datetime as dt
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.vn import mst

# Mainland plus the Hoàng Sa and Trường Sa archipelagos (registration points exist on the islands).
LAT_RANGE = (Decimal("6.0"), Decimal("23.5"))
LON_RANGE = (Decimal("102.0"), Decimal("117.9"))


def normalise_tax_code(value: str) -> str:
    """10 digits, or 13 for a branch (written 0100109106-001)."""
    return mst.compact(value) if value else ""


def validate_tax_code(value: str) -> None:
    if value and not mst.is_valid(value):
        raise ValidationError(_("Not a valid Vietnamese tax code (10 digits, or 10-3 for a branch)."), code="tax_code")


def normalise_phone(value: str) -> str:
    """Any Vietnamese number (mobile or fixed line) as E.164; unchanged when it does not parse."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException:
        return value.strip()
    if not phonenumbers.is_valid_number(number):
        return value.strip()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    if not value:
        return
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number) or number.country_code != 84:
        raise ValidationError(_("Not a valid Vietnamese phone number."), code="phone")


def validate_owner_doc(doc_type: str, number: str) -> None:
    """The owner's ID document: its type and its number together, or neither."""
    if doc_type and not (number or "").strip():
        raise ValidationError({"owner_id_doc_number": _("Give the number of the owner's ID document.")})
    if (number or "").strip() and not doc_type:
        raise ValidationError({"owner_id_doc_type": _("Give the type of the owner's ID document.")})


def _as_decimal(value) -> Decimal | None:
    """None when absent or unreadable: the field's own validation reports an unreadable value."""
    if value is None:
        return None
    try:
        # str() first, so the float 117.9 is 117.9 and not 117.900000000000005684...
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


def validate_coordinates(latitude, longitude) -> None:
    errors = {}
    if (latitude is None) != (longitude is None):
        errors["latitude" if latitude is None else "longitude"] = _("Give both latitude and longitude, or neither.")
    lat, lon = _as_decimal(latitude), _as_decimal(longitude)
    if lat is not None and not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        errors["latitude"] = _("Latitude must be within Vietnam (6.0 to 23.5).")
    if lon is not None and not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        errors["longitude"] = _("Longitude must be within Vietnam (102.0 to 117.9).")
    if errors:
        raise ValidationError(errors)


def validate_hours(opens_at, closes_at) -> None:
    if (opens_at is None) != (closes_at is None):
        raise ValidationError({"closes_at": _("Give both opening and closing time, or neither (always open).")})
    # Model.clean() also runs after a field failed to parse; then that field's error is the one to show.
    if isinstance(opens_at, dt.time) and isinstance(closes_at, dt.time) and closes_at <= opens_at:
        raise ValidationError({"closes_at": _("Closing time must be after opening time.")})


def validate_window(authorised_from, authorised_until) -> None:
    if (
        isinstance(authorised_from, dt.date)
        and isinstance(authorised_until, dt.date)
        and authorised_until <= authorised_from
    ):
        raise ValidationError({"authorised_until": _("The end of the authorisation must be after its start.")})


def validate_parent(agent, parent) -> None:
    """The parent is neither the agent itself nor one of its descendants."""
    if agent.pk is None:
        return
    seen = set()
    node = parent
    while node is not None:
        if node.pk == agent.pk:
            raise ValidationError({"parent": _("An agent cannot be its own parent or the parent of its parent.")})
        if node.pk in seen:  # a loop already stored: stop rather than spin
            break
        seen.add(node.pk)
        node = node.parent


def collect_errors(*checks) -> None:
    """Run every check and raise all their errors together, so a form shows each field's problem at once."""
    errors = []
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        merged: dict = {}
        for exc in errors:
            for field, messages in exc.update_error_dict({}).items():
                merged.setdefault(field, []).extend(messages)
        raise ValidationError(merged)
