"""Visit integrity: was the inspector really there? A short list of signals and a score for the reviewer
(issue 14), from what the phone recorded (positions, device times, photo sources and hashes) and the
thresholds of the risk policy.

`assess(facts, thresholds)` is pure (no database): it takes a VisitFacts and a Thresholds and returns an
Integrity, so each signal is tested at its threshold. `visit_integrity(report, user=)` gathers the facts
of one report (a handful of queries) and assesses them; it is what the task page and the review call.

Each signal is OK, WEAK or not applicable (NA: nothing to measure, e.g. a point without opening hours):

- checkin_distance / checkout_distance: metres from the point; weak above `integrity_max_distance_m`, or
  when no position was recorded (not applicable when the point has no coordinates but a position was);
- checkin_accuracy / checkout_accuracy: the phone's GPS accuracy; weak above `integrity_max_accuracy_m`
  or when not given (not applicable without a position: the distance signal already says it);
- time_on_site: check-out minus check-in, phone times (server times for an older page); weak below
  `integrity_min_minutes_on_site`;
- camera_photos: every photo taken with the camera (source "camera") at a phone time inside the visit
  (check-in..check-out); a gallery photo, one without a source or time, or outside the window is weak;
- photo_reused: a photo whose SHA-256 is also a photo of another visit (another report) is weak;
- travel_speed: the speed needed between this check-in and the inspector's previous and next check-ins
  (positions; the point's when no position), by phone times; weak above `integrity_max_speed_kmh`;
- opening_hours: the check-in's local time inside the point's opening hours (not applicable when they are
  unknown; closing before opening is read as open overnight);
- clock_skew: the largest gap between the phone's clock and the server's; weak above
  `integrity_max_clock_skew_min`.

Score (0-100): the share of the applicable signals that are OK, each weighing 1 except the check-in
distance, a reused photo and impossible travel, which weigh 2 (`WEIGHTS`). No applicable signal: no score.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.templatetags.display import count, duration

from ..models import InspectionReport, InspectionTask, Photo, PhotoSource, RiskPolicy
from .fieldwork import haversine_m

OK, WEAK, NA = "ok", "weak", "na"

# what each signal is called on the page (lazy: rendered in the reader's language)
LABELS = {
    "checkin_distance": gettext_lazy("Distance at check-in"),
    "checkin_accuracy": gettext_lazy("GPS accuracy at check-in"),
    "checkout_distance": gettext_lazy("Distance at check-out"),
    "checkout_accuracy": gettext_lazy("GPS accuracy at check-out"),
    "time_on_site": gettext_lazy("Time on site"),
    "camera_photos": gettext_lazy("Photos taken with the camera during the visit"),
    "photo_reused": gettext_lazy("Photos not used in another visit"),
    "travel_speed": gettext_lazy("Travel from the inspector's other check-ins"),
    "opening_hours": gettext_lazy("Check-in within the point's opening hours"),
    "clock_skew": gettext_lazy("Phone clock"),
}
WEIGHTS = dict.fromkeys(LABELS, 1) | {"checkin_distance": 2, "photo_reused": 2, "travel_speed": 2}


# --- what is assessed -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    max_distance_m: float = 200
    max_accuracy_m: float = 100
    min_minutes_on_site: float = 10
    max_speed_kmh: float = 120
    max_clock_skew_min: float = 5

    @classmethod
    def from_policy(cls, policy: RiskPolicy) -> "Thresholds":
        return cls(
            max_distance_m=policy.integrity_max_distance_m,
            max_accuracy_m=policy.integrity_max_accuracy_m,
            min_minutes_on_site=policy.integrity_min_minutes_on_site,
            max_speed_kmh=policy.integrity_max_speed_kmh,
            max_clock_skew_min=policy.integrity_max_clock_skew_min,
        )


@dataclass(frozen=True)
class Position:
    """Where the phone was at check-in or check-out: `recorded` False when no position was sent."""

    recorded: bool = False
    distance_m: float | None = None  # None: the point has no coordinates (or no position)
    accuracy_m: float | None = None


@dataclass(frozen=True)
class PhotoFact:
    source: str = ""  # PhotoSource value, "" unknown
    taken_at: dt.datetime | None = None  # phone time


@dataclass(frozen=True)
class Reuse:
    """Another visit holding a photo with the same SHA-256; `task_label` None when the reader may not see it."""

    task_id: int
    task_label: str | None


@dataclass(frozen=True)
class Leg:
    """The way from (or to) the inspector's other check-in: metres and seconds between the two."""

    task_id: int
    distance_m: float
    seconds: float
    earlier: bool  # the other check-in was before this one


