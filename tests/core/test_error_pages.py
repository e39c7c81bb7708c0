"""Refused and missing pages inside the site's layout, in the user's language, with a way back (issue 13)."""

import logging

from django.urls import reverse


def test_a_refused_page_is_styled_and_says_what_was_refused(client, auditor):
    # given: an auditor (read-only) opening a manager's page
    client.force_login(auditor)
    # when
    response = client.get(reverse("core:user_list"))
    # then: the site's layout, the role named, a way back
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-testid="error-403"' in html
    assert 'class="topbar"' in html
    assert "Auditor" in html
    assert reverse("home") in html


def test_a_refusal_leaves_no_traceback_in_the_server_log(client, auditor, caplog):
    client.force_login(auditor)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(reverse("core:user_list"))
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert refused, "the refusal is still logged, as one line"
    assert all(r.exc_info is None for r in refused)
    assert "Traceback" not in caplog.text


def test_a_missing_page_is_styled_and_reads_like_not_yours(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("agents:agent_detail", args=[999_999]))
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-404"' in html
    assert "outside the provinces your account covers" in html
    assert 'class="topbar"' in html


def test_error_pages_follow_the_users_language(client, auditor, settings):
    settings.LANGUAGE_CODE = "vi"
    client.force_login(auditor)
    response = client.get(reverse("agents:agent_detail", args=[999_999]))
    assert '<html lang="vi"' in response.content.decode()


def test_durations_read_in_words_not_zero_minutes():
    import datetime as dt

    from django.utils import translation

    from core.templatetags.display import duration

    start = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    with translation.override("en"):
        assert duration(start, start + dt.timedelta(seconds=12)) == "12 s"
        assert duration(start, start + dt.timedelta(minutes=3, seconds=5)) == "3 min 5 s"
        assert duration(start, start + dt.timedelta(hours=1, minutes=2)) == "1 h 2 min"
        assert duration(start, None) == "—"


def test_every_page_names_its_time_zone(client, auditor):
    client.force_login(auditor)
    html = client.get("/registrations/rules/").content.decode()
    assert 'data-testid="zone-note"' in html
    assert "Times in Vietnam time (UTC+07:00)." in html
