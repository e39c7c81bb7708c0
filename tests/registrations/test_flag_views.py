"""Flag pages: who sees and reviews what, the queue's filters and counts, bulk review, CSV export,
the evidence of each rule family (masked, scoped, bounded), and the queue's constant query count."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from registrations.checks import selectors as flag_selectors
from registrations.models import Flag, FlagEvent, FlagStatus, RegistrationStatus
from registrations.validators import LOCAL_TZ
from tests.agents.factories import PointFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
REVIEWERS = {Role.OFFICER, Role.MANAGER}
REASON = "Checked the record folder at the point: the photos are missing"
QUEUE = reverse("registrations:flag_list")
BULK = reverse("registrations:flag_review_bulk")
EXPORT = reverse("registrations:flag_export")


@pytest.fixture
def hanoi_flag(hanoi_point):
    reg = RegistrationFactory(point=hanoi_point, has_portrait=False)
    return make_flag("MISSING_PHOTOS", registration=reg)


@pytest.fixture
def saigon_flag(saigon_point):
    reg = RegistrationFactory(point=saigon_point, population_check="MISMATCH")
    return make_flag("POPULATION_MISMATCH", registration=reg)


@pytest.fixture
def activation_flag():
    return make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory())


def detail_url(flag):
    return reverse("registrations:flag_detail", args=[flag.pk])


def review_url(flag):
    return reverse("registrations:flag_review", args=[flag.pk])


def queue_ids(client, **params) -> list[int]:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return [f.pk for f in response.context["page"].items]


# --- who may see and act ---


def test_queue_and_flag_page_by_role(client, any_principal, hanoi_flag):
    # given a Hà Nội flag and a user of each role in, out of or above its province
    client.force_login(any_principal.user)
    # when
    queue = client.get(QUEUE)
    page = client.get(detail_url(hanoi_flag))
    # then: officers, managers and auditors read; inspectors and integration accounts do not;
    # a reader limited to another province gets 404 for the flag
    assert queue.status_code == (200 if any_principal.allowed(READERS) else 403)
    assert page.status_code == any_principal.expect(READERS)


@pytest.mark.parametrize("role", sorted(READERS))
def test_review_controls_only_for_reviewers(client, users_by_role, hanoi_flag, role):
    client.force_login(users_by_role[role])
    queue = client.get(QUEUE).content.decode()
    page = client.get(detail_url(hanoi_flag)).content.decode()
    shown = role in REVIEWERS
    assert ('data-testid="bulk-review"' in queue) is shown
    assert ('name="ids"' in queue) is shown
    assert ('data-testid="review-form"' in page) is shown


def test_others_may_not_review(client, principal, hanoi_flag):
    if principal.expect(REVIEWERS) == 200:
        return  # a reviewer of the flag's province: the review tests below
    # given a user of a role that may not review, or a reviewer limited to TP HCM
    client.force_login(principal.user)
    data = {"ids": [hanoi_flag.pk], "to_status": "CONFIRMED", "reason": REASON}
    # when
    bulk = client.post(BULK, data)
    single = client.post(review_url(hanoi_flag), data)
    # then (a flag outside the user's provinces is no choice of the bulk form; its page answers 404)
    assert bulk.status_code == (400 if principal.allowed(REVIEWERS) else 403)
    assert single.status_code == principal.expect(REVIEWERS)
    hanoi_flag.refresh_from_db()
    assert hanoi_flag.status == FlagStatus.OPEN
    assert not FlagEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="flag.").exists()


def test_province_limited_user_sees_only_its_provinces(client, hanoi_officer, hanoi_flag, saigon_flag, activation_flag):
    client.force_login(hanoi_officer)
    # the queue: only Hà Nội; an activation flag has no point, so no province-limited user sees it
    assert queue_ids(client) == [hanoi_flag.pk]
    assert client.get(detail_url(hanoi_flag)).status_code == 200
    # another province's flag, or one without a point, answers like a flag that does not exist
    assert client.get(detail_url(saigon_flag)).status_code == 404
    assert client.get(detail_url(activation_flag)).status_code == 404
    assert client.get(reverse("registrations:flag_detail", args=[999_999])).status_code == 404


def test_province_limited_user_cannot_review_other_provinces_flags(client, hanoi_officer, hanoi_flag, saigon_flag):
    client.force_login(hanoi_officer)
    # through the flag's own review URL: 404
    response = client.post(review_url(saigon_flag), {"to_status": "DISMISSED", "reason": REASON})
    assert response.status_code == 404
    # through the bulk action, even alongside a flag it may review: refused, and nothing changes
    response = client.post(BULK, {"ids": [hanoi_flag.pk, saigon_flag.pk], "to_status": "DISMISSED", "reason": REASON})
    assert response.status_code == 400
    assert f"No such flag in your provinces: {saigon_flag.pk}" in response.content.decode()
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.OPEN}
    assert not FlagEvent.objects.exists()


# --- filters and counts ---


def test_queue_shows_open_flags_unless_asked_otherwise(client, officer, hanoi_point):
    open_flag = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point))
    dismissed = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point), status="DISMISSED")
    resolved = make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point), status="RESOLVED")
    client.force_login(officer)

    assert queue_ids(client) == [open_flag.pk]
    assert queue_ids(client, status="DISMISSED") == [dismissed.pk]
    assert set(queue_ids(client, status="")) == {open_flag.pk, dismissed.pk, resolved.pk}


def test_queue_filters(client, officer, hanoi_point, saigon_point):
    now = timezone.now()
    old = make_flag(
        "MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point), last_seen=now - dt.timedelta(days=30)
    )
    critical = make_flag("POPULATION_MISMATCH", registration=RegistrationFactory(point=hanoi_point))
    saigon = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=saigon_point))
    client.force_login(officer)

    assert set(queue_ids(client, rule="MISSING_PHOTOS")) == {old.pk, saigon.pk}
    assert queue_ids(client, severity="critical") == [critical.pk]
    assert queue_ids(client, province="079") == [saigon.pk]
    assert queue_ids(client, agent="ag-sg") == [saigon.pk]
    assert set(queue_ids(client, point="HN-1")) == {old.pk, critical.pk}
    today = timezone.localtime(now, LOCAL_TZ).date()
    assert set(queue_ids(client, seen_from=today.isoformat())) == {critical.pk, saigon.pk}
    assert queue_ids(client, seen_to=(today - dt.timedelta(days=10)).isoformat()) == [old.pk]


def test_counts_per_rule_follow_the_other_filters_in_one_query(client, officer, hanoi_point, saigon_point):
    for _ in range(3):
        make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point))
    make_flag("POPULATION_MISMATCH", registration=RegistrationFactory(point=hanoi_point))
    make_flag("POPULATION_MISMATCH", registration=RegistrationFactory(point=saigon_point))
    make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point), status="DISMISSED")
    client.force_login(officer)

    counts = {row["code"]: row["n"] for row in client.get(QUEUE).context["counts"]}
    assert counts == {"MISSING_PHOTOS": 3, "POPULATION_MISMATCH": 2}
    # under a province filter; and the rule filter itself does not narrow the counts (they say what it would give)
    response = client.get(QUEUE, {"province": "079", "rule": "MISSING_PHOTOS"})
    assert {row["code"]: row["n"] for row in response.context["counts"]} == {"POPULATION_MISMATCH": 1}
    assert response.context["page"].items == []
    counts = {row["code"]: row["n"] for row in client.get(QUEUE, {"status": ""}).context["counts"]}
    assert counts == {"MISSING_PHOTOS": 3, "POPULATION_MISMATCH": 2, "UNDERAGE": 1}


def test_htmx_filter_returns_the_table_and_the_counts_out_of_band(client, officer, hanoi_flag):
    client.force_login(officer)
    response = client.get(QUEUE, {"rule": "MISSING_PHOTOS"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert 'data-testid="flag-table"' in html
    assert 'id="rule-counts"' in html
    assert 'hx-swap-oob="true"' in html


def test_queue_pages_cover_every_flag_once(client, officer, hanoi_point, monkeypatch):
    monkeypatch.setattr("registrations.checks.views.flags.PAGE_SIZE", 2)
    now = timezone.now()
    flags = [
        make_flag(
            "MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point), last_seen=now - dt.timedelta(hours=i)
        )
        for i in range(5)
    ]
    client.force_login(officer)
    seen, params = [], {}
    while True:
        response = client.get(QUEUE, params)
        seen += [f.pk for f in response.context["page"].items]
        if not response.context["page"].next_query:
            break
        params = dict(p.split("=", 1) for p in response.context["page"].next_query.split("&"))
    assert seen == [f.pk for f in flags]


def test_queue_query_count_does_not_grow_with_the_rows(
    client, officer, hanoi_point, saigon_point, django_assert_max_num_queries
):
    def make(n):
        for i in range(n):
            point = hanoi_point if i % 2 else saigon_point
            make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=point), reviewer=officer)
            make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory())

    client.force_login(officer)
    make(2)
    client.get(QUEUE)  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(QUEUE, {"status": ""}).status_code == 200
    make(20)
    with CaptureQueriesContext(connection) as many:
        response = client.get(QUEUE, {"status": ""})
    assert len(response.context["page"].items) == 44
    assert len(many) == len(few)
    assert len(many) <= 12


# --- bulk review ---


def test_bulk_confirm_with_a_reason(client, officer, hanoi_point):
    # given
    flags = [make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point)) for _ in range(3)]
    untouched = make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point))
    client.force_login(officer)
    back = f"{QUEUE}?rule=MISSING_PHOTOS"
    # when
    response = client.post(
        BULK, {"ids": [f.pk for f in flags], "to_status": "CONFIRMED", "reason": f"  {REASON}  ", "next": back}
    )
    # then: back to the same queue
    assert response.status_code == 302
    assert response["Location"] == back
    for flag in flags:
        flag.refresh_from_db()
        assert (flag.status, flag.reviewer, flag.reason) == (FlagStatus.CONFIRMED, officer, REASON)
        assert flag.reviewed_at is not None
        event = flag.events.get()
        assert (event.from_status, event.to_status, event.actor, event.reason) == ("OPEN", "CONFIRMED", officer, REASON)
    untouched.refresh_from_db()
    assert untouched.status == FlagStatus.OPEN
    # one audit event per flag, in the flag's province, with the reason
    events = AuditEvent.objects.filter(action="flag.confirm").order_by("object_id")
    assert [int(e.object_id) for e in events] == sorted(f.pk for f in flags)
    assert {(e.province_code, e.reason, e.actor_id) for e in events} == {("001", REASON, officer.pk)}
    assert events[0].fields["status"] == ["OPEN", "CONFIRMED"]


def test_bulk_dismiss_shows_a_message(client, manager, hanoi_flag):
    client.force_login(manager)
    response = client.post(
        BULK,
        {"ids": [hanoi_flag.pk], "to_status": "DISMISSED", "reason": "Photos were found in the folder"},
        follow=True,
    )
    assert "Dismissed 1 flag." in response.content.decode()
    hanoi_flag.refresh_from_db()
    assert hanoi_flag.status == FlagStatus.DISMISSED


@pytest.mark.parametrize("reason", ["", "   "])
def test_bulk_review_requires_a_reason(client, officer, hanoi_flag, reason):
    client.force_login(officer)
    response = client.post(BULK, {"ids": [hanoi_flag.pk], "to_status": "CONFIRMED", "reason": reason})
    assert response.status_code == 400
    assert 'data-testid="error-reason"' in response.content.decode()
    # the ticked flag stays ticked
    assert hanoi_flag.pk in response.context["selected_ids"]
    hanoi_flag.refresh_from_db()
    assert hanoi_flag.status == FlagStatus.OPEN
    assert not FlagEvent.objects.exists()


def test_bulk_review_requires_a_selection(client, officer, hanoi_flag):
    client.force_login(officer)
    response = client.post(BULK, {"to_status": "CONFIRMED", "reason": REASON})
    assert response.status_code == 400
    assert "Select at least one flag." in response.content.decode()


def test_resolved_flags_cannot_be_confirmed_or_dismissed_and_nothing_changes(client, officer, hanoi_point):
    open_flag = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point))
    resolved = make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point), status="RESOLVED")
    client.force_login(officer)
    for to_status in ("CONFIRMED", "DISMISSED"):
        response = client.post(BULK, {"ids": [open_flag.pk, resolved.pk], "to_status": to_status, "reason": REASON})
        assert response.status_code == 400
        assert f"#{resolved.pk} (resolved)" in response.content.decode()
    assert [f.status for f in Flag.objects.order_by("pk")] == ["OPEN", "RESOLVED"]
    assert not FlagEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="flag.").exists()


def test_a_review_can_be_changed_but_not_repeated(client, officer, hanoi_flag):
    client.force_login(officer)
    assert client.post(review_url(hanoi_flag), {"to_status": "DISMISSED", "reason": REASON}).status_code == 302
    # the same decision again is refused
    response = client.post(review_url(hanoi_flag), {"to_status": "DISMISSED", "reason": REASON})
    assert response.status_code == 400
    assert 'data-testid="error-to_status"' in response.content.decode()
    # the other decision, with its own reason, is a second look that the history keeps
    assert client.post(review_url(hanoi_flag), {"to_status": "CONFIRMED", "reason": "Second look"}).status_code == 302
    hanoi_flag.refresh_from_db()
    assert hanoi_flag.status == FlagStatus.CONFIRMED
    assert [(e.from_status, e.to_status) for e in hanoi_flag.events.order_by("id")] == [
        ("OPEN", "DISMISSED"),
        ("DISMISSED", "CONFIRMED"),
    ]


def test_an_unknown_status_is_refused(client, officer, hanoi_flag):
    client.force_login(officer)
    response = client.post(BULK, {"ids": [hanoi_flag.pk], "to_status": "RESOLVED", "reason": REASON})
    assert response.status_code == 400
    hanoi_flag.refresh_from_db()
    assert hanoi_flag.status == FlagStatus.OPEN


def test_review_does_not_redirect_off_site(client, officer, hanoi_flag):
    client.force_login(officer)
    response = client.post(
        BULK, {"ids": [hanoi_flag.pk], "to_status": "CONFIRMED", "reason": REASON, "next": "https://evil.example/"}
    )
    assert response["Location"] == QUEUE


# --- CSV export ---


def test_export_is_the_filtered_queue_in_scope_and_audited(client, hanoi_officer, hanoi_point, saigon_flag):
    reg = RegistrationFactory(point=hanoi_point, external_id="R-HN-1")
    flag = make_flag("MISSING_PHOTOS", registration=reg)
    make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point))
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point), status="DISMISSED")
    client.force_login(hanoi_officer)
    # when
    response = client.get(EXPORT, {"rule": "MISSING_PHOTOS"})
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:7] == ["rule", "severity", "status", "subject_type", "subject_key", "point_code", "agent_code"]
    assert [r[:8] for r in rows[1:]] == [
        ["MISSING_PHOTOS", "high", "OPEN", "registration", "R-HN-1", "HN-1", "AG-HN", str(flag.pk)]
    ]
    event = AuditEvent.objects.get(action="flags.export")
    assert event.actor == hanoi_officer
    assert event.fields["filters"] == {"rule": "MISSING_PHOTOS", "status": "OPEN"}


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.INTEGRATION])
def test_export_is_for_readers_only(client, users_by_role, hanoi_flag, role):
    client.force_login(users_by_role[role])
    assert client.get(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(action="flags.export").exists()


# --- evidence ---

PLAIN_NAME = "Nguyễn Văn An"


def assert_masked(html: str, *registrations):
    for reg in registrations:
        assert reg.id_doc_number not in html
        assert reg.msisdn not in html
        assert "0" + reg.msisdn[3:] not in html
    assert PLAIN_NAME not in html
    assert "12 Tràng Tiền" not in html


def evidence(response, key):
    sections = {s.key: s for s in response.context["evidence"]}
    return sections[key]


def test_same_document_evidence_for_excess_sims(client, officer, hanoi_point, saigon_point):
    # given: four registrations on one CCCD (one of them cancelled, one in another province)
    base = timezone.now() - dt.timedelta(days=5)
    number = "001090123456"
    regs = [
        RegistrationFactory(point=hanoi_point, id_doc_number=number, registered_at=base + dt.timedelta(hours=i))
        for i in range(4)
    ]
    RegistrationFactory(point=hanoi_point, id_doc_number=number, status=RegistrationStatus.CANCELLED)
    other_province = RegistrationFactory(point=saigon_point, id_doc_number=number)
    flag = make_flag("EXCESS_SIMS_PER_ID", registration=regs[3])
    client.force_login(officer)
    # when
    response = client.get(detail_url(flag))
    # then: counted registrations of the document, oldest first; masked
    section = evidence(response, "same-document")
    assert [r.pk for r in section.items] == [*(r.pk for r in regs), other_province.pk]
    assert section.total == 5
    html = response.content.decode()
    assert "0010******56" in html
    assert_masked(html, *regs)


def test_same_document_evidence_is_scoped(client, hanoi_officer, hanoi_point, saigon_point):
    number = "001090123456"
    mine = RegistrationFactory(point=hanoi_point, id_doc_number=number)
    RegistrationFactory(point=saigon_point, id_doc_number=number)
    flag = make_flag("EXCESS_SIMS_PER_ID", registration=mine)
    client.force_login(hanoi_officer)
    section = evidence(client.get(detail_url(flag)), "same-document")
    assert [r.pk for r in section.items] == [mine.pk]


def test_conflicting_identity_labels_identities_without_showing_them(client, officer, hanoi_point):
    number = "001090123456"
    first = RegistrationFactory(point=hanoi_point, id_doc_number=number, subscriber_name="Nguyễn Văn An")
    same = RegistrationFactory(point=hanoi_point, id_doc_number=number, subscriber_name="  nguyễn  văn an ")
    other = RegistrationFactory(point=hanoi_point, id_doc_number=number, subscriber_name="Nguyễn Văn Anh")
    flag = make_flag("CONFLICTING_IDENTITY", registration=other)
    client.force_login(officer)
    response = client.get(detail_url(flag))
    section = evidence(response, "same-document")
    labels = section.labels
    assert labels[first.pk] == labels[same.pk] == "identity A"
    assert labels[other.pk] == "identity B"
    assert "Nguyễn Văn Anh" not in response.content.decode()


def test_reused_portrait_evidence(client, officer, hanoi_point):
    portrait = bytes.fromhex("a" * 64)
    one = RegistrationFactory(point=hanoi_point, portrait_sha256=portrait)
    two = RegistrationFactory(point=hanoi_point, portrait_sha256=portrait)
    RegistrationFactory(point=hanoi_point)  # another face
    flag = make_flag("REUSED_PORTRAIT", registration=two)
    client.force_login(officer)
    section = evidence(client.get(detail_url(flag)), "same-portrait")
    assert [r.pk for r in section.items] == [one.pk, two.pk]
    assert section.labels[one.pk] == "document A"
    assert section.labels[two.pk] == "document B"


def test_burst_evidence_uses_the_window_that_raised_the_flag(client, officer, hanoi_point):
    at = timezone.now() - dt.timedelta(days=1)
    subject = RegistrationFactory(point=hanoi_point, registered_at=at)
    inside = [RegistrationFactory(point=hanoi_point, registered_at=at - dt.timedelta(minutes=m)) for m in (1, 4)]
    RegistrationFactory(point=hanoi_point, registered_at=at - dt.timedelta(minutes=5))  # on the open edge
    RegistrationFactory(point=hanoi_point, registered_at=at + dt.timedelta(minutes=1))  # after it
    RegistrationFactory(registered_at=at)  # another point
    flag = make_flag("REGISTRATION_BURST", registration=subject, parameters={"max_in_window": 2, "window_minutes": 5})
    client.force_login(officer)
    response = client.get(detail_url(flag))
    section = evidence(response, "burst")
    assert [r.pk for r in section.items] == [inside[1].pk, inside[0].pk, subject.pk]
    assert "5 minutes" in str(section.title)


def test_preactivated_evidence_lists_the_sims_activations(client, officer, hanoi_point):
    reg = RegistrationFactory(point=hanoi_point)
    activation = ActivationFactory(iccid=reg.iccid, activated_at=reg.registered_at - dt.timedelta(days=3))
    ActivationFactory()  # another SIM
    flag = make_flag("PREACTIVATED", registration=reg)
    client.force_login(officer)
    response = client.get(detail_url(flag))
    assert [a.pk for a in evidence(response, "activations").items] == [activation.pk]
    assert "before registration" in response.content.decode()
    assert activation.msisdn not in response.content.decode()


def test_activated_unregistered_evidence_lists_the_sims_registrations(client, officer, hanoi_point):
    activation = ActivationFactory()
    cancelled = RegistrationFactory(point=hanoi_point, iccid=activation.iccid, status=RegistrationStatus.CANCELLED)
    flag = make_flag("ACTIVATED_UNREGISTERED", activation=activation)
    client.force_login(officer)
    response = client.get(detail_url(flag))
    assert 'data-testid="subject-activation"' in response.content.decode()
    assert [r.pk for r in evidence(response, "sim-registrations").items] == [cancelled.pk]


def test_record_rules_have_no_group_evidence_but_the_masked_record(client, officer, hanoi_flag):
    client.force_login(officer)
    response = client.get(detail_url(hanoi_flag))
    assert response.context["evidence"] == []
    html = response.content.decode()
    assert 'data-testid="subject-registration"' in html
    assert_masked(html, hanoi_flag.registration)


def test_evidence_is_bounded(client, officer, hanoi_point, monkeypatch):
    monkeypatch.setattr(flag_selectors, "EVIDENCE_LIMIT", 3)
    number = "001090123456"
    regs = [RegistrationFactory(point=hanoi_point, id_doc_number=number) for _ in range(5)]
    flag = make_flag("EXCESS_SIMS_PER_ID", registration=regs[-1])
    client.force_login(officer)
    response = client.get(detail_url(flag))
    section = evidence(response, "same-document")
    assert len(section.items) == 3
    assert section.more
    assert section.total == 5
    assert "Only the first 3 are listed." in response.content.decode()


def test_flag_page_query_count_does_not_grow_with_the_evidence(
    client, officer, hanoi_point, django_assert_max_num_queries
):
    number = "001090123456"
    regs = [RegistrationFactory(point=PointFactory(), id_doc_number=number) for _ in range(30)]
    flag = make_flag("EXCESS_SIMS_PER_ID", registration=regs[-1])
    for _ in range(5):
        FlagEvent.objects.create(flag=flag, at=timezone.now(), actor=officer, to_status="OPEN")
    client.force_login(officer)
    with django_assert_max_num_queries(15):
        assert client.get(detail_url(flag)).status_code == 200


def test_flag_page_shows_history_rule_version_and_parameters(client, officer, hanoi_point):
    reg = RegistrationFactory(point=hanoi_point)
    flag = make_flag("UNDERAGE", registration=reg, rule_version=1, parameters={"min_age": 16})
    flag.rule.version = 2
    flag.rule.save(update_fields=["version"])
    FlagEvent.objects.create(flag=flag, at=timezone.now(), to_status="OPEN", reason="raised")
    client.force_login(officer)
    html = client.get(detail_url(flag)).content.decode()
    assert "rule version 1" in html
    assert "now version 2" in html
    assert "min_age = 16" in html
    assert 'data-testid="flag-history"' in html
    assert "raised" in html


@pytest.mark.parametrize("role", [Role.OFFICER, Role.MANAGER])
def test_schedule_inspection_button_links_to_the_inspections_page(client, users_by_role, role, hanoi_flag):
    # given
    client.force_login(users_by_role[role])
    # when
    html = client.get(detail_url(hanoi_flag)).content.decode()
    # then
    assert f'href="/inspections/tasks/from-flag/{hanoi_flag.pk}/"' in html
    assert client.get(f"/inspections/tasks/from-flag/{hanoi_flag.pk}/").status_code == 200


def test_auditors_see_no_schedule_inspection_button(client, auditor, hanoi_flag):
    client.force_login(auditor)
    html = client.get(detail_url(hanoi_flag)).content.decode()
    assert 'data-testid="schedule-inspection"' not in html
    assert "/inspections/tasks/from-flag/" not in html


def test_flags_is_the_one_active_navigation_item(client, officer, hanoi_flag):
    client.force_login(officer)
    items = client.get(QUEUE).context["nav_items"]
    assert [i["label"] for i in items if i["active"]] == ["Flags"]


def test_the_runners_own_reasons_read_in_the_readers_language():
    from django.utils import translation

    from registrations.templatetags.flag_tags import flag_reason

    with translation.override("vi"):
        assert flag_reason("Raised by version 3 of the rule.") == "Được phát hiện bởi phiên bản 3 của quy tắc."
        assert flag_reason("The condition no longer holds.") == "Điều kiện không còn đúng."
        assert flag_reason("Đã kiểm tra hồ sơ tại điểm") == "Đã kiểm tra hồ sơ tại điểm"  # a person's words
    with translation.override("en"):
        assert flag_reason("Raised by version 3 of the rule.") == "Raised by version 3 of the rule."
