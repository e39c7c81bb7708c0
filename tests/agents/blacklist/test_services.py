"""The blacklist's writes: an entry is made whenever an agent becomes TERMINATED (the app, the API, an import,
an approved sanction), holding keyed hashes only; managers list by hand and lift with a reason, in their
provinces; nobody else does."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from agents import services
from agents.blacklist import keys
from agents.blacklist import services as blacklist
from agents.blacklist.models import BlacklistEntry, BlacklistKey
from agents.importers import AGENT_COLUMNS, import_agents
from agents.models import Status
from core.models import AuditEvent
from core.roles import Role
from tests.agents.factories import PHONE, TAX_CODE, AgentFactory, PointFactory

pytestmark = pytest.mark.django_db

OWNER = ("CCCD", "001090012345")
POINT_PHONE = "+84987654321"


def dealer(**overrides):
    values = {
        "tax_code": TAX_CODE,
        "phone": PHONE,
        "owner_id_doc_type": OWNER[0],
        "owner_id_doc_number": OWNER[1],
    }
    return AgentFactory(**{**values, **overrides})


def kinds(entry) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key in entry.keys.all():
        found.setdefault(key.kind, set()).add(key.key)
    return found


# --- keys ---------------------------------------------------------------------------------------------


def test_one_phone_number_written_three_ways_has_one_key():
    assert keys.phone_key("0912 345 678") == keys.phone_key("84912345678") == keys.phone_key("+84912345678")
    assert keys.phone_key("+84912345679") != keys.phone_key("+84912345678")


def test_a_tax_code_is_keyed_on_its_digits_and_a_branch_is_another_code():
    assert keys.tax_code_key("0100109106-001") == keys.tax_code_key("0100109106001")
    assert keys.tax_code_key("0100109106") != keys.tax_code_key("0100109106-001")


def test_an_owner_document_is_its_type_and_normalised_number():
    assert keys.owner_key("CCCD", "001 090.012-345") == keys.owner_key("CCCD", "001090012345")
    assert keys.owner_key("CMND", "001090012345") != keys.owner_key("CCCD", "001090012345")
    assert keys.owner_key("", "001090012345") == "" == keys.owner_key("CCCD", "")


def test_an_agent_and_a_point_keep_their_keys_beside_their_values():
    # given
    point = PointFactory(agent=dealer(), phone=POINT_PHONE, owner_id_doc_type="CMND", owner_id_doc_number="123456789")
    agent = point.agent
    # then
    assert agent.tax_code_key == keys.tax_code_key(TAX_CODE)
    assert agent.phone_key == keys.phone_key(PHONE)
    assert agent.owner_id_doc_key == keys.owner_key(*OWNER)
    assert point.phone_key == keys.phone_key(POINT_PHONE)
    assert point.owner_id_doc_key == keys.owner_key("CMND", "123456789")


def test_an_update_of_a_phone_through_the_service_updates_its_key(officer):
    # given
    agent = dealer()
    # when
    services.agent_update(agent=agent, actor=officer, phone="0987654321")
    # then
    agent.refresh_from_db()
    assert agent.phone_key == keys.phone_key("+84987654321")


def test_the_owner_document_needs_its_type_and_its_number_together(officer):
    agent = dealer()
    with pytest.raises(ValidationError) as caught:
        services.agent_update(agent=agent, actor=officer, owner_id_doc_number="")
    assert "owner_id_doc_number" in caught.value.message_dict


def test_an_audit_row_of_an_owner_document_change_holds_no_number(officer):
    # given
    agent = dealer()
    # when
    services.agent_update(agent=agent, actor=officer, owner_id_doc_number="079090054321")
    # then
    event = AuditEvent.objects.filter(action="agent.update").latest("id")
    assert "079090054321" not in str(event.fields)
    assert "001090012345" not in str(event.fields)


# --- listed on termination, by every path ---------------------------------------------------------------


def test_terminating_an_agent_in_the_app_lists_its_tax_code_phones_and_owners(officer):
    # given
    agent = dealer()
    PointFactory(agent=agent, phone=POINT_PHONE, owner_id_doc_type="CMND", owner_id_doc_number="123456789")
    # when
    services.agent_terminate(agent=agent, reason="Pre-activated SIMs sold", actor=officer)
    # then
    entry = BlacklistEntry.objects.get(agent=agent)
    assert entry.source == BlacklistEntry.Source.TERMINATION
    assert (entry.agent_code, entry.agent_name, entry.province_id) == (agent.code, agent.name, agent.province_id)
    assert entry.reason == "Pre-activated SIMs sold"
    assert entry.listed_by == officer
    assert kinds(entry) == {
        BlacklistKey.Kind.TAX_CODE: {keys.tax_code_key(TAX_CODE)},
        BlacklistKey.Kind.PHONE: {keys.phone_key(PHONE), keys.phone_key(POINT_PHONE)},
        BlacklistKey.Kind.OWNER_ID: {keys.owner_key(*OWNER), keys.owner_key("CMND", "123456789")},
    }
    assert entry.state == BlacklistEntry.State.ACTIVE


def test_an_entry_runs_three_years_by_default_and_the_setting_changes_it(officer):
    # given
    first, second = dealer(), dealer()
    # when
    services.agent_terminate(agent=first, reason="Fraud", actor=officer)
    with override_settings(BLACKLIST_YEARS=5):
        services.agent_terminate(agent=second, reason="Fraud", actor=officer)
    # then
    for agent, years in ((first, 3), (second, 5)):
        entry = BlacklistEntry.objects.get(agent=agent)
        assert entry.expires_at == entry.listed_at.replace(year=entry.listed_at.year + years)


def test_an_entry_holds_no_value_in_clear_and_its_audit_row_no_value_at_all(officer):
    # given
    agent = dealer()
    # when
    services.agent_terminate(agent=agent, reason="Fraud", actor=officer)
    # then
    entry = BlacklistEntry.objects.get(agent=agent)
    stored = " ".join(f"{k.key} {k.masked}" for k in entry.keys.all())
    for value in (TAX_CODE, PHONE, "912345678", OWNER[1]):
        assert value not in stored
    event = AuditEvent.objects.get(action="blacklist.list")
    assert event.object_id == str(entry.pk)
    text = str(event.fields)
    assert all(k.masked not in text and k.key not in text for k in entry.keys.all())


def test_an_agent_without_identities_is_listed_with_no_keys(officer):
    agent = dealer(tax_code="", phone="", owner_id_doc_type="", owner_id_doc_number="")
    services.agent_terminate(agent=agent, reason="Fraud", actor=officer)
    assert BlacklistEntry.objects.get(agent=agent).keys.count() == 0


def test_suspending_an_agent_or_terminating_a_point_lists_nothing(officer):
    # given
    point = PointFactory(agent=dealer())
    # when
    services.agent_suspend(agent=point.agent, reason="Inquiry", actor=officer)
    services.point_terminate(point=point, reason="Closed", actor=officer)
    # then
    assert not BlacklistEntry.objects.exists()


def test_an_agent_created_terminated_is_listed(officer, make_user):
    # when
    agent = services.agent_create(
        actor=officer,
        status=Status.TERMINATED,
        code="AGX",
        name="Returned dealer",
        kind="AUTHORISED",
        tax_code=TAX_CODE,
        province=AgentFactory().province,
    )
    # then
    assert BlacklistEntry.objects.filter(agent=agent, source=BlacklistEntry.Source.TERMINATION).count() == 1


def test_an_import_that_terminates_an_agent_lists_it_with_the_file_line_as_reason():
    # given
    agent = dealer(code="AG7")
    row = f"AG7,{agent.name},AUTHORISED,,{TAX_CODE},{PHONE},001,TERMINATED,HD-7,2025-01-01,"
    csv = io.BytesIO((",".join(AGENT_COLUMNS) + "\n" + row + "\n").encode())
    # when
    import_agents(csv, actor=None, file_name="agents.csv")
    # then
    entry = BlacklistEntry.objects.get(agent=agent)
    assert "agents.csv" in entry.reason
    assert kinds(entry)[BlacklistKey.Kind.TAX_CODE] == {keys.tax_code_key(TAX_CODE)}
    assert kinds(entry)[BlacklistKey.Kind.OWNER_ID] == {keys.owner_key(*OWNER)}  # kept from the app


def test_an_import_keys_the_tax_code_and_phone_it_writes():
    # given
    row = "AG8,New dealer,AUTHORISED,,0100109106-001,0912 345 678,001,ACTIVE,HD-8,2025-01-01,"
    csv = io.BytesIO((",".join(AGENT_COLUMNS) + "\n" + row + "\n").encode())
    # when
    import_agents(csv, actor=None)
    # then
    agent = AgentFactory._meta.model.objects.get(code="AG8")
    assert agent.tax_code_key == keys.tax_code_key("0100109106001")
    assert agent.phone_key == keys.phone_key("+84912345678")


def test_an_approved_termination_sanction_lists_the_agent(officer, make_user):
    # given
    from inspections.models import SanctionType
    from inspections.services import sanctions
    from tests.inspections.factories import make_finding

    point = PointFactory(agent=dealer())
    sanction = sanctions.sanction_propose(
        finding=make_finding(point),
        sanction_type=SanctionType.objects.get(code="terminate-agent"),
        note="Pre-activated SIMs",
        actor=officer,
    )
    # when
    sanctions.sanction_approve(sanction=sanction, actor=make_user(Role.MANAGER, username="boss"))
    # then
    assert BlacklistEntry.objects.filter(agent=point.agent, source=BlacklistEntry.Source.TERMINATION).count() == 1


def test_terminating_through_the_api_lists_the_agent(integration, officer):
    # given
    from rest_framework.test import APIClient

    agent = dealer()
    client = APIClient()
    client.force_authenticate(officer)
    # when
    response = client.post(reverse("api:agent_terminate", args=[agent.pk]), {"reason": "Fraud"})
    # then
    assert response.status_code in (200, 201, 204), response.content
    assert BlacklistEntry.objects.filter(agent=agent).count() == 1


# --- by hand, and lifting --------------------------------------------------------------------------------


def test_a_manager_lists_an_agent_by_hand_with_a_reason(manager):
    # given
    agent = dealer()
    # when
    entry = blacklist.blacklist_add(agent=agent, reason="Owner convicted of SIM fraud", actor=manager)
    # then
    assert entry.source == BlacklistEntry.Source.MANUAL
    assert entry.listed_by == manager
    assert entry.state == BlacklistEntry.State.ACTIVE
    assert AuditEvent.objects.filter(action="blacklist.list", object_id=str(entry.pk)).exists()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.INSPECTOR, Role.INTEGRATION])
def test_only_managers_list_by_hand(make_user, role):
    with pytest.raises(PermissionDenied):
        blacklist.blacklist_add(agent=dealer(), reason="Fraud", actor=make_user(role, username=f"u-{role}"))
    assert not BlacklistEntry.objects.exists()


def test_a_manager_of_another_province_cannot_list_an_agent(make_user):
    manager = make_user(Role.MANAGER, username="south", provinces=["079"])
    with pytest.raises(PermissionDenied):
        blacklist.blacklist_add(agent=dealer(province_code="001"), reason="Fraud", actor=manager)


def test_listing_by_hand_needs_a_reason_and_an_agent_not_listed_already(manager):
    agent = dealer()
    with pytest.raises(ValidationError) as caught:
        blacklist.blacklist_add(agent=agent, reason="  ", actor=manager)
    assert "reason" in caught.value.message_dict
    blacklist.blacklist_add(agent=agent, reason="Fraud", actor=manager)
    with pytest.raises(ValidationError) as caught:
        blacklist.blacklist_add(agent=agent, reason="Fraud again", actor=manager)
    assert "agent" in caught.value.message_dict
    assert BlacklistEntry.objects.count() == 1


def test_a_terminated_agent_already_listed_by_hand_is_not_listed_twice(manager, officer):
    agent = dealer()
    blacklist.blacklist_add(agent=agent, reason="Fraud", actor=manager)
    services.agent_terminate(agent=agent, reason="Fraud", actor=officer)
    assert BlacklistEntry.objects.filter(agent=agent).count() == 1


def test_a_manager_lifts_an_entry_with_a_reason_audited(manager, officer):
    # given
    agent = dealer()
    services.agent_terminate(agent=agent, reason="Fraud", actor=officer)
    entry = BlacklistEntry.objects.get(agent=agent)
    # when
    blacklist.blacklist_lift(entry=entry, reason="Court annulled the termination", actor=manager)
    # then
    entry.refresh_from_db()
    assert entry.state == BlacklistEntry.State.LIFTED
    assert (entry.lifted_by, entry.lift_reason) == (manager, "Court annulled the termination")
    event = AuditEvent.objects.get(action="blacklist.lift")
    assert event.reason == "Court annulled the termination"
    assert not BlacklistEntry.objects.active().exists()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.INSPECTOR, Role.INTEGRATION])
def test_only_managers_lift(make_user, manager, role):
    entry = blacklist.blacklist_add(agent=dealer(), reason="Fraud", actor=manager)
    with pytest.raises(PermissionDenied):
        blacklist.blacklist_lift(entry=entry, reason="Mistake", actor=make_user(role, username=f"u-{role}"))
    entry.refresh_from_db()
    assert entry.lifted_at is None


def test_a_manager_of_another_province_cannot_lift(manager, make_user):
    entry = blacklist.blacklist_add(agent=dealer(province_code="001"), reason="Fraud", actor=manager)
    with pytest.raises(PermissionDenied):
        blacklist.blacklist_lift(
            entry=entry, reason="Mistake", actor=make_user(Role.MANAGER, username="south", provinces=["079"])
        )


def test_lifting_needs_a_reason_and_an_entry_still_in_force(manager):
    entry = blacklist.blacklist_add(agent=dealer(), reason="Fraud", actor=manager)
    with pytest.raises(ValidationError):
        blacklist.blacklist_lift(entry=entry, reason="", actor=manager)
    blacklist.blacklist_lift(entry=entry, reason="Mistake", actor=manager)
    with pytest.raises(ValidationError):
        blacklist.blacklist_lift(entry=entry, reason="Again", actor=manager)
    expired = blacklist.blacklist_add(agent=dealer(), reason="Fraud", actor=manager)
    BlacklistEntry.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        blacklist.blacklist_lift(entry=expired, reason="Late", actor=manager)
    assert AuditEvent.objects.filter(action="blacklist.lift").count() == 1


def test_an_entry_listed_on_29_february_ends_on_1_march():
    listed = dt.datetime(2028, 2, 29, 10, 0, tzinfo=dt.UTC)
    assert blacklist.expiry_from(listed, 3) == dt.datetime(2031, 3, 1, 10, 0, tzinfo=dt.UTC)
