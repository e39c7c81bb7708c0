"""Who may see, ask for and download evidence packs (DESIGN section 2): each role, in and out of scope."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from reports.evidence.models import EvidencePack
from tests.reports.evidence.factories import ZIP_BYTES, make_pack

pytestmark = pytest.mark.django_db

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
MAKERS = {Role.OFFICER, Role.MANAGER}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("kind", ["agent", "point"])
def test_section_by_role_and_province(client, principal, hanoi_point, kind):
    # given a pack of a Hà Nội agent or point
    subject = hanoi_point.agent if kind == "agent" else hanoi_point
    pack = make_pack(subject)
    client.force_login(principal.user)
    response = client.get(reverse(f"reports:{kind}_evidence_section", args=[subject.pk]))
    # then readers of Hà Nội see it; other roles are refused; Sài Gòn users get 404
    assert response.status_code == principal.expect(READERS)
    if response.status_code == 200:
        page = response.content.decode()
        assert reverse("reports:evidence_download", args=[pack.pk]) in page
        # auditors are read-only: the list and the download, not the button
        assert ('data-testid="evidence-create"' in page) == (principal.role in MAKERS)


@pytest.mark.parametrize("kind", ["agent", "point"])
def test_asking_for_a_pack_by_role_and_province(client, principal, hanoi_point, kind):
    subject = hanoi_point.agent if kind == "agent" else hanoi_point
    client.force_login(principal.user)
    response = client.post(reverse(f"reports:{kind}_evidence_create", args=[subject.pk]))
    expected = principal.expect(MAKERS, ok=302)
    assert response.status_code == expected
    assert EvidencePack.objects.exists() == (expected == 302)
    assert AuditEvent.objects.filter(action="evidence_pack.request").exists() == (expected == 302)


def test_the_button_is_a_post(client, officer, hanoi_point):
    client.force_login(officer)
    assert client.get(reverse("reports:agent_evidence_create", args=[hanoi_point.agent.pk])).status_code == 405
    assert client.post(reverse("reports:agent_evidence_section", args=[hanoi_point.agent.pk])).status_code == 405


def test_download_by_role_and_province_is_audited(client, principal, hanoi_point):
    pack = make_pack(hanoi_point)
    client.force_login(principal.user)
    response = client.get(reverse("reports:evidence_download", args=[pack.pk]))
    assert response.status_code == principal.expect(READERS)
    downloads = AuditEvent.objects.filter(action="evidence_pack.download")
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == ZIP_BYTES
        assert response["Content-Disposition"].startswith('attachment; filename="evidence-point-HN-1-')
        event = downloads.get()
        assert (event.actor, event.object_type, event.object_id) == (
            principal.user,
            "agents.registrationpoint",
            str(hanoi_point.pk),
        )
        assert event.fields["pack"] == pack.pk
    else:
        assert not downloads.exists()


def test_a_pack_holding_another_province_is_hidden_from_a_limited_user(client, hanoi_officer, officer, hanoi_point):
    # given a pack of the Hà Nội agent made by an every-province user, holding a Sài Gòn point too
    pack = make_pack(hanoi_point.agent, created_by=officer, provinces=["001", "079"])
    client.force_login(hanoi_officer)
    # then the Hà Nội officer neither sees it listed nor downloads it
    page = client.get(reverse("reports:agent_evidence_section", args=[hanoi_point.agent.pk])).content.decode()
    assert reverse("reports:evidence_download", args=[pack.pk]) not in page
    assert client.get(reverse("reports:evidence_download", args=[pack.pk])).status_code == 404
    # while the every-province officer does
    client.force_login(officer)
    assert client.get(reverse("reports:evidence_download", args=[pack.pk])).status_code == 200


def test_a_pack_not_ready_or_unknown_answers_404(client, officer, hanoi_point):
    pending = make_pack(hanoi_point, status=EvidencePack.Status.RUNNING)
    client.force_login(officer)
    assert client.get(reverse("reports:evidence_download", args=[pending.pk])).status_code == 404
    assert client.get(reverse("reports:evidence_download", args=[999999])).status_code == 404


def test_section_is_on_agent_and_point_pages_for_readers_only(client, auditor, make_user, hanoi_point):
    client.force_login(auditor)
    agent_page = client.get(reverse("agents:agent_detail", args=[hanoi_point.agent.pk])).content.decode()
    point_page = client.get(reverse("agents:point_detail", args=[hanoi_point.pk])).content.decode()
    assert reverse("reports:agent_evidence_section", args=[hanoi_point.agent.pk]) in agent_page
    assert reverse("reports:point_evidence_section", args=[hanoi_point.pk]) in point_page
