"""`manage.py monthly_report`: the summary, the CSV contract, the PDF, and its errors."""

import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from reports.monthly.figures import METRIC_CODES
from tests.reports.monthly import scene


def run(*args):
    out = io.StringIO()
    call_command("monthly_report", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_csv_has_the_exact_header_and_codes_in_order(tmp_path, hanoi_point, saigon_point, officer):
    # given
    scene.build(hanoi_point, saigon_point, officer)
    path = tmp_path / "march.csv"

    # when
    out = run(scene.MONTH, "--csv", str(path))

    # then
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "metric,value"
    assert [line.split(",")[0] for line in lines[1:]] == list(METRIC_CODES)
    values = dict(line.split(",") for line in lines[1:])
    assert values["registrations"] == "5"
    assert values["fines_vnd"] == "35000000"
    assert "registrations" in out
    assert f"Wrote {path}" in out


@pytest.mark.django_db
def test_province_option_excludes_app_registrations(tmp_path, hanoi_point, saigon_point, officer):
    scene.build(hanoi_point, saigon_point, officer)
    path = tmp_path / "hn.csv"

    run(scene.MONTH, "--province", "001", "--csv", str(path))

    values = dict(line.split(",") for line in path.read_text().splitlines()[1:])
    assert values["registrations"] == "3"
    assert values["flagged.INCOMPLETE_RECORD"] == "0"  # the APP registration's flag


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "phrases"),
    [
        (
            "en",
            [
                "Monthly compliance report, 03/2026",
                "Legal basis",
                "Decree 13/2023",
                "35,000,000",
                "Directive 11/CT-BTTTT",
            ],
        ),
        # rule names from the rules catalogue, the rest from the message catalogue (diacritics intact)
        (
            "vi",
            [
                "Báo cáo tuân thủ tháng 03/2026",
                "Thông tin thuê bao không đầy đủ",
                "Thiếu ảnh chân dung hoặc ảnh giấy tờ",
                "35.000.000 ₫",
                "Chỉ thị 11/CT-BTTTT",
            ],
        ),
    ],
)
def test_pdf_in_each_language(tmp_path, hanoi_point, saigon_point, officer, lang, phrases):
    # given
    scene.build(hanoi_point, saigon_point, officer)
    path = tmp_path / f"march-{lang}.pdf"

    # when
    run(scene.MONTH, "--lang", lang, "--pdf", str(path))

    # then
    reader = PdfReader(path)
    assert len(reader.pages) == 3  # the figures (with the campaigns' section since issue 16) and the trend
    text = "\n".join(page.extract_text() for page in reader.pages)
    for phrase in phrases:
        assert phrase in text, phrase
    # and the 12-month trend, ending with the month
    assert ("12-month trend" if lang == "en" else "Xu hướng 12 tháng") in text
    assert "2025-04" in text
    assert "2026-03" in text
    assert "subject_requests_on_time" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2026-13"], "not a month"),
        (["March"], "not a month"),
        (["2026-03", "--province", "999"], "Unknown province code(s): 999"),
        (["2026-03", "--province", "001", "--province", "ABC"], "ABC"),
    ],
)
def test_bad_input_exits_with_a_message_and_writes_nothing(tmp_path, args, message):
    path = tmp_path / "x.csv"

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(*args, "--csv", str(path))

    assert not path.exists()


@pytest.mark.django_db
def test_unknown_language_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        run("2026-03", "--lang", "fr")


@pytest.mark.django_db
def test_an_unwritable_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        run("2026-03", "--csv", str(tmp_path / "missing-dir" / "x.csv"))
