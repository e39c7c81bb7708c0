"""The ladder's pure arithmetic (enforcement.sanctions.ladder): rungs, the window's first day, which ladder
wins, and what makes a ladder sensible."""

import datetime as dt

import pytest

from enforcement.sanctions import ladder
from inspections.models import SanctionType

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("prior", "index"), [(0, 0), (1, 1), (3, 3), (4, 3), (40, 3)])
def test_each_earlier_finding_climbs_one_rung_and_the_top_rung_repeats(prior, index):
    assert ladder.rung_index(prior, 4) == index


def test_the_window_starts_exactly_its_length_in_days_before():
    assert ladder.window_start(dt.date(2026, 6, 15), 365) == dt.date(2025, 6, 15)
    assert ladder.window_start(dt.date(2026, 3, 1), 1) == dt.date(2026, 2, 28)


def types():
    return {t.code: t for t in SanctionType.objects.all()}


def test_the_default_ladders_are_sensible():
    point = ["warning", "fine-consumer-information", "suspend-point", "terminate-point"]
    agent = ["warning", "fine-consumer-information", "fine-private-information", "suspend-agent", "terminate-agent"]
    assert ladder.ladder_errors("POINT", point, types()) == []
    assert ladder.ladder_errors("AGENT", agent, types()) == []


@pytest.mark.parametrize(
    ("kind", "codes", "words"),
    [
        ("POINT", [], "at least one rung"),
        ("POINT", ["no-such-sanction"], "not in the sanction catalogue"),
        ("POINT", ["suspend-point", "warning"], "milder than the rung below"),
        ("POINT", ["terminate-point", "terminate-point"], "nothing can follow a termination"),
        ("POINT", ["warning", "suspend-agent"], "not to this ladder's subject"),
        ("AGENT", ["warning", "terminate-point"], "not to this ladder's subject"),
        ("POINT", ["warning"] * 7, "at most 6 rungs"),
    ],
)
def test_a_ladder_that_makes_no_sense_is_refused_with_the_reason(kind, codes, words):
    errors = ladder.ladder_errors(kind, codes, types())
    assert any(words in str(e) for e in errors), errors


def test_a_sanction_no_longer_in_use_cannot_be_a_rung():
    SanctionType.objects.filter(code="warning").update(active=False)
    assert any("no longer in use" in str(e) for e in ladder.ladder_errors("POINT", ["warning"], types()))


def test_the_agent_ladder_wins_only_when_strictly_heavier():
    t = types()
    point = ladder.Reached("POINT", 0, 4, [])
    agent = ladder.Reached("AGENT", 1, 5, [1])
    assert ladder.choose(point, agent, t["warning"], t["fine-consumer-information"])[0] is agent
    assert ladder.choose(point, agent, t["fine-consumer-information"], t["fine-consumer-information"])[0] is point
    assert ladder.choose(point, agent, t["suspend-point"], t["fine-private-information"])[0] is point
