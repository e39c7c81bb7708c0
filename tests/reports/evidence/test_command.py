"""`manage.py evidence_pack` (DESIGN section 7): the ZIP, its manifest, masking, audit events, errors."""

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.audit import audit_head, audit_record
from core.models import AuditEvent
from tests.reports.evidence.factories import CLEAR_ADDRESS, CLEAR_ID, CLEAR_NAME, evidence_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(officer, inspector, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return evidence_scene(officer, inspector)


def run(*args) -> str:
    out = io.StringIO()
    call_command("evidence_pack", *args, stdout=out)
    return out.getvalue()


def rows(zf: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"))))


def test_manifest_covers_every_other_file_with_its_hash_and_size(scene, tmp_path):
    # given a pack of the agent
    target = tmp_path / "agent.zip"
    run("--agent", "AG-EV", str(target))
    # when the manifest is read against the ZIP's content
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist()) - {"manifest.json"}
        listed = {f["path"]: f for f in manifest["files"]}
        # then it lists every other file, each once, with the SHA-256 and size of what is in the ZIP
        assert set(listed) == names
        assert len(manifest["files"]) == len(names)
        for name in names:
            data = zf.read(name)
            assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest(), name
            assert listed[name]["bytes"] == len(data), name
        # and SHA256SUMS says the same for `sha256sum -c`
        sums = dict(reversed(line.split("  ", 1)) for line in zf.read("SHA256SUMS").decode().splitlines())
        assert set(sums) == names - {"SHA256SUMS"}
        assert all(sums[name] == listed[name]["sha256"] for name in sums)
    assert set(manifest) == {"files", "generated_at", "generated_by", "audit_chain_head", "language"}
    assert "evidence_pack" in manifest["generated_by"]


def test_audit_chain_head_is_the_trail_head_when_the_pack_was_made(scene, tmp_path):
    # given the trail's head before the pack
    head = audit_head()
    target = tmp_path / "p.zip"
    run("--point", "EV-1", str(target))
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        events = rows(zf, "audit_events.csv")
    # then the manifest names it, and every event in the pack is at or before it, with its stored hash
    assert manifest["audit_chain_head"] == head
    assert events
    assert all(int(e["id"]) <= head["id"] for e in events)
    stored = dict(AuditEvent.objects.filter(pk__in=[int(e["id"]) for e in events]).values_list("pk", "hash"))
    assert {int(e["id"]): e["hash"] for e in events} == stored
    # and the command's own run is audited, after the head
    made = AuditEvent.objects.filter(action="evidence_pack.generate").get()
    assert made.pk > head["id"]
    assert made.object_id == str(scene.point.pk)


def test_personal_data_is_masked_in_every_file(scene, tmp_path):
    target = tmp_path / "agent.zip"
    run("--agent", "AG-EV", str(target))
    raw = target.read_bytes()
    with zipfile.ZipFile(target) as zf:
        contents = [zf.read(name) for name in zf.namelist()]
        flags = rows(zf, "flags.csv")
    # the clear values are nowhere: neither in the ZIP's bytes nor in any file once decompressed
    for clear in (CLEAR_NAME, CLEAR_ID, CLEAR_ADDRESS, "45 Phố Huế"):
        needle = clear.encode("utf-8")
        assert needle not in raw
        assert not any(needle in content for content in contents), clear
    # but the flag is there, masked, and names its registration
    (flag,) = flags
    assert flag["subject_key"] == scene.registration.external_id
    assert flag["rule"] == "MISSING_PHOTOS"
    assert flag["subscriber_name_masked"] == "T. T. B. N."
    assert flag["id_doc_number_masked"].startswith("0011")
    assert CLEAR_ID not in flag["id_doc_number_masked"]
    assert flag["address_masked"] == "… Hà Nội"
    assert flag["birth_year"] == "1990"


def test_audit_events_are_those_about_the_subject_and_its_objects(scene, tmp_path, officer):
    # given events about the point, its flag and its sanction, and one about a point of another agent
    audit_record(action="test.flag", actor=officer, obj=scene.flag)
    audit_record(action="test.sanction", actor=officer, obj=scene.sanction)
    audit_record(action="test.action", actor=officer, obj=scene.action)
    audit_record(action="test.elsewhere", actor=officer, obj=scene.other_point)
    head = audit_head()
    target = tmp_path / "p.zip"
    run("--point", "EV-1", str(target))
    with zipfile.ZipFile(target) as zf:
        events = rows(zf, "audit_events.csv")
    about = {(e["object_type"], e["object_id"]) for e in events}
    # then the pack holds those about the point and its objects, and nothing about other points
    assert ("agents.registrationpoint", str(scene.point.pk)) in about
    assert ("registrations.flag", str(scene.flag.pk)) in about
    assert ("inspections.sanction", str(scene.sanction.pk)) in about
    assert ("inspections.correctiveaction", str(scene.action.pk)) in about
    assert ("agents.registrationpoint", str(scene.other_point.pk)) not in about
    assert ("agents.registrationpoint", str(scene.sub_point.pk)) not in about
    assert "test.elsewhere" not in {e["action"] for e in events}
    # and every event of the trail about the point up to the head is there (the pack's own comes after)
    expected = AuditEvent.objects.filter(
        object_type="agents.registrationpoint", object_id=str(scene.point.pk), pk__lte=head["id"]
    )
    assert set(expected.values_list("pk", flat=True)) <= {int(e["id"]) for e in events}


def test_a_pack_of_an_agent_holds_its_points_and_sub_agents_inspections_with_photos(scene, tmp_path):
    target = tmp_path / "agent.zip"
    out = run("--agent", "AG-EV", str(target))
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        points = {r["code"] for r in rows(zf, "points.csv")}
        tasks = {r["task_id"]: r for r in rows(zf, "inspections.csv")}
        report = json.loads(zf.read(f"inspections/{scene.task.pk}/report.json"))
        photos = list(report["report"]["photos"])
        actions = rows(zf, "corrective_actions.csv")
        sub_agents = {r["code"] for r in rows(zf, "sub_agents.csv")}
        photo_bytes = zf.read(photos[0]["path"])
        evidence = zf.read(actions[0]["evidence_file"])
    # the agent's own point and its sub-agent's point, never another agent's
    assert points == {"EV-1", "EV-B-1"}
    assert sub_agents == {"AG-EV-B"}
    assert str(scene.task.pk) in tasks
    assert str(scene.sub_task.pk) in tasks
    assert f"inspections/{scene.sub_task.pk}/report.json" in names
    # the inspection's report with its answers and its two photos, as stored
    assert any(a["item"] == "camera" and a["failed"] for a in report["report"]["answers"])
    assert len(photos) == 2
    assert all(p["path"] in names for p in photos)
    assert hashlib.sha256(photo_bytes).hexdigest() == photos[0]["sha256_at_upload"]
    # findings, sanctions, corrective actions with the evidence file
    assert evidence == b"%PDF-1.4 evidence"
    assert {"findings.csv", "sanctions.csv", "status_history.csv", "flag_events.csv", "agent.json"} <= names
    assert "SG-OTHER" not in out
    assert "Evidence pack of agent AG-EV written to" in out
    assert "audit chain head: event #" in out


def test_a_point_pack_has_the_point_record_and_its_status_history(scene, tmp_path):
    target = tmp_path / "p.zip"
    run("--point", "EV-1", str(target))
    with zipfile.ZipFile(target) as zf:
        record = json.loads(zf.read("point.json"))
        history = rows(zf, "status_history.csv")
        readme = zf.read("README.txt").decode()
    assert record["code"] == "EV-1"
    assert record["agent_code"] == "AG-EV"
    assert [(h["subject_code"], h["to_status"], h["reason"]) for h in history] == [("EV-1", "SUSPENDED", "pack test")]
    assert "sha256sum -c SHA256SUMS" in readme
    assert "verify_audit" in readme


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--agent", "NOPE"), "No agent with code 'NOPE'"),
        (("--point", "NOPE"), "No registration point with code 'NOPE'"),
        (("--agent", "AG-EV", "--point", "EV-1"), "not allowed with argument"),
        ((), "one of the arguments --agent --point is required"),
    ],
)
def test_bad_arguments_fail_with_a_clear_message_and_write_nothing(scene, tmp_path, args, message):
    target = tmp_path / "out.zip"
    with pytest.raises(CommandError, match=message):
        run(*args, str(target))
    assert list(tmp_path.iterdir()) == [tmp_path / "media"]


def test_an_unwritable_file_fails_and_leaves_nothing_half_written(scene, tmp_path):
    # a folder that does not exist, a folder given as the file, a place nobody may write
    with pytest.raises(CommandError, match="does not exist"):
        run("--agent", "AG-EV", str(tmp_path / "missing" / "out.zip"))
    with pytest.raises(CommandError, match="it is a folder"):
        run("--agent", "AG-EV", str(tmp_path))
    with pytest.raises(CommandError, match="Cannot write /proc/out.zip"):
        run("--agent", "AG-EV", "/proc/out.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media"]
    assert not AuditEvent.objects.filter(action="evidence_pack.generate").exists()


def test_a_failure_while_writing_removes_the_temporary_file(scene, tmp_path, monkeypatch):
    from reports.evidence import packing

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(packing, "_write_outcomes", broken)
    target = tmp_path / "out.zip"
    target.write_bytes(b"an older pack")
    with pytest.raises(RuntimeError):
        run("--agent", "AG-EV", str(target))
    # the earlier file is untouched and no temporary file is left
    assert target.read_bytes() == b"an older pack"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "out.zip"]
