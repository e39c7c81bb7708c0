"""Rules in the reader's language: Rule rows hold an English and a Vietnamese name and description."""

from django import template
from django.utils.translation import get_language

register = template.Library()


def _vietnamese() -> bool:
    return (get_language() or "").lower().startswith("vi")


@register.filter
def rule_name(rule) -> str:
    return (rule.name_vi if _vietnamese() else rule.name_en) or rule.name_en or rule.code


@register.filter
def rule_description(rule) -> str:
    return (rule.description_vi if _vietnamese() else rule.description_en) or rule.description_en


@register.filter
def get_item(mapping, key):
    """{{ labels|get_item:row.pk }}"""
    return mapping.get(key, "") if mapping else ""
