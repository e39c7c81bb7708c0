"""Issue 16 follow-up: an entry listed (an agent terminated by any path, a manager's listing) or lifted judges
BLACKLISTED_AGENT at once for the agents and points, not terminated, that carry one of its keys (tax code, phone,
owner's document), through the same after-commit hook as a save, with no check run. A near miss stays quiet, a
later full run finds the same flags (never a second one), and a listing that rolls back judges nothing."""

import io
import json

import pytest
from django.db import transaction
from django.utils import translation

from agents import services as agent_services
from agents.blacklist import services as blacklist
from agents.blacklist.models import BlacklistEntry
from agents.importers import AGENT_COLUMNS, import_agents
from agents.models import Agent
from core.models import AuditEvent
from registrations.checks.runner import run_checks
from registrations.models import CheckRun, Flag, FlagEvent, FlagStatus
from registrations.templatetags.flag_tags import flag_reason
from tests.agents.factories import AgentFactory, PointFactory

pytestmark = pytest.mark.django_db

CODE = "BLACKLISTED_AGENT"
TAX = "0100109106"
PHONE = "+84912345678"
OWNER = ("CCCD", "001090012345")


def flags() -> set[tuple[str, int]]:
    return {
        (f.subject_type, f.subject_id)
        for f in Flag.objects.filter(rule__code=CODE, status__in=[FlagStatus.OPEN, FlagStatus.CONFIRMED])
    }


@pytest.fixture
def old() -> Agent:
    """A dealer about to be terminated or listed (Hà Nội): tax code, phone and owner's CCCD."""
    return AgentFactory(
        code="OLD-1", tax_code=TAX, phone=PHONE, owner_id_doc_type=OWNER[0], owner_id_doc_number=OWNER[1]
    )


@pytest.fixture
def matching():
    """Subjects saved (and judged clean) before the listing: an agent with the old tax code and its point, and
    a point of a clean agent whose owner holds the old owner's CCCD."""
    twin = AgentFactory(code="AG-TWIN", tax_code=TAX, phone="+84987000111")
    twin_point = PointFactory(agent=twin, code="PT-TWIN", phone="+84987000112")
    clean = AgentFactory(code="AG-CLEAN", tax_code="0101248141", phone="+84987000113")
    owner_point = PointFactory(
        agent=clean, code="PT-OWNER", phone="+84987000114", owner_id_doc_type=OWNER[0], owner_id_doc_number=OWNER[1]
    )
    return {
        ("agent", twin.pk),
        ("point", twin_point.pk),
        ("point", owner_point.pk),
    }


# --- listing ------------------------------------------------------------------------------------------------


def test_terminating_an_agent_flags_the_existing_agents_and_points_carrying_its_keys_at_once(
    officer, old, matching, django_capture_on_commit_callbacks
):
    # given: nothing flagged, no check run
    assert not Flag.objects.exists()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.agent_terminate(agent=old, reason="Pre-activated SIMs", actor=officer)
    # then: flagged before any check run, and the history says a listing raised them
    assert flags() == matching
    assert not CheckRun.objects.exists()
    reasons = set(FlagEvent.objects.values_list("reason", "check_run_id", "actor_id"))
    assert reasons == {("Raised by version 1 of the rule when a blacklist entry was listed.", None, None)}
    audit = AuditEvent.objects.get(action="checks.on_blacklist")
    fields = audit.fields
    assert (audit.actor_id, fields["new"], fields["agents"], fields["points"]) == (officer.pk, 3, 1, 2)


