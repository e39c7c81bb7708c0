"""The badge tags (core.templatetags.badges) write what the included templates they replace wrote."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

# includes/risk_badge.html and status_badge.html as they were before issue 15 (one template per cell), the score
# written as the factors are since issue 13 (31, not 31,00)
OLD_RISK = (
    '{% load i18n %}{% if obj.risk_tier %}<span class="risk risk-{{ obj.risk_tier|lower }}"'
    "{% with f=obj.risk_factors %}"
    "{% if f.flags %} title=\"{% translate 'Flags' %} {{ f.flags.score|floatformat:'-2' }} · "
    "{% translate 'Findings' %} {{ f.findings.score|floatformat:'-2' }} · {% translate 'Sanctions' %} "
    "{{ f.sanctions.score|floatformat:'-2' }} · {% translate 'Without inspection' %} "
    "{{ f.uninspected.score|floatformat:'-2' }}\"{% endif %}{% endwith %}>{{ obj.get_risk_tier_display }} · "
    "{{ obj.risk_score|floatformat:'-2' }}"
    '</span>{% else %}<span class="muted">{% translate "not scored" %}</span>{% endif %}'
)
OLD_STATUS = '<span class="status status-{{ status|lower }}">{{ label }}</span>'


def _obj(tier, score, factors):
    return SimpleNamespace(
        risk_tier=tier, risk_score=score, risk_factors=factors, get_risk_tier_display=lambda: f"<{tier}>"
    )


FACTORS = {
    "flags": {"score": 12.345},
    "findings": {"score": 3},
    "sanctions": {"score": "0.005"},
    "uninspected": {"score": 2.5},
}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    "obj",
    [
        _obj("HIGH", Decimal("41.25"), FACTORS),
        _obj("LOW", Decimal("3"), {"flags": {"score": 0}, "findings": {}}),
        _obj("MEDIUM", 7, None),
        _obj("MEDIUM", Decimal("31.00"), None),
        _obj("HIGH", Decimal("60.50"), None),
        _obj("", Decimal("0"), FACTORS),
    ],
)
def test_risk_badge_writes_what_the_include_wrote(language, obj):
    with translation.override(language):
        old = Template(OLD_RISK).render(Context({"obj": obj}))
        new = Template("{% load badges %}{% risk_badge obj %}").render(Context({"obj": obj}))
    assert new == old


@pytest.mark.parametrize(("status", "label"), [("ACTIVE", "Đang hoạt động"), ("SUSPENDED", "<b>x</b>"), ("", "")])
def test_status_badge_writes_what_the_include_wrote(status, label):
    context = Context({"status": status, "label": label})
    assert Template("{% load badges %}{% status_badge status label %}").render(context) == Template(OLD_STATUS).render(
        context
    )
