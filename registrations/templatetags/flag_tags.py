"""Rules in the reader's language: Rule rows hold an English and a Vietnamese name and description."""

import re

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy

from registrations.checks.rules.catalogue import BY_CODE

register = template.Library()
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _vietnamese() -> bool:
    return (get_language() or "").lower().startswith("vi")


@register.filter
def rule_name(rule) -> str:
    """A Rule, or a row of checks.selectors.rule_counts (a dict with code, name_en, name_vi)."""
    if isinstance(rule, dict):
        return (rule.get("name_vi") if _vietnamese() else rule.get("name_en")) or rule.get("name_en") or rule["code"]
    return (rule.name_vi if _vietnamese() else rule.name_en) or rule.name_en or rule.code


@register.filter
def rule_code_name(code: str) -> str:
    """A rule's name from its code alone (a check run's per-rule counts keep codes): the catalogue's name in the
    reader's language; a code it does not know, as it is."""
    shipped = BY_CODE.get(code)
    if not shipped:
        return code
    return (shipped["name_vi"] if _vietnamese() else shipped["name_en"]) or code


@register.filter
def rule_description(rule) -> str:
    """The description in the reader's language with the rule's current parameters filled in (issue 13)."""
    text = (rule.description_vi if _vietnamese() else rule.description_en) or rule.description_en
    defaults = BY_CODE.get(rule.code, {}).get("parameters", {})
    return fill_parameters(text, {**defaults, **(rule.parameters or {})})


def fill_parameters(text: str, parameters: dict) -> str:
    """`{name}` -> the parameter's value, formatted for the reader's language; an unknown name stays as it is."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in parameters:
            return match.group(0)
        return number_format(parameters[name], use_l10n=True, force_grouping=True)

    return PLACEHOLDER.sub(value, text or "")


@register.filter
def get_item(mapping, key):
    """{{ labels|get_item:row.pk }}"""
    return mapping.get(key, "") if mapping else ""


# What the check runner writes into a flag's history (registrations/checks/runner.py), stored as written
# (English, like a code) and shown in the reader's language (issue 13).
_SYSTEM_REASONS = [
    (re.compile(r"^Raised by version (\d+) of the rule\.$"), gettext_lazy("Raised by version %(v)s of the rule.")),
    # registrations.checks.recording.RAISED_ON_SAVE: BLACKLISTED_AGENT judged as an agent or a point is saved
    (
        re.compile(r"^Raised by version (\d+) of the rule when the record was saved\.$"),
        gettext_lazy("Raised by version %(v)s of the rule when the record was saved."),
    ),
    # registrations.checks.recording.RAISED_ON_BLACKLIST: judged as a blacklist entry is listed
    (
        re.compile(r"^Raised by version (\d+) of the rule when a blacklist entry was listed\.$"),
        gettext_lazy("Raised by version %(v)s of the rule when a blacklist entry was listed."),
    ),
    (
        re.compile(r"^The rule changed \(version (\d+)\) and the condition holds\.$"),
        gettext_lazy("The rule changed (version %(v)s) and the condition holds."),
    ),
    (re.compile(r"^The condition no longer holds\.$"), gettext_lazy("The condition no longer holds.")),
    (re.compile(r"^The condition holds again\.$"), gettext_lazy("The condition holds again.")),
]


@register.filter
def flag_reason(text: str) -> str:
    """A flag event's reason: the runner's own sentences in the reader's language, a person's as typed."""
    for pattern, words in _SYSTEM_REASONS:
        match = pattern.match(text or "")
        if match:
            return str(words) % {"v": match.group(1)} if match.groups() else str(words)
    return text


@register.simple_tag
def flag_row(flag, can_review, selected_ids, tick_label):
    """One row of the flag queue (issue 15: a page of 50 rows spent most of its time resolving template
    variables cell by cell). The flag is a row of checks.selectors.queue_rows. Writes what flag_list_rows.html's
    row wrote, byte for byte (a test compares them): the tick box for a reviewer, rule, severity, status,
    subject, point, agent, last seen."""
    from core.templatetags.badges import status_badge
    from core.templatetags.display import when
    from core.templatetags.rows import display, pk_url

    from .registration_tags import severity_badge

    pk = flag.pk
    tick = ""
    if can_review:
        tick = format_html(
            '\n    <td class="tick"><input type="checkbox" name="ids" value="{}" form="bulk-review"{}'
            ' aria-label="{}"></td>',
            pk,
            mark_safe(" checked") if pk in (selected_ids or ()) else "",  # noqa: S308 - a constant
            tick_label % {"id": pk},
        )
    else:
        tick = "\n    "
    kind = ""
    if flag.subject_type != "registration":
        kind = format_html(' <span class="badge">{}</span>', display(flag, "subject_type"))
    subject_key = getattr(flag, "subject_key", None)
    rule = {"code": flag.rule_code, "name_en": flag.rule_name_en, "name_vi": flag.rule_name_vi}
    return format_html(
        '<tr data-testid="flag-row">{}\n'
        '    <td class="rule-cell"><a href="{}" title="{}">{}</a></td>\n'
        '    <td class="nowrap">{}</td>\n'
        '    <td class="nowrap">{}</td>\n'
        '    <td class="subject">{}{}</td>\n'
        '    <td class="nowrap">{}</td>\n'
        '    <td class="nowrap">{}</td>\n'
        '    <td class="nowrap">{}</td>\n'
        "  </tr>",
        tick,
        pk_url(pk, "registrations:flag_detail"),
        flag.rule_code,
        rule_name(rule),
        severity_badge(flag.severity),
        status_badge(flag.status, display(flag, "status")),
        subject_key if subject_key else flag.subject_id,
        kind,
        flag.point_code or "—",
        flag.agent_code or "—",
        when(flag.last_seen),
    )
