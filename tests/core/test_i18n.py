"""Vietnamese is the default language and English the other; the committed catalogue is complete and compiled.

The .po is read with a small parser of its own (polib is not a dependency), and the committed .mo is read with
Python's gettext, so these tests need no GNU gettext tools.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

import config.settings.base as base_settings

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
END_PUNCTUATION = ".:;!?…"
ABBREVIATION_AT_END = re.compile(r"\b(?:no|etc|e\.g|i\.e)\.$")  # "contract no." is not a sentence


# --- a tiny .po reader ---


def _unquote(text: str) -> str:
    # PO strings use C escapes (\n, \t, \", \\), which a Python string literal reads the same way.
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: msgctxt, msgid, msgid_plural, msgstr (singular) or msgstr[N], flags, line.

    Obsolete entries (#~) are skipped.
    """
    entries = []
    entry: dict = {}
    key = None

    def flush():
        nonlocal entry, key
        if "msgid" in entry:
            entries.append(entry)
        entry, key = {}, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if "msgid" in entry:  # a comment after a complete entry starts the next one
                flush()
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith("#"):
            if "msgid" in entry:
                flush()
            continue
        if line.startswith('"'):
            assert key is not None, f"{path}:{number}: continuation line outside an entry"
            entry[key] += _unquote(line)
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and "msgid" in entry and keyword not in entry:
            # the previous entry ended without a blank line
            flush()
        key = keyword
        entry[key] = _unquote(rest)
        entry.setdefault("line", number)
        entry.setdefault("flags", set())
    flush()
    return entries


def translations(entry: dict) -> list[str]:
    return [value for name, value in entry.items() if name == "msgstr" or name.startswith("msgstr[")]


@pytest.fixture(scope="module")
def po_entries():
    assert PO_PATH.exists(), f"{PO_PATH} is missing; run manage.py makemessages -l vi"
    return parse_po(PO_PATH)


def _label(entry: dict) -> str:
    return f"{PO_PATH.name}:{entry['line']}: {entry['msgid']!r}"


# --- pages ---


@pytest.fixture
def vi_by_default(settings):
    """The production default, pinned here so these tests hold whatever the test settings choose."""
    settings.LANGUAGE_CODE = "vi"


def test_vietnamese_is_the_default_and_english_the_other():
    assert base_settings.LANGUAGE_CODE == "vi"
    assert [code for code, _name in base_settings.LANGUAGES] == ["vi", "en"]


def test_login_page_is_vietnamese_without_a_cookie_or_browser_language(client, vi_by_default):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi"' in html
    assert "Đăng nhập" in html
    assert "Mật khẩu" in html
    assert "Sign in" not in html


def test_login_page_is_english_when_the_switch_asked_for_it(client, vi_by_default):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Sign in" in html
    assert "Password" in html
    assert "Đăng nhập" not in html


def test_an_english_browser_still_gets_vietnamese(client, vi_by_default):
    # issue 13: the operator's staff work in Vietnamese unless they choose English with the switch
    html = client.get(reverse("login"), headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert '<html lang="vi"' in html
    assert "Đăng nhập" in html
    assert "Sign in" not in html


def test_a_signed_in_users_choice_is_kept_on_the_account(client, vi_by_default, officer):
    # given: an officer who switches to English once, signed in
    client.force_login(officer)
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    officer.refresh_from_db()
    assert officer.language == "en"
    # when: they sign in from another browser (no cookie), with a Vietnamese browser
    other = Client()
    other.force_login(officer)
    html = other.get(reverse("home"), follow=True, headers={"Accept-Language": "vi"}).content.decode()
    # then: English, from the account
    assert '<html lang="en"' in html


def test_the_accounts_language_wins_over_a_stale_cookie(client, vi_by_default, officer):
    officer.language = "vi"
    officer.save(update_fields=["language"])
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("home"), follow=True).content.decode()
    assert '<html lang="vi"' in html


def test_switching_before_signing_in_does_not_touch_any_account(client, vi_by_default, officer):
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    officer.refresh_from_db()
    assert officer.language == ""


def test_vietnamese_browser_gets_vietnamese(client, vi_by_default):
    html = client.get(reverse("login"), headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}).content.decode()
    assert '<html lang="vi"' in html
    assert "Đăng nhập" in html


def test_language_switch_sticks(client, vi_by_default):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert "Sign in" in client.get(reverse("login")).content.decode()
    client.post(reverse("set_language"), {"language": "vi", "next": reverse("login")})
    assert "Đăng nhập" in client.get(reverse("login")).content.decode()


def test_home_page_of_an_officer_is_vietnamese(client, vi_by_default, officer):
    client.force_login(officer)
    html = client.get(reverse("home"), follow=True).content.decode()  # the dashboard
    assert "Tổng quan tuân thủ" in html  # Compliance overview
    assert "Cán bộ tuân thủ" in html  # the role in the header
    assert "Đăng xuất" in html  # Sign out


# --- the catalogue ---


