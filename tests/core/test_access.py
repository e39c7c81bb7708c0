"""Each role reaches what DESIGN section 2 gives it and is refused the rest."""

import pytest
from django.urls import reverse

from core.roles import Role

# url name -> roles that may open it; every other role is refused (403).
PAGES = {
    "home": set(Role),
    "core:audit_list": {Role.MANAGER, Role.AUDITOR},
    "api:me": set(Role),
    "api-schema": set(Role),
    "api-docs": set(Role),
}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(PAGES))
@pytest.mark.parametrize("role", list(Role))
def test_role_reaches_or_is_refused(client, users_by_role, url_name, role):
    # given
    client.force_login(users_by_role[role])
    # when (an app may send a role from "home" to its own home page: follow it)
    response = client.get(reverse(url_name), follow=True)
    # then
    expected = 200 if role in PAGES[url_name] else 403
    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["home", "core:audit_list"])
def test_anonymous_is_sent_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["api:me", "api-schema"])
def test_anonymous_api_is_refused(client, url_name):
    assert client.get(reverse(url_name)).status_code in (401, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_the_admin_is_for_superusers_only(client, users_by_role, make_user, role):
    # every role, managers included (issue 11: a manager could take over a superuser through /admin/), is
    # sent to the admin's sign-in page and never sees the user list; a superuser does
    client.force_login(users_by_role[role])
    assert client.get(reverse("admin:core_user_changelist")).status_code == 302
    client.force_login(make_user(username="root", is_superuser=True, is_staff=True))
    assert client.get(reverse("admin:core_user_changelist")).status_code == 200


@pytest.mark.django_db
def test_managers_manage_users_on_the_user_pages_without_raw_permissions(client, manager, officer):
    client.force_login(manager)
    response = client.get(reverse("core:user_edit", args=[officer.pk]))
    assert response.status_code == 200
    assert b'name="is_superuser"' not in response.content
    assert b'name="user_permissions"' not in response.content
    assert b'name="is_staff"' not in response.content
    assert b'name="provinces"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "template"),
    [
        # officers, managers and auditors: the dashboard (issue 12), registered by reports.dashboard
        (Role.OFFICER, "reports/dashboard/dashboard.html"),
        (Role.MANAGER, "reports/dashboard/dashboard.html"),
        (Role.INSPECTOR, "inspections/field/my_tasks.html"),  # registered by the inspections app
        (Role.AUDITOR, "reports/dashboard/dashboard.html"),
        (Role.INTEGRATION, "core/home_integration.html"),
    ],
)
def test_each_role_lands_on_its_home(client, users_by_role, role, template):
    client.force_login(users_by_role[role])
    response = client.get(reverse("home"), follow=True)
    assert template in [t.name for t in response.templates]


@pytest.mark.django_db
def test_navigation_follows_permissions(client, officer, auditor):
    client.force_login(officer)
    # (home sends both to the dashboard: the navigation is read on the page they land on)
    officer_nav = client.get(reverse("home"), follow=True).context["nav_items"]
    client.force_login(auditor)
    auditor_nav = client.get(reverse("home"), follow=True).context["nav_items"]
    audit_url = reverse("core:audit_list")
    assert audit_url not in [i["url"] for i in officer_nav]
    assert audit_url in [i["url"] for i in auditor_nav]


@pytest.mark.django_db
def test_api_me_reports_role_and_scope_for_token(client, make_user):
    from rest_framework.authtoken.models import Token

    user = make_user(Role.INTEGRATION, provinces=["079"])
    token = Token.objects.create(user=user)
    response = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json() == {"username": user.username, "role": "integration", "provinces": ["079"]}


@pytest.mark.django_db
def test_wrong_token_is_refused(client):
    response = client.get(reverse("api:me"), HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
