"""The monthly report pages: who reads, who issues, and which provinces each one gets."""

import hashlib

import pytest
from django.urls import reverse

from core.roles import Role
from reports.monthly.figures import METRIC_CODES, Month
from reports.monthly.models import ReportIssue
from reports.monthly.services import report_issue
from tests.registrations.factories import RegistrationFactory
from tests.reports.monthly import scene

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
MARCH = Month.parse(scene.MONTH)
PAGE = reverse("reports:monthly")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def march(hanoi_point, saigon_point, officer):
    scene.build(hanoi_point, saigon_point, officer)


def figure(response, code):
    return next(row for row in response.context["rows"] if row["code"] == code)["value"]


@pytest.mark.django_db
def test_each_role_reads_the_page_only_if_allowed(client, any_principal):
    client.force_login(any_principal.user)

    response = client.get(PAGE, {"month": "2026-03"})

    assert response.status_code == (200 if any_principal.role in READERS else 403)


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(PAGE).status_code == 302


@pytest.mark.django_db
def test_page_shows_figures_links_trend_and_legal_basis(client, officer, march):
    client.force_login(officer)

    response = client.get(PAGE, {"month": "2026-03"})

    assert response.status_code == 200
    assert figure(response, "registrations") == 5
    body = response.content.decode()
    assert "Decree 49/2017" in body
    assert "Circular 08/2026" in body
    assert "IT" in body
    assert "Nhà mạng Demo" in body
    assert "<svg" in body
    assert "style=" not in body
    assert "registered_from=2026-03-01&amp;registered_to=2026-03-31" in body
    assert "rule=PREACTIVATED" in body


@pytest.mark.django_db
def test_a_limited_user_gets_only_their_provinces(client, hanoi_officer, march):
    client.force_login(hanoi_officer)

    mine = client.get(PAGE, {"month": "2026-03"})
    other = client.get(PAGE, {"month": "2026-03", "province": "079"})
    csv = client.get(reverse("reports:monthly_csv"), {"month": "2026-03"})

    assert mine.status_code == 200
    assert mine.context["provinces"] == ["001"]
    assert figure(mine, "registrations") == 3  # never the all-provinces 5
    assert other.status_code == 400
    assert b"registrations,3\n" in csv.content


@pytest.mark.django_db
def test_bad_month_is_a_400_with_a_message(client, officer):
    client.force_login(officer)

    response = client.get(PAGE, {"month": "2026-13"})

    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()


@pytest.mark.django_db
def test_downloads_are_the_live_csv_and_pdf(client, auditor, march):
    client.force_login(auditor)

    csv = client.get(reverse("reports:monthly_csv"), {"month": "2026-03"})
    pdf = client.get(reverse("reports:monthly_pdf"), {"month": "2026-03", "lang": "en"})

    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.startswith(b"metric,value\nregistrations,5\n")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert 'filename="monthly-2026-03-all-en.pdf"' in pdf["Content-Disposition"]


# --- issuing ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_managers_issue(client, any_principal):
    client.force_login(any_principal.user)

    response = client.post(reverse("reports:monthly_issue"), {"month": "2026-03", "lang": "vi"})

    if any_principal.role == Role.MANAGER:
        assert response.status_code == 302
        issue = ReportIssue.objects.get()
        expected = [] if any_principal.scope == "all" else (["001"] if any_principal.scope == "in" else ["079"])
        assert issue.provinces == expected
    else:
        assert response.status_code == 403
        assert not ReportIssue.objects.exists()


@pytest.mark.django_db
def test_a_limited_manager_cannot_issue_for_another_province(client, make_user):
    manager = make_user(Role.MANAGER, provinces=["001"], username="hn-manager")
    client.force_login(manager)

    response = client.post(reverse("reports:monthly_issue"), {"month": "2026-03", "lang": "vi", "province": "079"})

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert not ReportIssue.objects.exists()


@pytest.mark.django_db
def test_issue_page_shows_the_changes_and_serves_the_stored_bytes(client, manager, hanoi_point):
    # given two versions
    report_issue(month=MARCH, provinces=[], language="en", actor=manager)
    RegistrationFactory(point=hanoi_point, registered_at=scene.local(2026, 3, 9))
    second = report_issue(month=MARCH, provinces=[], language="en", actor=manager)
    client.force_login(manager)

    # when
    page = client.get(reverse("reports:monthly_issue_detail", args=[second.pk]))
    pdf = client.get(reverse("reports:monthly_issue_file", args=[second.pk, "pdf"]))
    csv = client.get(reverse("reports:monthly_issue_file", args=[second.pk, "csv"]))

    # then
    assert page.status_code == 200
    assert page.context["changes"] == [
        {
            "code": "registrations",
            "before": 0,
            "after": 1,
            "delta": 1,
            "label": "Registrations",
            "before_text": "0",
            "after_text": "1",
            "delta_text": "+1",
        }
    ]
    assert "What changed since version 1" in page.content.decode()
    assert [row["code"] for row in page.context["rows"]] == list(METRIC_CODES)  # whatever order jsonb keeps
    assert hashlib.sha256(pdf.content).hexdigest() == second.pdf_sha256
    assert hashlib.sha256(csv.content).hexdigest() == second.csv_sha256
    assert client.get(reverse("reports:monthly_issue_file", args=[second.pk, "zip"])).status_code == 404


@pytest.mark.django_db
def test_issues_are_scoped_to_the_readers_provinces(client, manager, make_user):
    everywhere = report_issue(month=MARCH, provinces=[], language="vi", actor=manager)
    hanoi = report_issue(month=MARCH, provinces=["001"], language="vi", actor=manager)
    both = report_issue(month=MARCH, provinces=["001", "079"], language="vi", actor=manager)
    reader = make_user(Role.AUDITOR, provinces=["001"], username="hn-auditor")
    client.force_login(reader)

    def status(issue, *extra):
        name = "reports:monthly_issue_file" if extra else "reports:monthly_issue_detail"
        return client.get(reverse(name, args=[issue.pk, *extra])).status_code

    assert status(hanoi) == 200
    assert status(hanoi, "pdf") == 200
    assert status(everywhere) == 404
    assert status(everywhere, "csv") == 404
    assert status(both) == 404
    listed = client.get(PAGE, {"month": "2026-03"}).context["issues"]
    assert listed == [hanoi]


@pytest.mark.django_db
def test_issuing_is_post_only(client, manager):
    client.force_login(manager)

    assert client.get(reverse("reports:monthly_issue")).status_code == 405
    assert client.post(PAGE).status_code == 405
