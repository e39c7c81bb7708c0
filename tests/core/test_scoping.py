"""Province scoping: a limited user sees only its provinces; other objects answer 404."""

import pytest
from django.http import Http404
from django.urls import reverse

from core.audit import audit_record
from core.models import AuditEvent, Province
from core.roles import Role
from core.scoping import access_object, province_scope


@pytest.mark.django_db
def test_all_provinces_user_has_no_limit(make_user):
    assert province_scope(make_user(Role.OFFICER)) is None


@pytest.mark.django_db
def test_user_without_provinces_sees_nothing(make_user):
    # given a user who is neither all-provinces nor assigned any
    user = make_user(Role.OFFICER, all_provinces=False)
    # then: deny by default
    assert province_scope(user) == frozenset()
    assert not Province.objects.for_user(user).exists()


@pytest.mark.django_db
def test_limited_user_gets_only_its_provinces(make_user):
    user = make_user(Role.OFFICER, provinces=["001", "079"])
    assert set(Province.objects.for_user(user).values_list("code", flat=True)) == {"001", "079"}


@pytest.mark.django_db
def test_other_province_answers_404_like_a_missing_one(make_user):
    # given an officer limited to Hà Nội
    user = make_user(Role.OFFICER, provinces=["001"])
    # then: its own province is found
    assert access_object(Province, user, code="001").code == "001"
    # and another province's object is refused exactly like one that does not exist
    with pytest.raises(Http404):
        access_object(Province, user, code="079")
    with pytest.raises(Http404):
        access_object(Province, user, code="999")


@pytest.mark.django_db
def test_anonymous_sees_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert not Province.objects.for_user(AnonymousUser()).exists()


@pytest.mark.django_db
def test_audit_list_is_scoped_to_provinces(client, make_user):
    # given events in two provinces, by someone else
    other = make_user(Role.OFFICER)
    audit_record(action="test.hanoi", actor=other, province_code="001", object_repr="in Hà Nội")
    audit_record(action="test.hcm", actor=other, province_code="079", object_repr="in HCMC")
    limited_auditor = make_user(Role.AUDITOR, provinces=["001"])
    # when
    client.force_login(limited_auditor)
    response = client.get(reverse("core:audit_list"))
    # then
    actions = {e.action for e in response.context["page"].items}
    assert "test.hanoi" in actions
    assert "test.hcm" not in actions


@pytest.mark.django_db
def test_limited_user_sees_own_events_without_province(make_user):
    user = make_user(Role.MANAGER, provinces=["001"])
    audit_record(action="test.mine", actor=user)
    audit_record(action="test.theirs", actor=make_user(Role.OFFICER))
    actions = set(AuditEvent.objects.for_user(user).values_list("action", flat=True))
    assert "test.mine" in actions
    assert "test.theirs" not in actions