def test_a_manager_listing_an_agent_by_hand_flags_the_matching_subjects_at_once(
    manager, old, matching, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        blacklist.blacklist_add(agent=old, reason="Fraud reported by the police", actor=manager)
    # the listed agent is not flagged by its own entry, though it is active
    assert flags() == matching


def test_an_agents_csv_that_terminates_agents_judges_once_with_every_subject(
    officer, old, matching, django_capture_on_commit_callbacks, monkeypatch
):
    """One hook call for the whole file's listings, whatever its number of terminated agents (set-based)."""
    from core import registry

    other = AgentFactory(code="OLD-2", tax_code="0312345675", phone="+84933000111")
    twin_of_other = AgentFactory(code="AG-TWIN-2", tax_code="0312345675", phone="+84933000222")
    calls = []
    judge = registry.AGENTS_WRITTEN_HOOKS[CODE]

    def spy(**kwargs):
        calls.append(kwargs)
        return judge(**kwargs)

    monkeypatch.setitem(registry.AGENTS_WRITTEN_HOOKS, CODE, spy)
    rows = [
        ["OLD-1", old.name, "AUTHORISED", "", TAX, PHONE, "001", "TERMINATED", "", "", ""],
        ["OLD-2", other.name, "AUTHORISED", "", "0312345675", "+84933000111", "001", "TERMINATED", "", "", ""],
    ]
    data = io.BytesIO(("\n".join(",".join(r) for r in [AGENT_COLUMNS, *rows]) + "\n").encode())
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = import_agents(data, actor=officer)
    # then
    assert result.rejected == 0
    listing = [call for call in calls if call["cause"] == "blacklist"]
    assert len(listing) == 1
    assert listing[0]["agent_ids"] == sorted([a for t, a in matching if t == "agent"] + [twin_of_other.pk])
    assert flags() == matching | {("agent", twin_of_other.pk)}


@pytest.mark.parametrize(
    "near",
    [
        {"phone": "+84912345679"},  # one digit off
        {"phone": "+84987000999", "owner_id_doc_type": "CCCD", "owner_id_doc_number": "001090012346"},  # one digit
        {"phone": "+84987000999", "owner_id_doc_type": "CMND", "owner_id_doc_number": "001090012345"},  # other doc
        {"phone": "+84987000999", "tax_code": "0100109106-001"},  # a branch of the listed tax code
    ],
)
def test_a_near_miss_stays_quiet_when_an_entry_is_listed(officer, old, django_capture_on_commit_callbacks, near):
    near_agent = AgentFactory(code="AG-NEAR", **{"tax_code": "0101248141", **near})
    PointFactory(agent=near_agent, code="PT-NEAR", phone="+84987000998")
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.agent_terminate(agent=old, reason="Pre-activated SIMs", actor=officer)
    assert not Flag.objects.exists()
    assert not AuditEvent.objects.filter(action="checks.on_blacklist").exists()


def test_a_terminated_subject_carrying_the_keys_is_not_judged(
    officer, old, django_capture_on_commit_callbacks, monkeypatch
):
    from core import registry

    gone = AgentFactory(code="AG-GONE", tax_code=TAX, phone="+84987000777", status="TERMINATED")
    gone_point = PointFactory(agent=gone, code="PT-GONE", phone="+84987000778", status="TERMINATED")
    calls = []
    judge = registry.AGENTS_WRITTEN_HOOKS[CODE]
    monkeypatch.setitem(registry.AGENTS_WRITTEN_HOOKS, CODE, lambda **kw: calls.append(kw) or judge(**kw))
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.agent_terminate(agent=old, reason="Pre-activated SIMs", actor=officer)
    assert not [c for c in calls if gone.pk in c["agent_ids"] or gone_point.pk in c["point_ids"]]
    assert not Flag.objects.exists()


def test_the_next_full_run_finds_the_same_flags_and_raises_none_of_its_own(
    officer, old, matching, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.agent_terminate(agent=old, reason="Pre-activated SIMs", actor=officer)
    before = set(Flag.objects.values_list("pk", "subject_type", "subject_id"))
    # when
    run = run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    # then
    counts = run.results[CODE]
    assert (counts["new"], counts["reopened"], counts["resolved"], counts["still_open"]) == (0, 0, 0, 3)
    assert set(Flag.objects.values_list("pk", "subject_type", "subject_id")) == before
    assert not FlagEvent.objects.filter(check_run=run).exists()


def test_a_listing_that_rolls_back_judges_nothing(officer, old, matching, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        agent_services.agent_terminate(agent=old, reason="Pre-activated SIMs", actor=officer)
        raise RuntimeError("rolled back")
    assert not BlacklistEntry.objects.exists()
    assert not Flag.objects.exists()


def test_a_critical_flag_raised_by_a_listing_is_announced_with_its_source(
    officer, old, matching, django_capture_on_commit_callbacks, monkeypatch
):
    from core import events

    published = []
    monkeypatch.setattr(events, "publish", lambda event_type, data: published.append((event_type, data)))
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.agent_terminate(agent=old, reason="Pre-activated SIMs", actor=officer)
    ((event_type, data),) = published
    assert event_type == "flags.critical_raised"
    assert (data["source"], data["check_run"], data["total"]) == ("blacklist", None, 3)
    json.dumps(data)


# --- lifting ------------------------------------------------------------------------------------------------


def test_lifting_the_entry_resolves_the_flags_it_raised_at_once(
    officer, manager, old, matching, django_capture_on_commit_callbacks
):
    # given: flagged by the listing
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.agent_terminate(agent=old, reason="Pre-activated SIMs", actor=officer)
    assert flags() == matching
    # when
    with django_capture_on_commit_callbacks(execute=True):
        blacklist.blacklist_lift(entry=BlacklistEntry.objects.get(agent=old), reason="Court annulled", actor=manager)
    # then: resolved before any check run; a full run agrees
    assert flags() == set()
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.RESOLVED}
    assert not CheckRun.objects.exists()
    assert AuditEvent.objects.filter(action="checks.on_blacklist", actor=manager).get().fields["resolved"] == 3
    run = run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    assert (run.results[CODE]["new"], run.results[CODE]["resolved"], run.results[CODE]["reopened"]) == (0, 0, 0)


def test_lifting_one_entry_keeps_the_flag_of_a_subject_another_entry_still_matches(
    officer, manager, old, matching, django_capture_on_commit_callbacks
):
    # given: a second listed agent with the same owner's CCCD; both terminated
    second = AgentFactory(
        code="OLD-2", tax_code="0312345675", phone="+84933000111", owner_id_doc_type=OWNER[0],
        owner_id_doc_number=OWNER[1],
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.agent_terminate(agent=old, reason="Pre-activated SIMs", actor=officer)
        agent_services.agent_terminate(agent=second, reason="Pre-activated SIMs", actor=officer)
    # when: the first entry is lifted
    with django_capture_on_commit_callbacks(execute=True):
        blacklist.blacklist_lift(entry=BlacklistEntry.objects.get(agent=old), reason="Court annulled", actor=manager)
    # then: the point with the CCCD still matches the second entry; the tax-code twin no longer matches anything
    owner_point = {s for s in matching if s[0] == "point"} - {
        ("point", p) for p in Agent.objects.get(code="AG-TWIN").points.values_list("pk", flat=True)
    }
    assert flags() == owner_point


def test_the_listings_reason_in_the_flag_history_reads_in_the_readers_language():
    stored = "Raised by version 2 of the rule when a blacklist entry was listed."
    with translation.override("vi"):
        assert flag_reason(stored) == "Được phát hiện bởi phiên bản 2 của quy tắc khi thêm một mục vào danh sách đen."
    with translation.override("en"):
        assert flag_reason(stored) == stored
