"""`manage.py subject_request` and `manage.py apply_retention` (DESIGN section 7), and the nightly "retention" step."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import AuditEvent
from registrations.models import Registration
from reports.subjects import services
from reports.subjects.models import SubjectRequest
from tests.registrations.factories import RegistrationFactory

from .conftest import MSISDN

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- subject_request -------------------------------------------------------------------------------


def test_see_writes_json_to_stdout_and_records_a_done_request(subscriber_regs):
    out, err = run("subject_request", "see", "--msisdn", "0912000111", "--reason", "Ticket 42")
    data = json.loads(out)
    assert len(data["registrations"]) == 2
    assert data["registrations"][0]["subscriber_name"] == "Trần Thị Bích Ngọc"
    request = SubjectRequest.objects.get()
    assert (request.kind, request.status, request.reason) == ("SEE", "DONE", "Ticket 42")
    assert request.verified_at is not None
    assert "Subject request #" in err
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "subject_request.create",
        "subject_request.verify",
        "subject_request.carry_out",
        "subject_request.export",
    }


def test_see_writes_json_to_a_file(subscriber_regs, tmp_path):
    target = tmp_path / "out.json"
    out, _err = run("subject_request", "see", "--msisdn", MSISDN, "--reason", "T-1", "--out", str(target))
    assert len(json.loads(target.read_text(encoding="utf-8"))["registrations"]) == 2
    assert "Subject request #" in out


def test_see_by_id_document(hanoi_point):
    reg = RegistrationFactory(point=hanoi_point, id_doc_number="001090123456")
    out, _err = run("subject_request", "see", "--id-doc", "CCCD:001-090-123-456", "--reason", "T-2")
    assert [r["external_id"] for r in json.loads(out)["registrations"]] == [reg.external_id]


def test_correct_sets_the_fields(subscriber_regs):
    run(
        "subject_request",
        "correct",
        "--msisdn",
        MSISDN,
        "--reason",
        "T-3",
        "--set",
        "subscriber_name=Trần Thị Bích Ngà",
        "--set",
        "date_of_birth=1991-02-03",
    )
    assert set(Registration.objects.values_list("subscriber_name", "date_of_birth")) == {
        ("Trần Thị Bích Ngà", dt.date(1991, 2, 3))
    }
    assert SubjectRequest.objects.get().changed_fields == ["date_of_birth", "subscriber_name"]


@pytest.mark.parametrize(
    "setting", ["colour=blue", "date_of_birth=1991-02-30", "gender=Q", "registered_at=2026-01-01", "nameonly"]
)
def test_correct_with_an_unknown_field_or_bad_value_exits_non_zero_writing_nothing(subscriber_regs, setting):
    audit_before = AuditEvent.objects.count()
    with pytest.raises(CommandError):
        run("subject_request", "correct", "--msisdn", MSISDN, "--reason", "T", "--set", setting)
    assert not SubjectRequest.objects.exists()
    assert AuditEvent.objects.count() == audit_before
    assert set(Registration.objects.values_list("subscriber_name", flat=True)) == {"Trần Thị Bích Ngọc"}


def test_delete_anonymises(subscriber_regs):
    out, _err = run("subject_request", "delete", "--msisdn", MSISDN, "--reason", "T-4")
    assert Registration.objects.filter(anonymised_at__isnull=False, subscriber_name="").count() == 2
    assert "2 registration(s)" in out


@pytest.mark.parametrize("who", [["--msisdn", "0912999888"], ["--id-doc", "CCCD:079099000001"]])
def test_no_match_exits_non_zero_with_a_clear_message(subscriber_regs, who):
    with pytest.raises(CommandError, match="No registration matches"):
        run("subject_request", "delete", *who, "--reason", "T-5")
    assert not SubjectRequest.objects.exists()
    assert not Registration.objects.filter(anonymised_at__isnull=False).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["see", "--msisdn", "12", "--reason", "x"],  # not a mobile number
        ["see", "--id-doc", "CCCD", "--reason", "x"],  # no number
        ["see", "--msisdn", MSISDN, "--reason", " "],  # blank reason
        ["delete", "--msisdn", MSISDN, "--reason", "x", "--set", "gender=F"],
        ["correct", "--msisdn", MSISDN, "--reason", "x"],  # nothing to set
    ],
)
def test_bad_arguments_exit_non_zero(subscriber_regs, args):
    with pytest.raises(CommandError):
        run("subject_request", *args)
    assert not SubjectRequest.objects.exists()


# --- retention -------------------------------------------------------------------------------------

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


def cancelled(at: dt.datetime, **kwargs) -> Registration:
    reg = RegistrationFactory(status="CANCELLED", registered_at=at - dt.timedelta(days=400), **kwargs)
    Registration.objects.filter(pk=reg.pk).update(cancelled_at=at)
    return reg


@pytest.fixture
def boundary(settings):
    settings.RETENTION_YEARS = 2
    cutoff = dt.datetime(2024, 12, 7, 3, 0, tzinfo=dt.UTC)  # NOW - 2 years
    return {
        "over": cancelled(cutoff - dt.timedelta(seconds=1)),
        "exact": cancelled(cutoff),
        "under": cancelled(cutoff + dt.timedelta(seconds=1)),
        "active": RegistrationFactory(registered_at=cutoff - dt.timedelta(days=900)),
        # cancelled before cancelled_at was recorded: registered_at counts
        "legacy": RegistrationFactory(status="CANCELLED", registered_at=cutoff - dt.timedelta(days=1)),
    }


def _anonymised(boundary) -> set[str]:
    ids = set(Registration.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True))
    return {name for name, reg in boundary.items() if reg.pk in ids}


def test_retention_anonymises_just_over_n_years_only(boundary):
    Registration.objects.filter(pk=boundary["legacy"].pk).update(cancelled_at=None)
    result = services.retention_apply(now=NOW)
    assert _anonymised(boundary) == {"over", "legacy"}
    assert (result["due"], result["anonymised"]) == (2, 2)


def test_retention_years_setting_is_used(boundary, settings):
    settings.RETENTION_YEARS = 3
    assert services.retention_apply(now=NOW)["anonymised"] == 0
    assert _anonymised(boundary) == set()


def test_dry_run_writes_nothing(boundary, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    audit_before = AuditEvent.objects.count()
    out, _err = run("apply_retention", "--dry-run")
    assert "would anonymise 2" in out
    assert _anonymised(boundary) == set()
    assert AuditEvent.objects.count() == audit_before


def test_command_anonymises_and_a_rerun_does_nothing_more(boundary, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    out, _err = run("apply_retention")
    assert "anonymised 2" in out
    first = {r.pk: r.anonymised_at for r in Registration.objects.filter(anonymised_at__isnull=False)}
    out, _err = run("apply_retention")
    assert "0 due, anonymised 0" in out
    assert {r.pk: r.anonymised_at for r in Registration.objects.filter(anonymised_at__isnull=False)} == first


def test_nightly_chain_records_the_retention_count(boundary):
    from inspections.nightly import run_nightly

    night = run_nightly(now=NOW, night=dt.date(2026, 12, 7))
    step = night.steps["retention"]
    assert step["status"] == "done"
    assert step["summary"]["anonymised"] == 2
    assert _anonymised(boundary) == {"over", "legacy"}