def test_po_header_declares_vietnamese_utf8_and_one_plural_form(po_entries):
    headers = [e for e in po_entries if e["msgid"] == "" and "msgctxt" not in e]
    assert len(headers) == 1
    header = headers[0]["msgstr"]
    assert "Language: vi\n" in header
    assert "charset=UTF-8" in header
    assert "Plural-Forms: nplurals=1; plural=0;" in header
    assert "fuzzy" not in headers[0]["flags"]


def test_every_message_is_translated_and_none_is_fuzzy(po_entries):
    messages = [e for e in po_entries if e["msgid"]]
    assert messages, "the catalogue has no messages"
    untranslated = [_label(e) for e in messages if not all(t.strip() for t in translations(e))]
    fuzzy = [_label(e) for e in messages if "fuzzy" in e["flags"]]
    assert not untranslated, "Untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, "Fuzzy (check the translation, then drop the flag):\n" + "\n".join(fuzzy)


def test_plural_messages_have_exactly_one_form(po_entries):
    for entry in po_entries:
        if "msgid_plural" in entry:
            forms = sorted(name for name in entry if name.startswith("msgstr["))
            assert forms == ["msgstr[0]"], _label(entry)


def test_translations_keep_placeholders_tags_and_end_punctuation(po_entries):
    problems = []
    for entry in po_entries:
        if not entry["msgid"]:
            continue
        source = entry.get("msgid_plural", entry["msgid"])
        for text in translations(entry):
            if "python-format" in entry["flags"] and sorted(PERCENT_PLACEHOLDER.findall(text)) != sorted(
                PERCENT_PLACEHOLDER.findall(source)
            ):
                problems.append(f"{_label(entry)}: %-placeholders differ in {text!r}")
            if "python-brace-format" in entry["flags"] and sorted(BRACE_PLACEHOLDER.findall(text)) != sorted(
                BRACE_PLACEHOLDER.findall(source)
            ):
                problems.append(f"{_label(entry)}: {{}}-placeholders differ in {text!r}")
            if sorted(HTML_TAG.findall(text)) != sorted(HTML_TAG.findall(source)):
                problems.append(f"{_label(entry)}: HTML tags differ in {text!r}")
            end = source[-1:] if source[-1:] in END_PUNCTUATION and not ABBREVIATION_AT_END.search(source) else ""
            if end and not text.endswith(end):
                problems.append(f"{_label(entry)}: should end with {end!r}: {text!r}")
            # a sentence or label starts with a capital; an acronym ("ID front", next to "portrait") need not
            first_word = re.match(r"[A-Za-z]+", source)
            starts_with_acronym = first_word is not None and len(first_word[0]) > 1 and first_word[0].isupper()
            if source[:1].isupper() and not starts_with_acronym and text[:1].islower():
                problems.append(f"{_label(entry)}: should start with a capital letter: {text!r}")
            if (text[:1].isspace(), text[-1:].isspace()) != (source[:1].isspace(), source[-1:].isspace()):
                problems.append(f"{_label(entry)}: leading/trailing spaces differ in {text!r}")
    assert not problems, "\n".join(problems)


def test_committed_mo_matches_the_po(po_entries):
    """The .mo is what Django reads: it must hold every translation of the .po (recompile after editing it).

    Compared by content, not by file times, which a git checkout does not keep.
    """
    assert MO_PATH.exists(), f"{MO_PATH} is missing; run manage.py compilemessages"
    with MO_PATH.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.info().get("language") == "vi"
    stale = []
    for entry in po_entries:
        if not entry["msgid"] or not all(translations(entry)):
            continue  # the header, and untranslated messages (another test reports those)
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            expected = entry["msgstr[0]"]
            got = (
                catalogue.npgettext(context, entry["msgid"], entry["msgid_plural"], 1)
                if context is not None
                else catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 1)
            )
        else:
            expected = entry["msgstr"]
            got = (
                catalogue.pgettext(context, entry["msgid"])
                if context is not None
                else catalogue.gettext(entry["msgid"])
            )
        if got != expected:
            stale.append(f"{_label(entry)}: .mo has {got!r}, .po has {expected!r}")
    assert not stale, "django.mo is out of date; run manage.py compilemessages:\n" + "\n".join(stale)


def test_the_parser_reads_what_the_tests_rely_on(tmp_path):
    sample = tmp_path / "sample.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Language: vi\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid "Hi %(name)s"\nmsgstr "Chào %(name)s"\n\n'
        '#, fuzzy\nmsgid "Two "\n"lines"\nmsgstr ""\n\n'
        'msgctxt "menu"\nmsgid "%(n)s point"\nmsgid_plural "%(n)s points"\nmsgstr[0] "%(n)s điểm"\n\n'
        '#~ msgid "Old"\n#~ msgstr "Cũ"\n',
        encoding="utf-8",
    )
    entries = parse_po(sample)
    assert [e["msgid"] for e in entries] == ["", "Hi %(name)s", "Two lines", "%(n)s point"]
    assert entries[0]["msgstr"] == "Language: vi\n"
    assert entries[1]["flags"] == {"python-format"}
    assert entries[2]["flags"] == {"fuzzy"}
    assert entries[2]["msgstr"] == ""
    assert entries[3]["msgctxt"] == "menu"
    assert entries[3]["msgstr[0]"] == "%(n)s điểm"
