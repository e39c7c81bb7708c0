"""The language of an evidence pack: each checklist answer's question in report.json is written in the pack's
language, the requester's (the header's switch kept on the account; blank: the site's, Vietnamese) for a pack
made by a worker, the site's for the command, whatever language the worker runs in; an item with no question in
that language gives the other language's (as the pages do), never a blank. manifest.json and README.txt name it."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.utils import translation

from inspections.models import ChecklistItem
from reports.evidence import services
from reports.evidence.tasks import make_pack_task
from tests.reports.evidence.factories import evidence_scene

pytestmark = pytest.mark.django_db

CAMERA_VI = "Có camera hoạt động để chụp ảnh chân dung thuê bao"
CAMERA_EN = "A working camera takes the subscriber's portrait"


@pytest.fixture
def scene(officer, inspector, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return evidence_scene(officer, inspector)


def made_by(user, subject, *, worker_language="en") -> zipfile.ZipFile:
    """The pack of `subject` asked for by `user`, made by a worker running in `worker_language`."""
    pack = services.evidence_pack_request(subject=subject, actor=user)
    with translation.override(worker_language):
        assert make_pack_task(pack.pk) == "done"
    pack.refresh_from_db()
    with pack.file.open("rb") as fh:
        return zipfile.ZipFile(io.BytesIO(fh.read()))


def questions(zf: zipfile.ZipFile, task) -> dict[str, str]:
    report = json.loads(zf.read(f"inspections/{task.pk}/report.json"))["report"]
    return {answer["item"]: answer["question"] for answer in report["answers"]}


def sanction_names(zf: zipfile.ZipFile) -> list[str]:
    rows = csv.DictReader(io.StringIO(zf.read("sanctions.csv").decode("utf-8")))
    return [row["sanction_name"] for row in rows]


def set_language(user, code: str) -> None:
    user.language = code
    user.save(update_fields=["language"])


def test_a_vietnamese_pack_writes_the_vietnamese_question(officer, scene):
    # given: an officer working in Vietnamese, the worker in English
    set_language(officer, "vi")
    # when
    zf = made_by(officer, scene.point, worker_language="en")
    # then: every answer's question is the item's Vietnamese one, diacritics intact (UTF-8, not escaped)
    asked = questions(zf, scene.task)
    assert asked["camera"] == CAMERA_VI
    items = dict(scene.task.report.template.items.values_list("code", "question_vi"))
    assert asked == {code: items[code] for code in asked}
    assert CAMERA_VI.encode("utf-8") in zf.read(f"inspections/{scene.task.pk}/report.json")
    assert json.loads(zf.read("manifest.json"))["language"] == "vi"
    assert "Language of the checklist questions and sanction names: Vietnamese (vi)" in zf.read("README.txt").decode()
    assert sanction_names(zf) == [scene.sanction.sanction_type.name_vi]


def test_an_english_pack_writes_the_english_question(officer, scene):
    set_language(officer, "en")
    zf = made_by(officer, scene.point, worker_language="vi")
    asked = questions(zf, scene.task)
    assert asked["camera"] == CAMERA_EN
    items = dict(scene.task.report.template.items.values_list("code", "question_en"))
    assert asked == {code: items[code] for code in asked}
    assert json.loads(zf.read("manifest.json"))["language"] == "en"
    assert "sanction names: English (en)" in zf.read("README.txt").decode()
    assert sanction_names(zf) == [scene.sanction.sanction_type.name_en]


def test_a_requester_without_a_choice_gets_the_sites_language(officer, scene, settings):
    settings.LANGUAGE_CODE = "vi"
    set_language(officer, "")
    zf = made_by(officer, scene.agent, worker_language="en")
    assert questions(zf, scene.task)["camera"] == CAMERA_VI
    assert json.loads(zf.read("manifest.json"))["language"] == "vi"


@pytest.mark.parametrize(
    ("language", "blank", "expected"),
    [("vi", "question_vi", CAMERA_EN), ("en", "question_en", CAMERA_VI)],
)
def test_a_question_blank_in_the_packs_language_falls_back_to_the_other(officer, scene, language, blank, expected):
    # given: the camera item has no question in the pack's language (an item written before both were required)
    ChecklistItem.objects.filter(template=scene.task.report.template, code="camera").update(**{blank: ""})
    set_language(officer, language)
    # when
    zf = made_by(officer, scene.point)
    # then: the other language's, never a blank
    asked = questions(zf, scene.task)
    assert asked["camera"] == expected
    assert all(asked.values())


def test_the_command_writes_the_sites_language(scene, settings, tmp_path):
    settings.LANGUAGE_CODE = "vi"
    target = tmp_path / "point.zip"
    with translation.override("en"):  # whatever the shell's
        call_command("evidence_pack", "--point", scene.point.code, str(target), stdout=io.StringIO())
    with zipfile.ZipFile(target) as zf:
        assert questions(zf, scene.task)["camera"] == CAMERA_VI
        assert json.loads(zf.read("manifest.json"))["language"] == "vi"
