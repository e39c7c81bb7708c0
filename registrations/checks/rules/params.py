"""Parameters of the rules: what each takes, of which type and range; `validate_parameters` checks an edit.

The rules put these numbers into SQL, so only whole numbers within the ranges below get through.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .catalogue import BY_CODE


@dataclass(frozen=True)
class IntParam:
    name: str
    label: str
    minimum: int
    maximum: int

    def clean(self, value) -> int:
        # bool is an int in Python; "true" is not a number of hours
        if isinstance(value, bool) or value is None:
            raise ValidationError(_("Enter a whole number."), code="invalid")
        if isinstance(value, str):
            text = value.strip()
            if not text.lstrip("-").isdigit() or not text.isascii():
                raise ValidationError(_("Enter a whole number."), code="invalid")
            value = int(text)
        elif isinstance(value, float):
            if not value.is_integer():
                raise ValidationError(_("Enter a whole number."), code="invalid")
            value = int(value)
        elif not isinstance(value, int):
            raise ValidationError(_("Enter a whole number."), code="invalid")
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(
                _("Must be between %(min)d and %(max)d.") % {"min": self.minimum, "max": self.maximum},
                code="range",
            )
        return value


_GRACE = IntParam("grace_hours", gettext_lazy("Grace period (hours)"), 0, 24 * 366)

SCHEMAS: dict[str, tuple[IntParam, ...]] = {
    "ACTIVATED_UNREGISTERED": (_GRACE,),
    "UNVERIFIED_IDENTITY": (_GRACE,),
    "UNDERAGE": (IntParam("min_age", gettext_lazy("Minimum age (years)"), 1, 100),),
    "EXCESS_SIMS_PER_ID": (
        IntParam("max_without_contract", gettext_lazy("SIMs per ID document without a contract"), 1, 1000),
    ),
    "REGISTRATION_BURST": (
        IntParam("max_in_window", gettext_lazy("Most registrations allowed in the window"), 1, 100_000),
        IntParam("window_minutes", gettext_lazy("Window (minutes)"), 1, 24 * 60),
    ),
}


def parameter_schema(code: str) -> tuple[IntParam, ...]:
    """The parameters a rule takes (empty for a rule without parameters); KeyError for an unknown code."""
    if code not in BY_CODE:
        raise KeyError(code)
    return SCHEMAS.get(code, ())


def default_parameters(code: str) -> dict:
    return dict(BY_CODE[code]["parameters"])


def validate_parameters(code: str, params) -> dict:
    """The cleaned parameters of rule `code` (whole numbers in range; a missing one takes its default).

    Raises django ValidationError: for an unknown code, a value that is not an object, an unknown key
    (keyed by that name), or a value of the wrong type or out of range (keyed by the parameter's name).
    """
    if code not in BY_CODE:
        raise ValidationError(_("Unknown rule %(code)s.") % {"code": code}, code="unknown_rule")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValidationError(_("Parameters must be an object of names and values."), code="invalid")
    schema = {p.name: p for p in parameter_schema(code)}
    defaults = default_parameters(code)
    errors: dict[str, list] = {}
    cleaned: dict[str, int] = {}
    for key in params:
        if key not in schema:
            if schema:
                message = _("Unknown parameter %(name)s (this rule takes: %(names)s).") % {
                    "name": key,
                    "names": ", ".join(schema),
                }
            else:
                message = _("Unknown parameter %(name)s (this rule takes no parameters).") % {"name": key}
            errors[str(key)] = [ValidationError(message, code="unknown")]
    for name, param in schema.items():
        try:
            cleaned[name] = param.clean(params[name]) if name in params else defaults[name]
        except ValidationError as exc:
            errors[name] = exc.error_list
    if errors:
        raise ValidationError(errors)
    return cleaned