@dataclass(frozen=True)
class VisitFacts:
    checkin: Position = field(default_factory=Position)
    checkout: Position | None = None  # None: not checked out
    checkin_at: dt.datetime | None = None  # phone time, else server time
    checkout_at: dt.datetime | None = None
    phone_times: bool = True  # False: the visit's times are the server's (an older page)
    photos: tuple[PhotoFact, ...] = ()
    reused: tuple[Reuse, ...] = ()
    legs: tuple[Leg, ...] = ()
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    clock_skew_s: float | None = None


@dataclass(frozen=True)
class Signal:
    code: str
    state: str  # OK, WEAK or NA
    value: str  # what was measured, in words
    threshold: str  # what would be weak, in words

    @property
    def label(self):
        return LABELS[self.code]

    @property
    def weak(self) -> bool:
        return self.state == WEAK

    @property
    def ok(self) -> bool:
        return self.state == OK


@dataclass(frozen=True)
class Integrity:
    signals: tuple[Signal, ...]
    score: int | None

    @property
    def weak(self) -> list[Signal]:
        return [s for s in self.signals if s.weak]

    def snapshot(self, policy_version: int | None = None) -> dict:
        """What is kept with a review (codes, not words): {"score", "weak", "policy_version"}."""
        return {"score": self.score, "weak": [s.code for s in self.weak], "policy_version": policy_version}


# --- the signals ----------------------------------------------------------------------------------


def _metres(value: float) -> str:
    return _("%(m)s m") % {"m": count(round(value))}


def _distance(metres: float) -> str:
    """A distance as the reader's language writes it: metres below 1 km, km with one decimal below 10 km."""
    km = metres / 1000
    if km < 1:
        return _metres(metres)
    if km >= 10:
        return _("%(km)s km") % {"km": count(round(km))}
    return _("%(km)s km") % {"km": formats.number_format(round(km, 1), decimal_pos=1, use_l10n=True)}


def _span(seconds: float) -> str:
    """A number of seconds in words ("3 min 5 s"), through the pages' duration filter."""
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return duration(start, start + dt.timedelta(seconds=max(seconds, 0)))


def _position_signals(prefix: str, position: Position | None, t: Thresholds) -> list[Signal]:
    distance_limit = _("at most %(m)s m from the point") % {"m": count(round(t.max_distance_m))}
    accuracy_limit = _("accurate to %(m)s m or better") % {"m": count(round(t.max_accuracy_m))}
    if position is None:
        not_out = _("not checked out")
        return [Signal(f"{prefix}_distance", WEAK, not_out, distance_limit), Signal(f"{prefix}_accuracy", NA, "—", "")]
    if not position.recorded:
        return [
            Signal(f"{prefix}_distance", WEAK, _("no position recorded"), distance_limit),
            Signal(f"{prefix}_accuracy", NA, _("no position recorded"), accuracy_limit),
        ]
    if position.distance_m is None:
        distance = Signal(f"{prefix}_distance", NA, _("the point has no coordinates"), distance_limit)
    else:
        state = WEAK if position.distance_m > t.max_distance_m else OK
        distance = Signal(
            f"{prefix}_distance",
            state,
            _("%(d)s from the point") % {"d": _metres(position.distance_m)},
            distance_limit,
        )
    if position.accuracy_m is None:
        accuracy = Signal(f"{prefix}_accuracy", WEAK, _("accuracy not given"), accuracy_limit)
    else:
        state = WEAK if position.accuracy_m > t.max_accuracy_m else OK
        accuracy = Signal(f"{prefix}_accuracy", state, "± " + _metres(position.accuracy_m), accuracy_limit)
    return [distance, accuracy]


