"""Accounts: managers manage users inside their own reach on the in-app pages, never a superuser or
themselves; `/admin/` is for superusers only; every account change (passwords and tokens too) is audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core import services
from core.models import AuditEvent, Province, User
from core.roles import Role, role_of
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-password-2026"


@pytest.fixture
def hanoi_manager(make_user):
    return make_user(Role.MANAGER, username="manager_hn", provinces=["001"], is_staff=True)


@pytest.fixture
def superuser(make_user):
    return make_user(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def hanoi_officer(make_user):
    return make_user(Role.OFFICER, username="officer_hn", provinces=["001"])


@pytest.fixture
def saigon_officer(make_user):
    return make_user(Role.OFFICER, username="officer_sg", provinces=["079"])


@pytest.fixture
def everywhere_officer(make_user):
    return make_user(Role.OFFICER, username="officer_all")


def provinces(*codes):
    return list(Province.objects.filter(code__in=codes))


def events(action, user):
    return AuditEvent.objects.filter(action=action, object_type="core.user", object_id=str(user.pk))


# --- /admin/ is for superusers only ---


def test_a_manager_cannot_set_a_superusers_password_through_the_admin(client, manager, superuser):
    # given a manager (staff, with the user permissions) signed in
    client.force_login(manager)
    url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    # when it opens and posts the admin's password form for a superuser
    page = client.get(url)
    client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    # then the admin sends it to its sign-in page and the password is unchanged
    assert page.status_code == 302
    assert "/admin/login/" in page["Location"]
    superuser.refresh_from_db()
    assert not superuser.check_password(NEW_PASSWORD)


def test_a_limited_manager_cannot_widen_its_own_reach_through_the_admin(client, hanoi_manager):
    client.force_login(hanoi_manager)
    url = reverse("admin:core_user_change", args=[hanoi_manager.pk])
    client.post(url, {"username": hanoi_manager.username, "all_provinces": "on", "is_active": "on"})
    hanoi_manager.refresh_from_db()
    assert not hanoi_manager.all_provinces
    assert client.get(reverse("admin:core_user_changelist")).status_code == 302


def test_a_superuser_still_uses_the_admin(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:core_user_changelist")).status_code == 200


# --- who may manage whom ---


def test_a_manager_manages_accounts_inside_its_provinces_only(hanoi_manager, hanoi_officer, saigon_officer):
    assert services.may_manage(hanoi_manager, hanoi_officer)
    assert not services.may_manage(hanoi_manager, saigon_officer)


def test_nobody_manages_itself_or_a_superuser_here(manager, superuser):
    assert not services.may_manage(manager, manager)
    assert not services.may_manage(manager, superuser)


def test_a_limited_manager_does_not_manage_an_all_provinces_account(hanoi_manager, everywhere_officer):
    assert not services.may_manage(hanoi_manager, everywhere_officer)


def test_an_officer_manages_nobody(hanoi_officer, saigon_officer):
    assert not services.may_manage(hanoi_officer, saigon_officer)


# --- the services ---


def test_create_gives_role_and_provinces_and_is_audited(hanoi_manager):
    # when
    user = services.user_create(
        actor=hanoi_manager, username="new_hn", role=Role.INSPECTOR, provinces=provinces("001"), password=NEW_PASSWORD
    )
    # then
    assert role_of(user) == Role.INSPECTOR
    assert sorted(user.provinces.values_list("code", flat=True)) == ["001"]
    assert user.check_password(NEW_PASSWORD)
    event = events("user.create", user).get()
    assert event.actor == hanoi_manager
    assert event.fields["after"]["provinces"] == ["001"]
    assert NEW_PASSWORD not in str(event.fields)
    assert not events("user.password_set", user).exists()  # one event for the creation, not two


def test_a_limited_manager_cannot_give_provinces_outside_its_own_or_all_provinces(hanoi_manager):
    with pytest.raises(ValidationError) as outside:
        services.user_create(
            actor=hanoi_manager, username="x", role=Role.OFFICER, provinces=provinces("079"), password=NEW_PASSWORD
        )
    with pytest.raises(ValidationError) as everywhere:
        services.user_create(
            actor=hanoi_manager,
            username="y",
            role=Role.OFFICER,
            provinces=[],
            all_provinces=True,
            password=NEW_PASSWORD,
        )
    assert "provinces" in outside.value.message_dict
    assert "all_provinces" in everywhere.value.message_dict
    assert not User.objects.filter(username__in=["x", "y"]).exists()


def test_a_manager_cannot_change_its_own_account(hanoi_manager):
    with pytest.raises(PermissionDenied):
        services.user_update(
            actor=hanoi_manager,
            user=hanoi_manager,
            role=Role.MANAGER,
            provinces=provinces("001", "079"),
            is_active=True,
        )
    with pytest.raises(PermissionDenied):
        services.user_set_password(actor=hanoi_manager, user=hanoi_manager, password=NEW_PASSWORD)


def test_update_records_before_and_after(manager, hanoi_officer):
    services.user_update(
        actor=manager, user=hanoi_officer, role=Role.AUDITOR, provinces=provinces("001", "079"), is_active=True
    )
    event = events("user.change", hanoi_officer).get()
    assert event.fields["changed"] == ["provinces", "role"]
    assert event.fields["before"]["role"] == Role.OFFICER
    assert event.fields["after"]["provinces"] == ["001", "079"]


def test_disabling_an_account_revokes_its_token(manager, make_user):
    account = make_user(Role.INTEGRATION, username="erp")
    Token.objects.create(user=account)
    services.user_update(actor=manager, user=account, role=Role.INTEGRATION, provinces=[], is_active=False)
    assert not Token.objects.filter(user=account).exists()
    assert events("user.change", account).get().fields["token_revoked"] is True


def test_a_password_set_by_a_manager_is_audited_without_its_value(manager, hanoi_officer):
    services.user_set_password(actor=manager, user=hanoi_officer, password=NEW_PASSWORD)
    hanoi_officer.refresh_from_db()
    assert hanoi_officer.check_password(NEW_PASSWORD)
    event = events("user.password_set", hanoi_officer).get()
    assert event.actor == manager
    assert NEW_PASSWORD not in str(event.fields)


def test_a_weak_password_is_refused(manager, hanoi_officer):
    with pytest.raises(ValidationError) as refused:
        services.user_set_password(actor=manager, user=hanoi_officer, password="123")
    assert "password" in refused.value.message_dict


def test_a_password_set_any_other_way_is_audited_too(hanoi_officer):
    # e.g. `manage.py changepassword` or Django's own password change page
    hanoi_officer.set_password(NEW_PASSWORD)
    hanoi_officer.save()
    assert events("user.password_set", hanoi_officer).count() == 1


def test_tokens_are_issued_for_integration_accounts_only_and_audited(manager, make_user, hanoi_officer):
    account = make_user(Role.INTEGRATION, username="erp")
    key = services.user_token_issue(actor=manager, user=account)
    assert Token.objects.get(user=account).key == key
    again = services.user_token_issue(actor=manager, user=account)
    assert again != key
    assert Token.objects.filter(user=account).count() == 1
    assert services.user_token_revoke(actor=manager, user=account)
    assert events("user.token_issue", account).count() == 2
    assert events("user.token_revoke", account).count() == 1
    assert key not in str(list(AuditEvent.objects.values_list("fields", flat=True)))
    with pytest.raises(ValidationError):
        services.user_token_issue(actor=manager, user=hanoi_officer)


def test_a_token_made_outside_the_services_is_audited(make_user):
    account = make_user(Role.INTEGRATION, username="erp")
    token = Token.objects.create(user=account)
    token.delete()
    assert events("user.token_issue", account).count() == 1
    assert events("user.token_revoke", account).count() == 1


# --- the pages ---


def test_the_list_shows_only_accounts_within_reach(client, hanoi_manager, hanoi_officer, saigon_officer, superuser):
    client.force_login(hanoi_manager)
    names = {u.username for u in client.get(reverse("core:user_list")).context["page"].items}
    assert "officer_hn" in names
    assert "manager_hn" in names
    assert not names & {"officer_sg", "root"}


@pytest.mark.parametrize("view", ["core:user_detail", "core:user_edit"])
def test_another_provinces_account_is_not_found(client, hanoi_manager, saigon_officer, view):
    client.force_login(hanoi_manager)
    assert client.get(reverse(view, args=[saigon_officer.pk])).status_code == 404


def test_posting_to_another_provinces_account_is_not_found_and_changes_nothing(client, hanoi_manager, saigon_officer):
    client.force_login(hanoi_manager)
    password = client.post(
        reverse("core:user_password", args=[saigon_officer.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    edit = client.post(
        reverse("core:user_edit", args=[saigon_officer.pk]), {"role": Role.MANAGER, "provinces": ["001"]}
    )
    assert (password.status_code, edit.status_code) == (404, 404)
    saigon_officer.refresh_from_db()
    assert saigon_officer.check_password(PASSWORD)
    assert role_of(saigon_officer) == Role.OFFICER


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.INSPECTOR, Role.INTEGRATION])
def test_other_roles_are_refused_the_pages_and_the_writes(client, users_by_role, hanoi_officer, role):
    client.force_login(users_by_role[role])
    assert client.get(reverse("core:user_list")).status_code == 403
    assert client.get(reverse("core:user_create")).status_code == 403
    response = client.post(
        reverse("core:user_password", args=[hanoi_officer.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    hanoi_officer.refresh_from_db()
    assert hanoi_officer.check_password(PASSWORD)


def test_own_account_page_offers_no_changes(client, hanoi_manager):
    client.force_login(hanoi_manager)
    page = client.get(reverse("core:user_detail", args=[hanoi_manager.pk]))
    assert 'data-testid="not-manageable"' in page.content.decode()
    assert client.get(reverse("core:user_edit", args=[hanoi_manager.pk])).status_code == 403


def test_a_limited_manager_creates_an_account_through_the_page(client, hanoi_manager):
    client.force_login(hanoi_manager)
    form = client.get(reverse("core:user_create")).context["form"]
    assert "all_provinces" not in form.fields
    assert set(form.fields["provinces"].queryset.values_list("code", flat=True)) == {"001"}
    response = client.post(
        reverse("core:user_create"),
        {
            "username": "inspector_hn",
            "role": Role.INSPECTOR,
            "provinces": ["001"],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    created = User.objects.get(username="inspector_hn")
    assert response.status_code == 302
    assert role_of(created) == Role.INSPECTOR


def test_a_province_outside_is_refused_on_the_page_with_the_reason(client, hanoi_manager):
    client.force_login(hanoi_manager)
    response = client.post(
        reverse("core:user_create"),
        {
            "username": "x",
            "role": Role.OFFICER,
            "provinces": ["079"],
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["provinces"]
    assert not User.objects.filter(username="x").exists()


def test_a_new_token_is_shown_once_and_not_kept_by_caches(client, manager, make_user):
    account = make_user(Role.INTEGRATION, username="erp")
    client.force_login(manager)
    response = client.post(reverse("core:user_token", args=[account.pk, "issue"]))
    key = Token.objects.get(user=account).key
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert key not in client.get(reverse("core:user_detail", args=[account.pk])).content.decode()
