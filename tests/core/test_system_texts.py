"""Reasons the system writes into records are stored once (English) and shown in the reader's language
(issue 13: a Vietnamese night stored Vietnamese reasons that English readers then saw)."""

from django.utils import translation

from core.texts import show_system_text, system_text
from inspections import texts


def test_a_system_text_is_stored_in_english_whatever_the_active_language():
    with translation.override("vi"):
        stored = system_text(texts.ASSIGNED, user="inspector")
    assert stored == "Assigned to inspector"


def test_it_is_shown_in_the_readers_language_with_its_parameters_translated_too():
    stored = system_text(texts.ROUTINE, days=30, tier="High")
    with translation.override("vi"):
        shown = show_system_text(stored)
    assert shown == "Kiểm tra định kỳ: 30 ngày một lần (mức Cao)"
    with translation.override("en"):
        assert show_system_text(stored) == stored


def test_nested_texts_and_numbers_are_shown_translated():
    inner = system_text(texts.CRITICAL_FLAGS, rules="PREACTIVATED")
    stored = system_text(texts.BROUGHT_FORWARD, reason=inner)
    with translation.override("vi"):
        shown = show_system_text(stored)
    assert shown.startswith("Được bộ lập lịch đưa lên sớm: Cảnh báo mức Nghiêm trọng:")
    assert "PREACTIVATED" in shown
    assert "Brought forward" not in shown


def test_what_a_person_typed_is_shown_as_typed():
    with translation.override("vi"):
        assert show_system_text("Đóng cửa sửa chữa") == "Đóng cửa sửa chữa"
        assert show_system_text("Assigned to") == "Assigned to"  # not the template: no user