def _time_on_site(facts: VisitFacts, t: Thresholds) -> Signal:
    limit = _("at least %(n)s min") % {"n": count(t.min_minutes_on_site)}
    if facts.checkin_at is None or facts.checkout_at is None:
        return Signal("time_on_site", WEAK, _("not checked out"), limit)
    minutes = (facts.checkout_at - facts.checkin_at).total_seconds() / 60
    value = duration(facts.checkin_at, facts.checkout_at)
    if not facts.phone_times:
        value = _("%(d)s (server times)") % {"d": value}
    return Signal("time_on_site", WEAK if minutes < t.min_minutes_on_site else OK, value, limit)


def _camera_photos(facts: VisitFacts) -> Signal:
    limit = _("every photo")
    if not facts.photos:
        return Signal("camera_photos", NA, _("no photos"), limit)
    gallery = unknown = outside = 0
    start, end = facts.checkin_at, facts.checkout_at
    for photo in facts.photos:
        if photo.source == PhotoSource.GALLERY:
            gallery += 1
        elif photo.source != PhotoSource.CAMERA or photo.taken_at is None:
            unknown += 1
        elif start is None or end is None or not start <= photo.taken_at <= end:
            outside += 1
    good = len(facts.photos) - gallery - unknown - outside
    parts = [
        ngettext("%(ok)s of %(n)s photo", "%(ok)s of %(n)s photos", len(facts.photos))
        % {"ok": count(good), "n": count(len(facts.photos))}
    ]
    if gallery:
        parts.append(_("%(n)s from the gallery") % {"n": count(gallery)})
    if outside:
        parts.append(_("%(n)s taken outside the visit") % {"n": count(outside)})
    if unknown:
        parts.append(_("%(n)s without source or time") % {"n": count(unknown)})
    return Signal("camera_photos", OK if good == len(facts.photos) else WEAK, "; ".join(parts), limit)


def _photo_reused(facts: VisitFacts) -> Signal:
    limit = _("no photo seen in another visit")
    if not facts.photos:
        return Signal("photo_reused", NA, _("no photos"), limit)
    if not facts.reused:
        return Signal("photo_reused", OK, _("none found in other visits"), limit)
    names = [r.task_label or _("a task outside your provinces") for r in facts.reused]
    value = _("also in %(tasks)s") % {"tasks": ", ".join(names)}
    return Signal("photo_reused", WEAK, value, limit)


def _travel_speed(facts: VisitFacts, t: Thresholds) -> Signal:
    limit = _("at most %(n)s km/h") % {"n": count(t.max_speed_kmh)}
    if not facts.legs:
        return Signal("travel_speed", NA, _("no other check-in to compare"), limit)

    def speed(leg: Leg) -> float:
        # a second at least: two check-ins stamped at the same second are not an infinite speed
        return (leg.distance_m / 1000) / (max(leg.seconds, 1) / 3600)

    fastest = max(facts.legs, key=speed)
    kmh = speed(fastest)
    words = {
        "speed": count(round(kmh)),
        "distance": _distance(fastest.distance_m),
        "task": fastest.task_id,
        "time": _span(fastest.seconds),
    }
    if fastest.earlier:
        value = _("%(speed)s km/h: %(distance)s from task #%(task)s's check-in %(time)s earlier") % words
    else:
        value = _("%(speed)s km/h: %(distance)s to task #%(task)s's check-in %(time)s later") % words
    return Signal("travel_speed", WEAK if kmh > t.max_speed_kmh else OK, value, limit)


