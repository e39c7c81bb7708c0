"""The main pages work under the Content-Security-Policy: Chromium reports no violation (no inline script,
no inline style, nothing from another origin) and the pages' scripts run. /api/docs/ is Swagger UI under its
own, slightly relaxed policy (inline styles only; config/urls.py)."""

import pytest
from django.utils import timezone

from core.roles import Role
from inspections.catalogue import load_catalogue
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import TaskFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

# Collects every `securitypolicyviolation` event of the page, from its first script on.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


@pytest.fixture
def viewport():
    return "desktop"


def _watch(page) -> list[str]:
    messages: list[str] = []
    page.add_init_script(LISTEN)
    page.on("console", lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None)
    return messages


def _violations(page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__cspViolations || []"), *console]


def test_office_pages_run_under_the_csp(page, e2e_users, login):
    # given
    point = PointFactory(code="HN-CSP", agent=AgentFactory(code="AG-CSP", province_code="001"))
    registration = RegistrationFactory(point=point)
    flag = make_flag("MISSING_PHOTOS", registration=registration)
    console = _watch(page)
    login(page, "manager")
    for url in (
        "/",
        "/agents/",
        f"/agents/points/{point.pk}/",
        "/registrations/",
        f"/registrations/{registration.pk}/",
        "/registrations/flags/",
        f"/registrations/flags/{flag.pk}/",
        "/inspections/",
        "/core/audit/",
    ):
        # when
        page.goto(url)
        page.wait_for_load_state("networkidle")
        # then
        assert _violations(page, console) == [], url
    # and htmx (a script file) still runs: the flag queue's filter chips swap the table in place
    page.goto("/registrations/flags/")
    page.get_by_test_id("count-MISSING_PHOTOS").click()
    expect(page.get_by_test_id("flag-row")).to_have_count(1)
    assert _violations(page, console) == []


def test_the_inspectors_task_page_runs_under_the_csp(page, e2e_users, login, live_server):
    # given
    load_catalogue()
    point = PointFactory(code="HN-CSP", agent=AgentFactory(code="AG-CSP", province_code="001"))
    task = TaskFactory(point=point, inspector=e2e_users[Role.INSPECTOR], due_date=timezone.localdate())
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    console = _watch(page)
    login(page, "inspector")
    # when
    page.goto(f"/inspections/my-tasks/{task.pk}/")
    page.wait_for_load_state("networkidle")
    # then: its module ran (before the check-in it hides the sync bar, shown in the HTML) and nothing was blocked
    expect(page.get_by_test_id("sync-status")).to_be_hidden()
    assert _violations(page, console) == []


def test_swagger_ui_runs_under_its_policy(page, e2e_users, login):
    console = _watch(page)
    login(page, "officer")
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("SIM Agent Watch API")
    assert _violations(page, console) == []
