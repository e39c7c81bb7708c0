"""The admin's user list reads in words (issue 13: "GET FULL NAME" and role codes were shown)."""

from django.urls import reverse

from core.roles import Role


def test_admin_user_list_shows_words_not_method_names_or_role_codes(client, make_user):
    # given: a superuser and an officer
    admin = make_user(None, is_superuser=True, is_staff=True, all_provinces=True)
    make_user(Role.OFFICER, first_name="Lan", last_name="Nguyễn")
    client.force_login(admin)
    # when
    html = client.get(reverse("admin:core_user_changelist")).content.decode()
    # then
    assert "get full name" not in html.lower()
    assert "Full name" in html
    assert "Compliance officer" in html
    assert ">officer<" not in html