def within_hours(moment: dt.time, opens_at: dt.time, closes_at: dt.time) -> bool:
    """Inside [opens, closes], both inclusive; closing at or before opening is read as open overnight."""
    if opens_at < closes_at:
        return opens_at <= moment <= closes_at
    return moment >= opens_at or moment <= closes_at


def _opening_hours(facts: VisitFacts) -> Signal:
    """The point's hours are local times of the site's zone (settings.TIME_ZONE, agents.RegistrationPoint)."""
    if facts.opens_at is None or facts.closes_at is None:
        return Signal("opening_hours", NA, _("opening hours unknown"), "")
    limit = _("open %(opens)s–%(closes)s") % {
        "opens": facts.opens_at.strftime("%H:%M"),
        "closes": facts.closes_at.strftime("%H:%M"),
    }
    if facts.checkin_at is None:
        return Signal("opening_hours", NA, "—", limit)
    local = timezone.localtime(facts.checkin_at, timezone=ZoneInfo(settings.TIME_ZONE))
    moment = local.time().replace(microsecond=0)
    state = OK if within_hours(moment, facts.opens_at, facts.closes_at) else WEAK
    return Signal("opening_hours", state, _("checked in at %(t)s") % {"t": local.strftime("%H:%M")}, limit)


def _clock_skew(facts: VisitFacts, t: Thresholds) -> Signal:
    limit = _("at most %(n)s min") % {"n": count(t.max_clock_skew_min)}
    if facts.clock_skew_s is None:
        return Signal("clock_skew", NA, _("not measured (an older page)"), limit)
    gap = abs(facts.clock_skew_s)
    words = _span(gap)
    if facts.clock_skew_s > 0:
        value = _("%(gap)s behind the server") % {"gap": words}
    elif facts.clock_skew_s < 0:
        value = _("%(gap)s ahead of the server") % {"gap": words}
    else:
        value = _("same as the server")
    return Signal("clock_skew", WEAK if gap > t.max_clock_skew_min * 60 else OK, value, limit)


def score(signals) -> int | None:
    """100 x the weight of the OK signals / the weight of the applicable ones (WEIGHTS); None if none apply."""
    applicable = [s for s in signals if s.state != NA]
    total = sum(WEIGHTS[s.code] for s in applicable)
    if not total:
        return None
    return round(100 * sum(WEIGHTS[s.code] for s in applicable if s.ok) / total)


def assess(facts: VisitFacts, thresholds: Thresholds) -> Integrity:
    """The signals of one visit, in page order, and its score (pure: no database)."""
    signals = [
        *_position_signals("checkin", facts.checkin, thresholds),
        *_position_signals("checkout", facts.checkout, thresholds),
        _time_on_site(facts, thresholds),
        _camera_photos(facts),
        _photo_reused(facts),
        _travel_speed(facts, thresholds),
        _opening_hours(facts),
        _clock_skew(facts, thresholds),
    ]
    return Integrity(signals=tuple(signals), score=score(signals))


# --- the facts of one report ------------------------------------------------------------------------


def _distance_to_point(point, latitude, longitude) -> float | None:
    if latitude is None or point.latitude is None or point.longitude is None:
        return None
    return haversine_m(latitude, longitude, point.latitude, point.longitude)


def _where(row: dict) -> tuple | None:
    """A check-in's position: the one recorded, else its point's coordinates."""
    if row["checkin_latitude"] is not None:
        return row["checkin_latitude"], row["checkin_longitude"]
    if row["task__point__latitude"] is not None:
        return row["task__point__latitude"], row["task__point__longitude"]
    return None


