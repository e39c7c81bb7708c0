"""The daily digest e-mail: one per active officer or manager with an address, bounded by their provinces,
never empty, in the site's language."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from core.roles import Role
from inspections import digest
from inspections.digest import send_digest
from tests.agents.factories import PointFactory
from tests.inspections.factories import TaskFactory, make_action, make_sanction
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 2, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
TODAY = NOW.date()
LATE = TODAY - dt.timedelta(days=3)


@pytest.fixture
def staff(make_user):
    """A Hà Nội officer, a Sài Gòn officer and an every-province manager, each with an address."""
    return {
        "hanoi": make_user(Role.OFFICER, provinces=["001"], username="hn", email="hn@example.vn"),
        "saigon": make_user(Role.OFFICER, provinces=["079"], username="sg", email="sg@example.vn"),
        "manager": make_user(Role.MANAGER, username="boss", email="boss@example.vn"),
    }


def mail_to(address: str):
    found = [m for m in mail.outbox if m.to == [address]]
    assert len(found) <= 1
    return found[0] if found else None


def test_each_officer_gets_the_overdue_work_of_their_own_provinces(staff):
    # given: a late task in Hà Nội only
    point = PointFactory(province_code="001", code="HN-01")
    TaskFactory(point=point, due_date=LATE)
    # when
    summary = send_digest(now=NOW)
    # then
    body = mail_to("hn@example.vn").body
    assert "1 overdue inspection task" in body
    assert "HN-01" in body
    assert "due 2026-03-07" in body
    assert mail_to("sg@example.vn") is None  # nothing in Sài Gòn: no empty digest
    assert "HN-01" in mail_to("boss@example.vn").body
    assert summary["sent"] == 2
    assert summary["empty"] == 1
    assert set(summary["sent_to"]) == {staff["hanoi"].pk, staff["manager"].pk}


def test_the_digest_lists_overdue_actions_and_unreviewed_critical_flags(staff):
    # given
    point = PointFactory(province_code="079", code="SG-07")
    make_action(point, created_by=staff["saigon"], due_date=LATE)
    flag = make_flag("PREACTIVATED", registration=RegistrationFactory(point=point), last_seen=NOW)
    flag.first_seen = NOW - dt.timedelta(days=4)
    flag.save(update_fields=["first_seen"])
    # when
    send_digest(now=NOW)
    # then
    body = mail_to("sg@example.vn").body
    assert "1 overdue corrective action" in body
    assert "Post the standard contract" in body
    assert "1 critical flag not reviewed in time" in body
    assert "SIM activated before its registration at SG-07" in body  # the rule in words, not its code
    assert mail_to("hn@example.vn") is None


def test_managers_see_sanctions_awaiting_their_approval_and_officers_do_not(staff):
    point = PointFactory(province_code="001")
    make_sanction(point, status="PROPOSED", proposed_by=staff["hanoi"])
    send_digest(now=NOW)
    assert "1 sanction awaiting your approval" in mail_to("boss@example.vn").body
    assert mail_to("hn@example.vn") is None


def test_a_manager_is_not_asked_to_approve_their_own_proposal(staff):
    make_sanction(PointFactory(), status="PROPOSED", proposed_by=staff["manager"])
    send_digest(now=NOW)
    assert mail_to("boss@example.vn") is None


def test_flags_raised_in_the_last_day_are_counted_per_province(staff):
    # given: two new flags in Sài Gòn, one from two days ago in Hà Nội
    saigon = PointFactory(province_code="079")
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=saigon), last_seen=NOW)
    make_flag("UNDERAGE", registration=RegistrationFactory(point=saigon), last_seen=NOW + dt.timedelta(days=1))
    hanoi = PointFactory(province_code="001")
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi), last_seen=NOW - dt.timedelta(days=1))
    # when
    send_digest(now=NOW)
    # then (make_flag sets first_seen a day before last_seen)
    assert "Flags raised in the last 24 hours: 2 (high: 1, medium: 1)" in mail_to("sg@example.vn").body
    assert mail_to("hn@example.vn") is None
    assert "Flags raised in the last 24 hours: 2" in mail_to("boss@example.vn").body


@pytest.mark.parametrize(
    "kwargs",
    [
        {"role": Role.OFFICER, "email": ""},
        {"role": Role.OFFICER, "email": "gone@example.vn", "is_active": False},
        {"role": Role.AUDITOR, "email": "audit@example.vn"},
        {"role": Role.INSPECTOR, "email": "field@example.vn"},
    ],
)
def test_only_active_officers_and_managers_with_an_address_are_mailed(make_user, kwargs):
    TaskFactory(due_date=LATE)
    make_user(**kwargs)
    summary = send_digest(now=NOW)
    assert mail.outbox == []
    assert summary["sent"] == 0


def test_users_already_mailed_are_left_out(staff):
    TaskFactory(point=PointFactory(province_code="001"), due_date=LATE)
    summary = send_digest(now=NOW, exclude_user_ids=[staff["manager"].pk])
    assert [m.to for m in mail.outbox] == [["hn@example.vn"]]
    assert summary["sent_to"] == [staff["hanoi"].pk]


def test_a_failure_to_mail_one_user_does_not_stop_the_others(staff, monkeypatch):
    TaskFactory(point=PointFactory(province_code="001"), due_date=LATE)
    real = digest.send_mail

    def flaky(subject, body, sender, to):
        if to == ["hn@example.vn"]:
            raise OSError("mail server said no")
        return real(subject, body, sender, to)

    monkeypatch.setattr(digest, "send_mail", flaky)
    summary = send_digest(now=NOW)
    assert [m.to for m in mail.outbox] == [["boss@example.vn"]]
    assert summary["failed"] == 1
    assert summary["failed_to"] == [staff["hanoi"].pk]


def test_the_digest_is_written_in_the_sites_language(staff, settings, monkeypatch):
    # given: the site speaks Vietnamese, the caller English
    settings.LANGUAGE_CODE = "vi"
    TaskFactory(due_date=LATE)
    seen = []
    real = digest.render_digest

    def spy(d):
        seen.append(translation.get_language())
        return real(d)

    monkeypatch.setattr(digest, "render_digest", spy)
    # when
    with translation.override("en"):
        send_digest(now=NOW)
    # then
    assert seen
    assert set(seen) == {"vi"}


def test_the_subject_names_the_day_and_sections_link_to_the_app_when_the_site_url_is_known(staff, settings):
    # given
    settings.SITE_URL = "https://watch.example.vn/"
    flag = make_flag("PREACTIVATED", registration=RegistrationFactory(point=PointFactory(province_code="001")))
    flag.first_seen = NOW - dt.timedelta(days=3)
    flag.save(update_fields=["first_seen"])
    # when
    send_digest(now=NOW)
    # then
    message = mail_to("hn@example.vn")
    assert message.subject == "SIM Agent Watch: daily digest for 2026-03-10"
    assert f"(https://watch.example.vn{reverse('registrations:flag_list')})" in message.body


def test_without_a_site_url_the_digest_has_no_links(staff):
    TaskFactory(due_date=LATE)
    send_digest(now=NOW)
    assert "http" not in mail_to("boss@example.vn").body
