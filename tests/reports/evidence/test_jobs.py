"""The evidence pack job (core/runs.py): queued on commit, made by a worker, progress, retries, failures."""

import hashlib
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from core.audit import all_anchors
from core.models import AuditEvent
from core.runs import QueueUnavailable
from reports.evidence import packing, services
from reports.evidence.models import EvidencePack
from reports.evidence.tasks import make_pack_task
from tests.reports.evidence.factories import evidence_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(officer, inspector, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return evidence_scene(officer, inspector)


def section(client, agent) -> str:
    return client.get(reverse("reports:agent_evidence_section", args=[agent.pk])).content.decode()


def test_the_button_queues_a_job_that_a_worker_makes_end_to_end(
    client, officer, scene, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    # when the officer asks for a pack (the task runs in-process once the request commits)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:agent_evidence_create", args=[scene.agent.pk]), headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    pack = EvidencePack.objects.get()
    # then it is made, stored with its hash and size, and holds the agent's tree
    assert (pack.status, pack.progress, pack.error) == ("DONE", 100, "")
    with pack.file.open("rb") as fh:
        data = fh.read()
    assert hashlib.sha256(data).hexdigest() == pack.sha256
    assert len(data) == pack.size_bytes
    with pack.file.open("rb") as fh, zipfile.ZipFile(fh) as zf:
        assert f"inspections/{scene.sub_task.pk}/report.json" in zf.namelist()
    assert pack.counts["points"] == 2
    assert pack.provinces == ["001"]
    # with the trail's head, which verify_audit now checks as an anchor
    assert pack.audit_chain_head["id"] > 0
    assert all_anchors()[pack.audit_chain_head["id"]] == pack.audit_chain_head["hash"]
    actions = list(AuditEvent.objects.filter(action__startswith="evidence_pack.").values_list("action", "actor"))
    assert actions == [("evidence_pack.generate", officer.pk), ("evidence_pack.request", officer.pk)]
    # and the section offers the download and stops polling
    page = section(client, scene.agent)
    assert reverse("reports:evidence_download", args=[pack.pk]) in page
    assert "every 1s" not in page


def test_progress_is_shown_while_the_pack_is_made(client, officer, scene, monkeypatch):
    client.force_login(officer)
    pack = services.evidence_pack_request(subject=scene.agent, actor=officer)
    seen = {}
    real = packing.write_pack
    monkeypatch.setattr(services, "PROGRESS_EVERY_SECONDS", 0)

    def spy(fileobj, **kwargs):
        kwargs["progress"]("FLAGS", 40)
        pack.refresh_from_db()
        seen["row"] = (pack.status, pack.step, pack.progress)
        seen["page"] = section(client, scene.agent)
        return real(fileobj, **kwargs)

    monkeypatch.setattr(packing, "write_pack", spy)
    assert make_pack_task(pack.pk) == "done"
    # while it ran, the row carried the step and percentage, and the section showed them and polled
    assert seen["row"] == ("RUNNING", "FLAGS", 40)
    assert "Flags: 40%" in seen["page"]
    assert 'value="40"' in seen["page"]
    assert "every 1s" in seen["page"]


def test_a_pack_waiting_for_a_worker_polls(client, officer, scene):
    client.force_login(officer)
    services.evidence_pack_request(subject=scene.agent, actor=officer)  # on_commit never runs here: PENDING
    page = section(client, scene.agent)
    assert "every 1s" in page
    assert 'data-status="PENDING"' in page


def test_a_task_delivered_twice_makes_the_pack_once(officer, scene):
    pack = services.evidence_pack_request(subject=scene.point, actor=officer)
    assert make_pack_task(pack.pk) == "done"
    assert make_pack_task(pack.pk) == "skipped"
    assert AuditEvent.objects.filter(action="evidence_pack.generate").count() == 1


def test_a_pack_whose_worker_died_says_the_job_stopped_and_a_new_one_can_be_asked(client, officer, scene):
    client.force_login(officer)
    pack = services.evidence_pack_request(subject=scene.agent, actor=officer)
    assert services.evidence_pack_claim(pack.pk) is not None  # a worker took it, then was killed
    EvidencePack.objects.filter(pk=pack.pk).update(heartbeat_at=timezone.now() - services.PACKS.stale_after * 2)
    # when the page looks at it
    page = section(client, scene.agent)
    pack.refresh_from_db()
    assert pack.status == "FAILED"
    assert "The job stopped" in pack.error
    assert "The job stopped" in page
    # and the button works again
    again = services.evidence_pack_request(subject=scene.agent, actor=officer)
    assert again.status == "PENDING"


def test_a_redelivered_task_takes_over_a_pack_whose_worker_died(officer, scene):
    pack = services.evidence_pack_request(subject=scene.point, actor=officer)
    services.evidence_pack_claim(pack.pk)
    EvidencePack.objects.filter(pk=pack.pk).update(heartbeat_at=timezone.now() - services.PACKS.stale_after * 2)
    assert make_pack_task(pack.pk) == "done"


def test_a_second_pack_is_refused_while_one_is_being_made(client, officer, scene):
    client.force_login(officer)
    services.evidence_pack_request(subject=scene.agent, actor=officer)
    response = client.post(
        reverse("reports:agent_evidence_create", args=[scene.agent.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "already being made" in response.content.decode()
    assert EvidencePack.objects.count() == 1


def test_queue_down_is_a_clear_message_not_a_server_error(
    client, officer, scene, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise QueueUnavailable("redis away")

    monkeypatch.setattr(services, "send_task", down)
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:point_evidence_create", args=[scene.point.pk]))
    # the page comes back (no 500) and the pack says why nothing was started
    assert response.status_code == 302
    pack = EvidencePack.objects.get()
    assert pack.status == "FAILED"
    assert "job queue is not reachable" in pack.error
    page = client.get(reverse("reports:point_evidence_section", args=[scene.point.pk])).content.decode()
    assert "job queue is not reachable" in page


def test_a_failing_pack_ends_failed_with_the_reason_and_stores_nothing(officer, scene, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(packing, "write_pack", broken)
    pack = services.evidence_pack_request(subject=scene.point, actor=officer)
    assert make_pack_task(pack.pk) == "failed"
    pack.refresh_from_db()
    assert "disk on fire" in pack.error
    assert not pack.file
    assert not AuditEvent.objects.filter(action="evidence_pack.generate").exists()


def test_a_limited_maker_gets_only_the_points_of_their_provinces(make_user, scene):
    # given a Sài Gòn point under the Hà Nội agent, and an officer limited to Hà Nội
    from tests.agents.factories import PointFactory

    PointFactory(code="EV-SG", agent=scene.agent, province_code="079")
    hanoi = make_user("officer", provinces=["001"], username="hn")
    everyone = make_user("officer", username="all")
    limited = services.evidence_pack_request(subject=scene.agent, actor=hanoi)
    make_pack_task(limited.pk)
    limited.refresh_from_db()
    assert limited.provinces == ["001"]
    assert limited.counts["points"] == 2
    # a pack made by a user of every province holds the Sài Gòn point, and says so
    wide = services.evidence_pack_request(subject=scene.agent, actor=everyone)
    make_pack_task(wide.pk)
    wide.refresh_from_db()
    assert wide.provinces == ["001", "079"]
    assert wide.counts["points"] == 3
