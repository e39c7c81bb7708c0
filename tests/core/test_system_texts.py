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
    assert shown.endswith(": SIM kích hoạt trước khi đăng ký thông tin thuê bao")  # the rule's name, nested too
    assert "Brought forward" not in shown


def test_what_a_person_typed_is_shown_as_typed():
    with translation.override("vi"):
        assert show_system_text("Đóng cửa sửa chữa") == "Đóng cửa sửa chữa"
        assert show_system_text("Assigned to") == "Assigned to"  # not the template: no user


def test_rule_codes_in_a_critical_flags_reason_are_shown_as_rule_names_in_the_readers_language():
    # given: the reason as the scheduler stores it, codes and all (rows written before this change too)
    stored = system_text(texts.CRITICAL_FLAGS, rules="ACTIVATED_UNREGISTERED, PREACTIVATED")
    assert stored == "Critical flag(s): ACTIVATED_UNREGISTERED, PREACTIVATED"
    # when / then
    with translation.override("vi"):
        shown = show_system_text(stored)
    assert shown.endswith(
        ": SIM đã hoạt động nhưng không có thông tin đăng ký; SIM kích hoạt trước khi đăng ký thông tin thuê bao"
    )
    assert "PREACTIVATED" not in shown
    with translation.override("en"):
        assert show_system_text(stored) == (
            "Critical flag(s): Activated SIM with no registration; SIM activated before its registration"
        )
    # a code the catalogue does not know (a rule since retired) stays as stored
    with translation.override("en"):
        assert show_system_text(system_text(texts.CRITICAL_FLAGS, rules="GONE_RULE")) == "Critical flag(s): GONE_RULE"


def test_a_user_name_that_is_also_a_word_is_shown_as_it_is():
    # the demo's field inspector is called "inspector": a word the catalogue translates ("cán bộ kiểm tra")
    stored = system_text(texts.SCHEDULER_ASSIGNED, user="inspector", province="Thành phố Hà Nội", open=2)
    with translation.override("vi"):
        assert "inspector" in show_system_text(stored)
        assert show_system_text(system_text(texts.ASSIGNED, user="inspector")).endswith(" inspector")
