"""The reports app's nightly steps (dashboard, last month's report, retention) read as words on the night's
page, in the reader's language: no summary key, no ISO date, numbers grouped as Vietnamese writes them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from inspections.models import NightlyRun

SUMMARIES = {
    "dashboard": {"registrations": 1234567, "flags_raised": 4827, "flag_tally_drift": 0},
    "monthly_report": {"prepared": 0, "skipped": "not the first day of the month"},
    "retention": {
        "years": 5,
        "cutoff": "2021-12-07T00:00:00+07:00",
        "due": 12000,
        "anonymised": 12000,
        "dry_run": False,
    },
}


@pytest.fixture
def night_page(client, make_user):
    now = timezone.now()
    run = NightlyRun.objects.create(
        night=timezone.localdate(),
        started_at=now,
        finished_at=now,
        status=NightlyRun.Status.DONE,
        steps={name: {"status": "done", "seconds": 0.5, "summary": summary} for name, summary in SUMMARIES.items()},
    )

    def page(language: str) -> str:
        client.force_login(make_user(Role.MANAGER, language=language))
        return client.get(reverse("inspections:nightly_detail", args=[run.pk])).content.decode()

    return page


@pytest.mark.django_db
def test_the_reports_steps_read_in_vietnamese(night_page):
    html = night_page("vi")
    for raw in ("flags_raised", "flags raised", "flag tally drift", "dry run", "not the first day", "2021-12-07"):
        assert raw not in html
    assert "1.234.567" in html
    assert "4.827" in html
    assert "12.000" in html
    assert "07/12/2021" in html


@pytest.mark.django_db
def test_the_reports_steps_read_in_english(night_page):
    html = night_page("en")
    assert "registrations in the day counts" in html.lower()
    assert "1,234,567" in html
    assert "12,000" in html
    assert "nothing to prepare: not the first day of the month" in html
    assert "flags_raised" not in html
    assert "2021-12-07T" not in html
