"""Demo users that a new team can work with (issue 13): e-mail addresses for the digest, the server's URL printed."""

from io import StringIO

from django.core.management import call_command

from core.demo import DEMO_USERS, ensure_demo_users
from core.models import User
from core.roles import Role


def test_every_demo_person_has_an_email_address_and_the_integration_account_none(db):
    ensure_demo_users()
    for username, role, *_rest in DEMO_USERS:
        email = User.objects.get(username=username).email
        assert bool(email) is (role != Role.INTEGRATION), username


def test_seed_demo_prints_the_url_it_was_given(db, settings):
    settings.LANGUAGE_CODE = "vi"
    out = StringIO()
    from core import registry

    saved = list(registry.SEEDERS)
    registry.SEEDERS.clear()  # the users alone: the demo data has tests of its own
    try:
        call_command("seed_demo", "--url", "http://127.0.0.1:8123/", stdout=out)
    finally:
        registry.SEEDERS.extend(saved)
    assert "sign in at http://127.0.0.1:8123/login/" in out.getvalue()
    # one language in the terminal, whatever the site's default (Vietnamese)
    assert "Compliance manager" in out.getvalue()
    assert "Quản lý" not in out.getvalue()
