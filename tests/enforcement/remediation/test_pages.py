"""The remediation pages: lists with counts that match them and a fixed number of queries, a case's
timeline, issuing a list and its CSV (audited, nothing sent twice), the policy and the outcomes upload."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent, ImportJob
from core.roles import Role
from enforcement.remediation.models import CaseStep, LadderPolicy, ListIssue, RemediationCase, Step
from enforcement.remediation.services import ladder_advance
from tests.agents.factories import AgentFactory, PointFactory

from .factories import flagged

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = dt.timedelta(days=1)


@pytest.fixture
def hn_point():
    return PointFactory(agent=AgentFactory(province_code="001"))


def make_cases(point, n, now):
    for _ in range(n):
        flagged("INCOMPLETE_RECORD", point=point)
    ladder_advance(now=now)


def test_the_case_list_counts_match_the_list_and_queries_do_not_grow(
    client, officer, hn_point, django_assert_max_num_queries
):
    # given
    now = dt.datetime.now(HCM)
    make_cases(hn_point, 3, now - 20 * DAY)  # reached the one-way block
    make_cases(hn_point, 2, now)
    ladder_advance(now=now)
    client.force_login(officer)
    url = reverse("enforcement:remediation_case_list")
    # when
    with django_assert_max_num_queries(20) as few:
        response = client.get(url)
    make_cases(hn_point, 10, now)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="case-row"') == 5
    counts = response.context["counts"]
    assert counts["total"] == 5
    assert dict(counts["steps"])[Step.ONE_WAY_BLOCK] == 3
    assert dict(counts["steps"])[Step.REMINDER] == 2
    filtered = client.get(url, {"step": Step.ONE_WAY_BLOCK})
    assert filtered.content.decode().count('data-testid="case-row"') == 3
    assert filtered.context["counts"]["total"] == 3


def test_the_rule_filter_finds_cases_by_their_live_flags(client, officer, hn_point):
    flagged("POPULATION_MISMATCH", point=hn_point)
    flagged("INCOMPLETE_RECORD", point=hn_point)
    ladder_advance()
    client.force_login(officer)
    response = client.get(reverse("enforcement:remediation_case_list"), {"rule": "POPULATION_MISMATCH"})
    assert response.context["counts"]["total"] == 1


@pytest.mark.parametrize(
    ("params", "folded_open"), [({}, False), ({"status": "OPEN"}, False), ({"campaign": "1"}, True)]
)
def test_the_drill_down_filters_fold_unless_one_is_in_use(client, officer, params, folded_open):
    client.force_login(officer)
    body = client.get(reverse("enforcement:remediation_case_list"), params).content.decode()
    assert '<details class="more-filters" open>' in body if folded_open else '<details class="more-filters">' in body
    assert body.index('name="status"') < body.index("more-filters") < body.index('name="campaign"')


def test_a_case_page_shows_its_timeline_with_the_subscriber_masked(client, officer, hn_point):
    reg = flagged("INCOMPLETE_RECORD", point=hn_point, msisdn="+84912345678")
    ladder_advance(now=dt.datetime.now(HCM) - 16 * DAY)
    ladder_advance()
    case = RemediationCase.objects.get()
    client.force_login(officer)
    response = client.get(reverse("enforcement:remediation_case_detail", args=[case.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "0912345678" not in body
    assert "+84912345678" not in body
    assert reg.external_id in body
    for step in (Step.REMINDER, Step.ONE_WAY_BLOCK, Step.TWO_WAY_BLOCK, Step.TERMINATION):
        assert f'data-testid="step-{step}"' in body


def test_issuing_a_list_from_the_page_then_its_csv_with_msisdns_audited(client, officer, hn_point):
    # given
    reg = flagged("INCOMPLETE_RECORD", point=hn_point, msisdn="+84912345678")
    ladder_advance()
    client.force_login(officer)
    today = dt.datetime.now(HCM).date()
    page = client.get(reverse("enforcement:remediation_lists"), {"step": "REMINDER", "day": today.isoformat()})
    assert "0912345678" not in page.content.decode()  # masked on the page
    last_id = page.context["last_id"]
    # when
    data = {"step": "REMINDER", "day": today.isoformat(), "up_to": last_id}
    client.post(reverse("enforcement:remediation_list_issue"), data)
    again = client.post(reverse("enforcement:remediation_list_issue"), data)
    # then
    issue = ListIssue.objects.get()
    assert issue.count == 1
    assert again.status_code == 302
    assert CaseStep.objects.get().issue == issue
    response = client.get(reverse("enforcement:remediation_issue_csv", args=[issue.pk]))
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0].startswith("issue,step,day,case,external_id,msisdn")
    assert f"{reg.external_id},+84912345678," in text
    event = AuditEvent.objects.get(action="remediation.list_download")
    assert event.fields["count"] == 1
    assert "0912345678" not in str(event.fields)
    listed = client.get(reverse("enforcement:remediation_lists"), {"step": "REMINDER", "day": today.isoformat()})
    assert listed.content.decode().count('data-testid="list-row"') == 0


def test_the_step_lists_page_queries_do_not_grow(client, officer, hn_point, django_assert_max_num_queries):
    make_cases(hn_point, 2, dt.datetime.now(HCM))
    client.force_login(officer)
    url = reverse("enforcement:remediation_lists")
    with django_assert_max_num_queries(25) as few:
        client.get(url)
    make_cases(hn_point, 10, dt.datetime.now(HCM))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('data-testid="list-row"') == 12


def test_an_auditor_reads_the_lists_masked_but_cannot_send_or_download(client, auditor, hn_point):
    make_cases(hn_point, 1, dt.datetime.now(HCM))
    client.force_login(auditor)
    page = client.get(reverse("enforcement:remediation_lists"))
    assert page.status_code == 200
    assert 'data-testid="issue-form"' not in page.content.decode()


def test_a_manager_changes_the_policy_on_its_page(client, manager):
    client.force_login(manager)
    url = reverse("enforcement:remediation_policy")
    values = {
        "reminder_days": 0,
        "one_way_block_days": 15,
        "two_way_block_days": 15,
        "termination_days": 45,
        "suspend_outgoing_hours": 2,
    }
    refused = client.post(url, {**values, "reason": "short"})
    assert refused.status_code == 400
    response = client.post(url, {**values, "reason": "Regulator's letter of March 2026"})
    assert response.status_code == 302
    assert LadderPolicy.current().termination_days == 45
    page = client.get(url)
    assert "Regulator&#x27;s letter of March 2026" in page.content.decode()


def test_an_officer_reads_the_policy_without_a_form(client, officer):
    client.force_login(officer)
    response = client.get(reverse("enforcement:remediation_policy"))
    assert response.status_code == 200
    assert response.context["form"] is None


def test_uploading_outcomes_records_them_and_lists_rejects(client, officer, hn_point):
    flagged("INCOMPLETE_RECORD", point=hn_point, external_id="EXT-9")
    ladder_advance()
    client.force_login(officer)
    text = "external_id,step,outcome,done_at\nEXT-9,REMINDER,DONE,2026-01-01T08:00:00+07:00\nX,REMINDER,DONE,\n"
    upload = SimpleUploadedFile("outcomes.csv", text.encode(), content_type="text/csv")
    response = client.post(reverse("enforcement:remediation_outcomes"), {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get(kind="remed_outcomes")
    from enforcement.remediation.outcomes import outcomes_run

    outcomes_run(job_id=job.pk)
    page = client.get(reverse("enforcement:remediation_outcome_job", args=[job.pk]))
    body = page.content.decode()
    assert 'data-testid="rejects"' in body
    assert CaseStep.objects.get().outcome == "DONE"


def test_a_wrong_file_is_refused_on_the_page(client, officer):
    client.force_login(officer)
    upload = SimpleUploadedFile("x.csv", b"a,b\n1,2\n", content_type="text/csv")
    response = client.post(reverse("enforcement:remediation_outcomes"), {"file": upload})
    assert response.status_code == 400
    assert "Missing columns" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_limited_officer_gets_404_for_a_case_elsewhere(client, make_user):
    other = PointFactory(agent=AgentFactory(province_code="079"))
    flagged("INCOMPLETE_RECORD", point=other)
    ladder_advance()
    hanoi = make_user(Role.OFFICER, provinces=["001"], username="hn-officer")
    client.force_login(hanoi)
    case = RemediationCase.objects.get()
    assert client.get(reverse("enforcement:remediation_case_detail", args=[case.pk])).status_code == 404