def _legs(report: InspectionReport, moment: dt.datetime) -> tuple[Leg, ...]:
    """The inspector's check-ins just before and just after this one (phone times, else server times)."""
    columns = ("task_id", "moment", "checkin_latitude", "checkin_longitude", "task__point__latitude")
    columns = (*columns, "task__point__longitude")
    others = (
        InspectionReport.objects.filter(inspector_id=report.inspector_id)
        .exclude(pk=report.pk)
        .annotate(moment=Coalesce(F("checkin_device_at"), F("checkin_at")))
    )
    here = _where(
        {
            "checkin_latitude": report.checkin_latitude,
            "checkin_longitude": report.checkin_longitude,
            "task__point__latitude": report.task.point.latitude,
            "task__point__longitude": report.task.point.longitude,
        }
    )
    if here is None:
        return ()
    legs = []
    before = others.filter(moment__lte=moment).order_by("-moment", "-id").values(*columns).first()
    after = others.filter(moment__gt=moment).order_by("moment", "id").values(*columns).first()
    for row, earlier in ((before, True), (after, False)):
        there = _where(row) if row else None
        if there is None:
            continue
        legs.append(
            Leg(
                task_id=row["task_id"],
                distance_m=haversine_m(*here, *there),
                seconds=abs((moment - row["moment"]).total_seconds()),
                earlier=earlier,
            )
        )
    return tuple(legs)


def _reuses(report: InspectionReport, hashes: set[str], user) -> tuple[Reuse, ...]:
    if not hashes:
        return ()
    rows = (
        Photo.objects.filter(sha256__in=hashes)
        .exclude(report=report)
        .values_list("report__task_id", "report__task__point__code")
        .distinct()
        .order_by("report__task_id")
    )
    rows = list(rows[:20])
    visible = set()
    if user is not None:
        ids = [task_id for task_id, _code in rows]
        visible = set(InspectionTask.objects.for_user(user).filter(pk__in=ids).values_list("pk", flat=True))
    return tuple(
        Reuse(task_id=task_id, task_label=f"#{task_id} ({code})" if task_id in visible else None)
        for task_id, code in rows
    )


def visit_facts(report: InspectionReport, *, user=None) -> VisitFacts:
    """The facts of one report (its task and point loaded); `user` decides which other tasks are named."""
    point = report.task.point
    phone_times = report.checkin_device_at is not None and (
        report.checkout_at is None or report.checkout_device_at is not None
    )
    if phone_times:
        checkin_at, checkout_at = report.checkin_device_at, report.checkout_device_at
    else:
        checkin_at, checkout_at = report.checkin_at, report.checkout_at
    checkin = Position(
        recorded=report.checkin_latitude is not None,
        distance_m=(
            report.checkin_distance_m
            if report.checkin_distance_m is not None
            else _distance_to_point(point, report.checkin_latitude, report.checkin_longitude)
        ),
        accuracy_m=report.checkin_accuracy_m,
    )
    checkout = None
    if report.checkout_at is not None:
        checkout = Position(
            recorded=report.checkout_latitude is not None,
            distance_m=_distance_to_point(point, report.checkout_latitude, report.checkout_longitude),
            accuracy_m=report.checkout_accuracy_m,
        )
    photos = list(report.photos.all())
    return VisitFacts(
        checkin=checkin,
        checkout=checkout,
        checkin_at=checkin_at,
        checkout_at=checkout_at,
        phone_times=phone_times,
        photos=tuple(PhotoFact(source=p.source, taken_at=p.taken_at) for p in photos),
        reused=_reuses(report, {p.sha256 for p in photos}, user),
        legs=_legs(report, report.checkin_device_at or report.checkin_at),
        opens_at=point.opens_at,
        closes_at=point.closes_at,
        clock_skew_s=report.clock_skew_s,
    )


def visit_integrity(report: InspectionReport, *, user=None, policy: RiskPolicy | None = None) -> Integrity:
    """The reviewer's "Visit integrity" panel of one report."""
    policy = policy or RiskPolicy.current()
    return assess(visit_facts(report, user=user), Thresholds.from_policy(policy))
