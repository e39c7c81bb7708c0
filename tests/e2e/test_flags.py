"""An officer works the flag queue: filters it by rule, ticks two flags, dismisses them with a reason, opens
a third and confirms it from its page; the queue and the audit trail follow."""

import pytest

from core.models import AuditEvent
from registrations.models import Flag, FlagStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e


def test_officer_reviews_flags_in_bulk_and_one_by_one(page, e2e_users, login, screenshot):
    # given
    point = PointFactory(code="HN-FLAG", agent=AgentFactory(code="AG-FLAG", province_code="001"))
    photos = [make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=point)) for _ in range(2)]
    mismatch = make_flag("POPULATION_MISMATCH", registration=RegistrationFactory(point=point))
    login(page, "officer")

    # when: the queue is narrowed to one rule with its count chip
    page.goto("/registrations/flags/")
    expect(page.get_by_test_id("flag-row")).to_have_count(3)
    page.get_by_test_id("count-MISSING_PHOTOS").click()
    expect(page.get_by_test_id("flag-row")).to_have_count(2)
    screenshot(page, "flags-queue")

    # and both are ticked and dismissed with a reason
    page.locator("[data-select-all]").check()
    expect(page.locator("[data-selected-count]")).to_have_text("Flags ticked: 2")
    page.get_by_label("Reason for the ticked flags").fill("Photos found in the point's record folder")
    page.get_by_test_id("bulk-dismiss").click()

    # then: the queue (open flags of that rule) is empty, and each dismissal is audited
    expect(page.get_by_text("Dismissed 2 flags.")).to_be_visible()
    expect(page.get_by_test_id("flag-table")).to_contain_text("No flags match.")
    assert {f.status for f in Flag.objects.filter(pk__in=[f.pk for f in photos])} == {FlagStatus.DISMISSED}
    assert AuditEvent.objects.filter(action="flag.dismiss").count() == 2

    # when: the other flag is opened and confirmed from its page
    page.goto(f"/registrations/flags/{mismatch.pk}/")
    expect(page.get_by_test_id("subject-registration")).to_contain_text("N. V. A.")
    page.get_by_role("button", name="Confirm or dismiss").click()
    page.locator("#review-reason").fill("Population database says another person")
    page.get_by_test_id("confirm").click()

    # then
    expect(page.get_by_text("Confirmed 1 flag.")).to_be_visible()
    expect(page.get_by_test_id("flag-history")).to_contain_text("Population database says another person")
    screenshot(page, "flag-confirmed")
    mismatch.refresh_from_db()
    assert mismatch.status == FlagStatus.CONFIRMED
