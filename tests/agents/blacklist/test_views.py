"""Blacklist pages: the list (filters, keyset pages, masked, a query count that does not grow), an entry with
its identities and history, a manager's lift and add forms with clear errors; scope and roles are in
tests/test_access_matrix.py."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.blacklist import services as blacklist
from agents.blacklist import views
from agents.blacklist.models import BlacklistEntry
from core.models import AuditEvent
from core.roles import Role
from tests.agents.factories import TAX_CODE, AgentFactory, PointFactory

pytestmark = pytest.mark.django_db

LIST = reverse("agents:blacklist_list")
ADD = reverse("agents:blacklist_add")


def listed(**kwargs) -> BlacklistEntry:
    agent = AgentFactory(status="TERMINATED", owner_id_doc_type="CCCD", owner_id_doc_number="001090012345", **kwargs)
    PointFactory(agent=agent, phone="+84911222333")
    return blacklist.blacklist_on_termination(agent_ids=[agent.pk], reason="Pre-activated SIMs")[0]


def test_the_list_shows_entries_in_scope_with_their_state(client, make_user):
    # given
    hanoi, saigon = listed(province_code="001"), listed(province_code="079")
    lifted = listed(province_code="001")
    BlacklistEntry.objects.filter(pk=lifted.pk).update(lifted_at=timezone.now(), lift_reason="x")
    client.force_login(make_user(Role.AUDITOR, provinces=["001"], username="hn-auditor"))
    # when
    response = client.get(LIST)
    # then
    assert response.status_code == 200
    shown = {e.pk for e in response.context["page"].items}
    assert shown == {hanoi.pk, lifted.pk}
    assert saigon.agent_code not in response.content.decode()
    assert client.get(LIST, {"state": "LIFTED"}).context["page"].items == [BlacklistEntry.objects.get(pk=lifted.pk)]
    assert [e.pk for e in client.get(LIST, {"state": "ACTIVE"}).context["page"].items] == [hanoi.pk]
    assert [e.pk for e in client.get(LIST, {"q": hanoi.agent_code}).context["page"].items] == [hanoi.pk]


def test_the_list_pages_by_keyset_and_its_queries_do_not_grow_with_rows(client, officer, monkeypatch):
    # given
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    listed()
    client.force_login(officer)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(7):
        listed()
    # when
    with CaptureQueriesContext(connection) as many:
        first = client.get(LIST)
    second = client.get(f"{LIST}?{first.context['page'].next_query}")
    # then
    assert len(first.context["page"].items) == 3
    assert len(second.context["page"].items) == 3
    assert not {e.pk for e in first.context["page"].items} & {e.pk for e in second.context["page"].items}
    assert len(many.captured_queries) == len(few.captured_queries)
    assert " OFFSET " not in " ".join(q["sql"].upper() for q in many.captured_queries)


def test_an_entry_shows_its_identities_masked_and_its_history(client, officer):
    # given
    entry = listed()
    client.force_login(officer)
    # when
    response = client.get(reverse("agents:blacklist_detail", args=[entry.pk]))
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "010*****06" in body  # the tax code, masked
    assert TAX_CODE not in body
    assert "001090012345" not in body
    assert "+84911222333" not in body
    assert 'data-testid="blacklist-history"' in body
    assert 'data-testid="blacklist-lift"' not in body  # officers do not lift


def test_a_manager_lifts_an_entry_from_its_page_with_a_reason(client, manager):
    # given
    entry = listed()
    client.force_login(manager)
    url = reverse("agents:blacklist_lift", args=[entry.pk])
    # when: no reason
    refused = client.post(url, {"reason": " "})
    # then
    assert refused.status_code == 400
    assert refused.context["form"].errors["reason"]
    # when
    response = client.post(url, {"reason": "Court annulled the termination"})
    # then
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.lift_reason == "Court annulled the termination"
    page = client.get(reverse("agents:blacklist_detail", args=[entry.pk])).content.decode()
    assert "Court annulled the termination" in page
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 400
    assert AuditEvent.objects.filter(action="blacklist.lift").count() == 1


def test_a_manager_adds_an_agent_by_its_code(client, manager):
    # given
    agent = AgentFactory(code="SUSPECT-1")
    client.force_login(manager)
    # when
    response = client.post(ADD, {"agent_code": "SUSPECT-1", "reason": "Owner convicted", "years": "5"})
    # then
    assert response.status_code == 302
    entry = BlacklistEntry.objects.get(agent=agent)
    assert entry.source == BlacklistEntry.Source.MANUAL
    assert entry.expires_at.year - entry.listed_at.year == 5


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"agent_code": "NOPE", "reason": "x"}, "agent_code"),
        ({"agent_code": "SUSPECT-1", "reason": ""}, "reason"),
        ({"agent_code": "SUSPECT-1", "reason": "x", "years": "11"}, "years"),
    ],
)
def test_the_add_form_says_what_is_wrong_and_writes_nothing(client, manager, data, field):
    AgentFactory(code="SUSPECT-1")
    client.force_login(manager)
    response = client.post(ADD, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not BlacklistEntry.objects.exists()


def test_adding_an_agent_of_another_province_reads_as_no_such_agent(client, make_user):
    AgentFactory(code="SG-9", province_code="079")
    client.force_login(make_user(Role.MANAGER, provinces=["001"], username="hn-manager"))
    response = client.post(ADD, {"agent_code": "SG-9", "reason": "x"})
    assert response.status_code == 400
    assert response.context["form"].errors["agent_code"]
    assert not BlacklistEntry.objects.exists()


def test_adding_an_agent_already_listed_is_refused_on_the_code(client, manager):
    entry = listed()
    client.force_login(manager)
    response = client.post(ADD, {"agent_code": entry.agent_code, "reason": "again"})
    assert response.status_code == 400
    assert response.context["form"].errors["agent_code"]


def test_an_expired_entry_shows_as_expired_and_offers_no_lift(client, manager):
    entry = listed()
    BlacklistEntry.objects.filter(pk=entry.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    client.force_login(manager)
    response = client.get(reverse("agents:blacklist_detail", args=[entry.pk]))
    assert response.context["entry"].state == BlacklistEntry.State.EXPIRED
    assert 'data-testid="blacklist-lift"' not in response.content.decode()


# --- the owner's ID document on the agent and point forms --------------------------------------------


def test_the_agent_form_takes_the_owners_document_and_never_shows_its_number_back(client, officer):
    # given
    agent = AgentFactory(code="OWN-1", owner_id_doc_type="CCCD", owner_id_doc_number="001090012345")
    client.force_login(officer)
    url = reverse("agents:agent_edit", args=[agent.pk])
    # when
    page = client.get(url).content.decode()
    # then: the number is not on the page, its masked form is
    assert "001090012345" not in page
    assert "00********45" in page
    # when: saved with the number left blank
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "province": agent.province_id,
            "owner_id_doc_type": "CCCD",
            "owner_id_doc_number": "",
            "authorised_from": "2025-01-01",
            "name": "Renamed",
        }
    )
    response = client.post(url, data)
    # then: the number on record is kept
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    agent.refresh_from_db()
    assert agent.owner_id_doc_number == "001090012345"
    assert agent.name == "Renamed"


def test_a_point_takes_a_phone_and_an_owners_document_through_its_form(client, officer):
    # given
    point = PointFactory(code="OWN-P1")
    client.force_login(officer)
    url = reverse("agents:point_edit", args=[point.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "province": point.province_id,
            "agent_code": point.agent.code,
            "opens_at": "08:00",
            "closes_at": "21:00",
            "authorised_from": "2025-01-01",
            "phone": "0386 111 222",
            "owner_id_doc_type": "CMND",
            "owner_id_doc_number": "123456789",
        }
    )
    # when
    response = client.post(url, data)
    # then
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    point.refresh_from_db()
    assert point.phone == "+84386111222"
    assert point.owner_id_doc_number == "123456789"
    assert point.owner_id_doc_key


def test_an_owners_number_without_its_type_is_refused_on_the_form(client, officer):
    point = PointFactory(code="OWN-P2")
    client.force_login(officer)
    url = reverse("agents:point_edit", args=[point.pk])
    data = {k: v for k, v in client.get(url).context["form"].initial.items() if v is not None}
    data.update(
        {
            "province": point.province_id,
            "agent_code": point.agent.code,
            "opens_at": "08:00",
            "closes_at": "21:00",
            "authorised_from": "2025-01-01",
            "owner_id_doc_number": "123456789",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["owner_id_doc_type"]


def test_a_listed_agents_page_shows_its_entry_and_a_manager_may_list_another(client, manager):
    # given
    entry = listed()
    other = AgentFactory(owner_id_doc_type="CCCD", owner_id_doc_number="001090099999")
    client.force_login(manager)
    # when
    page = client.get(reverse("agents:agent_detail", args=[entry.agent_id])).content.decode()
    other_page = client.get(reverse("agents:agent_detail", args=[other.pk])).content.decode()
    # then
    assert reverse("agents:blacklist_detail", args=[entry.pk]) in page
    assert 'data-testid="agent-blacklist-add"' in other_page
    assert "001090099999" not in other_page
    assert "CCCD 00********99" in other_page


def test_an_officer_sees_the_entry_but_no_add_button(client, officer):
    entry = listed()
    client.force_login(officer)
    page = client.get(reverse("agents:agent_detail", args=[entry.agent_id]))
    body = page.content.decode()
    assert 'data-testid="agent-blacklist"' in body
    assert 'data-testid="agent-blacklist-add"' not in body


# --- the read API ------------------------------------------------------------------------------------


def test_the_api_lists_entries_in_scope_masked_without_keys(client, make_user):
    # given
    hanoi, saigon = listed(province_code="001"), listed(province_code="079")
    client.force_login(make_user(Role.AUDITOR, provinces=["001"], username="api-auditor"))
    # when
    body = client.get(reverse("api:blacklist_list")).json()
    detail = client.get(reverse("api:blacklist_detail", args=[hanoi.pk]))
    # then
    assert [row["agent_code"] for row in body["results"]] == [hanoi.agent_code]
    identities = body["results"][0]["identities"]
    assert {i["kind"] for i in identities} == {"TAX_CODE", "PHONE", "OWNER_ID"}
    text = str(body)
    assert TAX_CODE not in text
    assert all(key.key not in text for key in hanoi.keys.all())
    assert detail.json()["state"] == "ACTIVE"
    assert client.get(reverse("api:blacklist_detail", args=[saigon.pk])).status_code == 404
