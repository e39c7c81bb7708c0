"""Visit integrity (services/integrity.py, issue 14): each signal just inside and just past its threshold,
the score, the facts gathered from the database (a photo reused in another visit, the inspector's other
check-ins, the point's hours), and the review: a weak visit is accepted only with a reason."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from inspections.models import ReviewOutcome, RiskPolicy, TaskStatus
from inspections.services import integrity, review
from inspections.services.integrity import (
    NA,
    OK,
    WEAK,
    Leg,
    PhotoFact,
    Position,
    Reuse,
    Thresholds,
    VisitFacts,
    assess,
)
from tests.agents.factories import PointFactory
from tests.inspections.factories import add_photo, submitted_task

ICT = dt.timezone(dt.timedelta(hours=7))
IN = dt.datetime(2026, 12, 7, 10, 0, tzinfo=ICT)
OUT = IN + dt.timedelta(minutes=40)
T = Thresholds(max_distance_m=200, max_accuracy_m=100, min_minutes_on_site=10, max_speed_kmh=120, max_clock_skew_min=5)
HERE = Position(recorded=True, distance_m=10, accuracy_m=10)


def facts(**changes) -> VisitFacts:
    """A clean visit, with `changes`."""
    base = {
        "checkin": HERE,
        "checkout": HERE,
        "checkin_at": IN,
        "checkout_at": OUT,
        "photos": (PhotoFact(source="camera", taken_at=IN + dt.timedelta(minutes=5)),),
        "opens_at": dt.time(8, 0),
        "closes_at": dt.time(17, 0),
        "clock_skew_s": 3.0,
    }
    return VisitFacts(**(base | changes))


def signal(result, code):
    return next(s for s in result.signals if s.code == code)


def state(code, **changes) -> str:
    return signal(assess(facts(**changes), T), code).state


def test_a_clean_visit_is_all_ok_and_scores_100():
    result = assess(facts(), T)
    assert [s.state for s in result.signals if s.state != NA] == [OK] * 9
    assert signal(result, "travel_speed").state == NA  # no other check-in
    assert result.score == 100
    assert result.weak == []


# --- position ------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["checkin", "checkout"])
@pytest.mark.parametrize(("distance", "expected"), [(199.9, OK), (200, OK), (200.1, WEAK)])
def test_distance_from_the_point_at_its_threshold(prefix, distance, expected):
    position = Position(recorded=True, distance_m=distance, accuracy_m=10)
    assert state(f"{prefix}_distance", **{prefix: position}) == expected


@pytest.mark.parametrize("prefix", ["checkin", "checkout"])
@pytest.mark.parametrize(("accuracy", "expected"), [(100, OK), (100.5, WEAK), (None, WEAK)])
def test_gps_accuracy_at_its_threshold(prefix, accuracy, expected):
    position = Position(recorded=True, distance_m=10, accuracy_m=accuracy)
    assert state(f"{prefix}_accuracy", **{prefix: position}) == expected


def test_no_position_is_weak_distance_and_accuracy_does_not_count_twice():
    result = assess(facts(checkin=Position(recorded=False)), T)
    assert signal(result, "checkin_distance").state == WEAK
    assert signal(result, "checkin_distance").value == "no position recorded"
    assert signal(result, "checkin_accuracy").state == NA


def test_a_point_without_coordinates_cannot_measure_distance():
    result = assess(facts(checkin=Position(recorded=True, distance_m=None, accuracy_m=5)), T)
    assert signal(result, "checkin_distance").state == NA
    assert signal(result, "checkin_accuracy").state == OK


def test_not_checked_out_is_weak():
    result = assess(facts(checkout=None, checkout_at=None), T)
    assert signal(result, "checkout_distance").state == WEAK
    assert signal(result, "time_on_site").state == WEAK


def test_distance_is_said_in_words_with_the_threshold():
    result = assess(facts(checkin=Position(recorded=True, distance_m=1234.4, accuracy_m=8)), T)
    distance = signal(result, "checkin_distance")
    assert (distance.value, distance.threshold) == ("1,234 m from the point", "at most 200 m from the point")


# --- time on site --------------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "expected"), [(599, WEAK), (600, OK), (601, OK)])
def test_time_on_site_at_its_threshold(seconds, expected):
    assert state("time_on_site", checkout_at=IN + dt.timedelta(seconds=seconds)) == expected


def test_time_on_site_says_when_it_comes_from_server_times():
    value = signal(assess(facts(phone_times=False), T), "time_on_site").value
    assert value == "40 min 0 s (server times)"


# --- photos --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (IN, OK),  # the window is inclusive
        (OUT, OK),
        (IN - dt.timedelta(seconds=1), WEAK),
        (OUT + dt.timedelta(seconds=1), WEAK),
    ],
)
def test_a_camera_photo_must_be_taken_during_the_visit(taken, expected):
    assert state("camera_photos", photos=(PhotoFact(source="camera", taken_at=taken),)) == expected


@pytest.mark.parametrize("photo", [PhotoFact(source="gallery", taken_at=IN), PhotoFact(source="", taken_at=IN)])
def test_gallery_or_unknown_source_photos_are_weak(photo):
    ok = PhotoFact(source="camera", taken_at=IN + dt.timedelta(minutes=1))
    result = assess(facts(photos=(ok, photo)), T)
    assert signal(result, "camera_photos").state == WEAK
    assert signal(result, "camera_photos").value.startswith("1 of 2 photos")


def test_no_photos_means_the_photo_signals_do_not_apply():
    result = assess(facts(photos=()), T)
    assert (signal(result, "camera_photos").state, signal(result, "photo_reused").state) == (NA, NA)


def test_a_photo_seen_in_another_visit_is_weak_and_names_it():
    result = assess(
        facts(reused=(Reuse(task_id=12, task_label="#12 (PT00012)"), Reuse(task_id=13, task_label=None))), T
    )
    reused = signal(result, "photo_reused")
    assert reused.state == WEAK
    assert reused.value == "also in #12 (PT00012), a task outside your provinces"


# --- travel --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("metres", "expected"), [(119_900, OK), (120_000, OK), (120_100, WEAK)])
def test_travel_speed_at_its_threshold(metres, expected):
    # an hour between the two check-ins
    leg = Leg(task_id=7, distance_m=metres, seconds=3600, earlier=True)
    assert state("travel_speed", legs=(leg,)) == expected


def test_the_fastest_leg_decides_and_is_named():
    slow = Leg(task_id=7, distance_m=1000, seconds=3600, earlier=True)
    fast = Leg(task_id=9, distance_m=50_000, seconds=600, earlier=False)
    travel = signal(assess(facts(legs=(slow, fast)), T), "travel_speed")
    assert travel.state == WEAK
    assert travel.value == "300 km/h: 50 km to task #9's check-in 10 min 0 s later"


def test_short_and_middle_distances_are_said_in_metres_and_tenths_of_km():
    near = Leg(task_id=3, distance_m=640, seconds=3600, earlier=True)
    assert signal(assess(facts(legs=(near,)), T), "travel_speed").value.startswith("1 km/h: 640 m from task #3")
    middle = Leg(task_id=3, distance_m=2450, seconds=3600, earlier=True)
    assert "2.5 km from task #3" in signal(assess(facts(legs=(middle,)), T), "travel_speed").value


def test_two_check_ins_in_the_same_second_are_not_an_infinite_speed():
    leg = Leg(task_id=7, distance_m=20, seconds=0, earlier=True)
    assert state("travel_speed", legs=(leg,)) == OK


# --- opening hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (dt.time(7, 59, 59), WEAK),
        (dt.time(8, 0), OK),
        (dt.time(17, 0), OK),
        (dt.time(17, 0, 1), WEAK),
    ],
)
def test_check_in_within_opening_hours_at_the_edges(local, expected):
    checkin = dt.datetime.combine(IN.date(), local, tzinfo=ICT)
    assert state("opening_hours", checkin_at=checkin, checkout_at=checkin + dt.timedelta(hours=1)) == expected


def test_hours_are_read_in_the_sites_zone_whatever_the_phones_offset():
    # 01:30 UTC is 08:30 in Vietnam: open
    checkin = dt.datetime(2026, 12, 7, 1, 30, tzinfo=dt.UTC)
    result = assess(facts(checkin_at=checkin, checkout_at=checkin + dt.timedelta(hours=1)), T)
    assert signal(result, "opening_hours").state == OK
    assert signal(result, "opening_hours").value == "checked in at 08:30"


def test_unknown_hours_do_not_apply_and_overnight_hours_wrap():
    assert state("opening_hours", opens_at=None, closes_at=None) == NA
    late = dt.datetime.combine(IN.date(), dt.time(23, 30), tzinfo=ICT)
    times = {"checkin_at": late, "checkout_at": late + dt.timedelta(minutes=20)}
    assert state("opening_hours", opens_at=dt.time(18, 0), closes_at=dt.time(2, 0), **times) == OK
    assert state("opening_hours", opens_at=dt.time(18, 0), closes_at=dt.time(23, 0), **times) == WEAK


# --- clock ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("skew", "expected"), [(300, OK), (300.5, WEAK), (-300, OK), (-301, WEAK)])
def test_clock_gap_at_its_threshold(skew, expected):
    assert state("clock_skew", clock_skew_s=skew) == expected


def test_clock_gap_says_which_way():
    assert signal(assess(facts(clock_skew_s=-425), T), "clock_skew").value == "7 min 5 s ahead of the server"
    assert signal(assess(facts(clock_skew_s=90), T), "clock_skew").value == "1 min 30 s behind the server"
    assert state("clock_skew", clock_skew_s=None) == NA


# --- score ---------------------------------------------------------------------------------------


def test_score_is_the_weighted_share_of_ok_signals():
    # applicable: 9 signals (travel n/a), weights: check-in distance 2, photo reused 2, others 1 -> 11
    assert assess(facts(clock_skew_s=900), T).score == round(100 * 10 / 11)  # one single-weight signal weak
    far = Position(recorded=True, distance_m=5000, accuracy_m=10)
    assert assess(facts(checkin=far), T).score == round(100 * 9 / 11)  # check-in distance counts double
    leg = Leg(task_id=1, distance_m=500_000, seconds=600, earlier=True)
    assert assess(facts(legs=(leg,)), T).score == round(100 * 11 / 13)


def test_no_applicable_signal_no_score():
    assert integrity.score([]) is None


# --- facts from the database ---------------------------------------------------------------------

pytest_db = pytest.mark.django_db


@pytest_db
def test_a_photo_with_the_same_hash_in_another_report_is_found_and_named(inspector, officer):
    first = submitted_task(inspector=inspector)
    second = submitted_task(inspector=inspector)
    add_photo(first.report)
    add_photo(second.report)  # the same bytes, so the same SHA-256
    result = integrity.visit_integrity(second.report, user=officer)
    reused = signal(result, "photo_reused")
    assert reused.state == WEAK
    assert f"#{first.pk} ({first.point.code})" in reused.value


@pytest_db
def test_a_reused_photo_in_a_task_the_reader_may_not_see_is_not_named(inspector, make_user):
    from core.roles import Role

    hanoi = submitted_task(inspector=inspector, point=PointFactory(province_code="001"))
    saigon = submitted_task(inspector=inspector, point=PointFactory(province_code="079"))
    add_photo(hanoi.report)
    add_photo(saigon.report)
    hanoi_officer = make_user(Role.OFFICER, provinces=["001"], username="hanoi-officer")
    reused = signal(integrity.visit_integrity(hanoi.report, user=hanoi_officer), "photo_reused")
    assert reused.state == WEAK
    assert saigon.point.code not in reused.value
    assert "a task outside your provinces" in reused.value


@pytest_db
def test_impossible_travel_between_an_inspectors_consecutive_check_ins(inspector, officer):
    # given: Hanoi at 10:00, then Ho Chi Minh City (1,100+ km) at 11:00 the same day
    day = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ICT)
    hanoi = submitted_task(inspector=inspector, point=PointFactory(province_code="001"), checkin_at=day)
    saigon = submitted_task(
        inspector=inspector, point=PointFactory(province_code="079"), checkin_at=day + dt.timedelta(hours=1)
    )
    # when / then: both visits see it, each naming the other
    later = signal(integrity.visit_integrity(saigon.report, user=officer), "travel_speed")
    earlier = signal(integrity.visit_integrity(hanoi.report, user=officer), "travel_speed")
    assert (later.state, earlier.state) == (WEAK, WEAK)
    assert f"task #{hanoi.pk}'s check-in" in later.value
    assert f"task #{saigon.pk}'s check-in" in earlier.value


@pytest_db
def test_the_same_journey_over_a_day_is_possible(inspector, officer):
    day = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ICT)
    submitted_task(inspector=inspector, point=PointFactory(province_code="001"), checkin_at=day)
    saigon = submitted_task(
        inspector=inspector, point=PointFactory(province_code="079"), checkin_at=day + dt.timedelta(days=1)
    )
    assert signal(integrity.visit_integrity(saigon.report, user=officer), "travel_speed").state == OK


@pytest_db
def test_the_points_opening_hours_come_from_the_point(inspector, officer):
    point = PointFactory(opens_at=dt.time(14, 0), closes_at=dt.time(18, 0))
    task = submitted_task(inspector=inspector, point=point)  # clean_visit checks in at 10:00
    assert signal(integrity.visit_integrity(task.report, user=officer), "opening_hours").state == WEAK
    point.opens_at = point.closes_at = None
    point.save()
    task.report.refresh_from_db()
    assert signal(integrity.visit_integrity(task.report, user=officer), "opening_hours").state == NA


@pytest_db
def test_thresholds_come_from_the_risk_policy(inspector, officer):
    task = submitted_task(inspector=inspector)  # 40 minutes on site
    assert signal(integrity.visit_integrity(task.report, user=officer), "time_on_site").state == OK
    RiskPolicy.objects.update_or_create(pk=1, defaults={"integrity_min_minutes_on_site": 41})
    assert signal(integrity.visit_integrity(task.report, user=officer), "time_on_site").state == WEAK


# --- the review ----------------------------------------------------------------------------------


@pytest_db
def test_a_clean_visit_is_accepted_without_a_reason(inspector, officer):
    task = submitted_task(inspector=inspector)
    review.report_accept(task=task, actor=officer)
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert task.report.integrity["weak"] == []
    assert task.report.integrity["score"] == 100


@pytest_db
def test_a_weak_visit_is_not_accepted_without_a_reason(inspector, officer):
    task = submitted_task(inspector=inspector, checkin_distance_m=450.0)
    with pytest.raises(ValidationError) as exc:
        review.report_accept(task=task, actor=officer, note="  ")
    assert exc.value.error_dict["reason"][0].code == "weak_visit"
    assert "distance at check-in" in exc.value.message_dict["reason"][0]
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED
    assert not AuditEvent.objects.filter(action="inspection.accept").exists()


@pytest_db
def test_a_weak_visit_is_accepted_with_a_reason_kept_on_the_review_and_in_the_audit(inspector, officer):
    task = submitted_task(inspector=inspector, checkin_distance_m=450.0)
    review.report_accept(task=task, actor=officer, note="The point moved across the street; confirmed by phone")
    task.refresh_from_db()
    report = task.report
    assert task.status == TaskStatus.CLOSED
    assert report.review_outcome == ReviewOutcome.ACCEPTED
    assert report.accept_reason == "The point moved across the street; confirmed by phone"
    assert report.integrity["weak"] == ["checkin_distance"]
    assert report.integrity["policy_version"] == RiskPolicy.current().version
    event = AuditEvent.objects.get(action="inspection.accept")
    assert event.reason == report.accept_reason
    assert event.fields["integrity"]["weak"] == ["checkin_distance"]
    assert event.fields["integrity"]["score"] == report.integrity["score"] < 100
