"""What the inspector's phone work needs besides the writes of services/fieldwork.py: the device times each
change carries (DeviceStamp), positions and distances, what a SIM found on site matches (reads only, within the
task's province), and what keeps a report from being submitted. Split from fieldwork.py to keep it readable;
fieldwork re-exports these names.
"""

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from registrations.models import Activation, Registration, RegistrationStatus

from ..models import AnswerKind, InspectionReport

EARTH_RADIUS_M = 6_371_008.8
# A device time further ahead of the server's clock than this is refused: the phone's date is wrong.
DEVICE_TIME_MAX_AHEAD = dt.timedelta(days=1)


# --- device times --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceStamp:
    """When the inspector did a change on the phone (`at`, aware), and server receive time minus the phone's
    clock as it sent the request (`skew_s`, seconds). None: the page did not say (an older page)."""

    at: dt.datetime | None = None
    skew_s: float | None = None

    def audit(self) -> dict:
        """The stamp as audit fields (per change; the report keeps only the largest gap)."""
        fields = {}
        if self.at is not None:
            fields["device_at"] = self.at.isoformat()
        if self.skew_s is not None:
            fields["clock_skew_s"] = self.skew_s
        return fields


NO_STAMP = DeviceStamp()


def _parse_moment(raw) -> dt.datetime | None:
    """An ISO 8601 moment with its UTC offset ("2026-12-07T10:15:03.120+07:00", "...Z"); None if not one."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        return None
    text = raw.strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = parse_datetime(text)
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    return moment


def device_stamp(*, device_time, device_clock, received: dt.datetime) -> DeviceStamp:
    """The DeviceStamp of one request: `device_time` from its body, `device_clock` its X-Device-Clock header.

    A missing device_time is accepted (older pages); one that is not an ISO 8601 moment with its offset, or
    more than a day ahead of the server, is refused (code "device_time"). An unreadable header is ignored:
    it only measures the gap.
    """
    at = None
    if device_time not in (None, ""):
        at = _parse_moment(device_time)
        if at is None:
            message = _(
                "The phone's time of this change could not be read (%(value)s): update the app and try again."
            ) % {"value": str(device_time)[:40]}
            raise ValidationError({"device_time": ValidationError(message, code="device_time")})
        if at > received + DEVICE_TIME_MAX_AHEAD:
            message = _(
                "The phone's time of this change is more than a day ahead of the server's: set the phone's date "
                "and time to automatic, then send again."
            )
            raise ValidationError({"device_time": ValidationError(message, code="device_time_ahead")})
    return DeviceStamp(at=at, skew_s=clock_skew(device_clock=device_clock, received=received))


def clock_skew(*, device_clock, received: dt.datetime) -> float | None:
    """Server receive time minus the phone's clock (X-Device-Clock), in seconds; None when not readable."""
    clock = _parse_moment(device_clock)
    if clock is None:
        return None
    return round((received - clock).total_seconds(), 3)


def _note_skew(report: InspectionReport, device: DeviceStamp) -> None:
    """Keep the largest gap between the phone's clock and the server's seen on this report (the task is
    locked, so two requests do not both read the old value)."""
    skew = device.skew_s
    if skew is None or (report.clock_skew_s is not None and abs(skew) <= abs(report.clock_skew_s)):
        return
    report.clock_skew_s = skew
    InspectionReport.objects.filter(pk=report.pk).update(clock_skew_s=skew)


# --- positions -----------------------------------------------------------------------------------


def haversine_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres between two WGS84 positions (degrees)."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _position(latitude, longitude, accuracy_m) -> tuple:
    """(latitude, longitude, accuracy) as Decimals and a float, or Nones; ValidationError when half given."""
    if latitude in (None, "") and longitude in (None, ""):
        return None, None, None
    if latitude in (None, "") or longitude in (None, ""):
        raise ValidationError(_("A position needs both a latitude and a longitude."), code="half_position")
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
        lon = Decimal(str(longitude)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("The position is not a pair of numbers."), code="bad_position") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(_("The position is outside the range of latitudes and longitudes."), code="bad_position")
    accuracy = None
    if accuracy_m not in (None, ""):
        try:
            accuracy = float(accuracy_m)
        except (TypeError, ValueError):
            raise ValidationError(_("The accuracy is not a number."), code="bad_position") from None
        if not math.isfinite(accuracy) or accuracy < 0:
            raise ValidationError(_("The accuracy must be zero or more metres."), code="bad_position")
    return lat, lon, accuracy


# --- SIMs found and the report's readiness (reads) ----------------------------------------------


def normalise_iccid(raw) -> str:
    """Digits as typed, without the spaces a printed ICCID is grouped by."""
    return "".join(str(raw or "").split())


def match_registration(iccid: str, *, province_id: str) -> Registration | None:
    """The registration of this ICCID at a point of the province: the latest one not cancelled, else the
    latest one. A registration elsewhere (another province, the app) is not the task's to see."""
    registrations = Registration.objects.filter(iccid=iccid, point__province_id=province_id).order_by(
        "-registered_at", "-id"
    )
    return registrations.exclude(status=RegistrationStatus.CANCELLED).first() or registrations.first()


def sim_matches(iccid: str, *, task) -> tuple[Registration | None, Activation | None]:
    """What the inspector may learn of a SIM found on site: its registration in the task's province, and
    its activation unless the SIM is registered only outside that province (then it is another
    subscriber's line there). A match outside the task's scope reads as no match at all."""
    province_id = task.point.province_id
    registration = match_registration(iccid, province_id=province_id)
    activation = Activation.objects.filter(iccid=iccid).first()
    if registration is None and Registration.objects.filter(iccid=iccid).exists():
        activation = None
    return registration, activation


def missing_for_submit(report: InspectionReport) -> list[str]:
    """What keeps the report from being submitted, one message per item (empty: ready)."""
    answered = set(report.answers.exclude(value="").values_list("item_id", flat=True))
    with_photos = set(report.photos.exclude(item=None).values_list("item_id", flat=True))
    problems = []
    for item in report.template.items.all():
        number = item.position
        if item.answer_kind == AnswerKind.PHOTO:
            if item.pk not in with_photos and item.pk not in answered:
                problems.append(_("Item %(n)s: take a photo.") % {"n": number})
            continue
        if item.pk not in answered:
            problems.append(_("Item %(n)s is not answered.") % {"n": number})
        elif item.requires_photo and item.pk not in with_photos:
            problems.append(_("Item %(n)s needs a photo.") % {"n": number})
    return problems
