"""Each figure's link opens the rows behind it: the list pages' filters for a month (and a province)."""

from urllib.parse import urlsplit

import pytest

from inspections.models import InspectionTask
from reports.monthly.figures import Month, compute_figures
from reports.monthly.links import drill_links
from tests.reports.monthly import scene

# figures whose link lists exactly the rows the figure counts (flagged_any lists flags, several per
# registration; points/agents list today's status, not the status at the month's end; the actions done on
# time link to the verified ones due in the month, late ones included)
EXACT = (
    "registrations",
    "registrations_cancelled",
    "flagged.PREACTIVATED",
    "flagged.MISSING_PHOTOS",
    "flagged.INCOMPLETE_RECORD",
    "flagged.ACTIVATED_UNREGISTERED",
    "flagged.UNDERAGE",
    "inspections_due",
    "inspections_done",
    "findings",
    "sanctions_approved",
    "corrective_actions_due",
)


def rows(client, url):
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, url
    return list(response.context["page"].items)


@pytest.mark.django_db
@pytest.mark.parametrize("provinces", [[], ["001"], ["079"]], ids=["all", "001", "079"])
def test_each_link_lists_the_rows_its_figure_counts(client, manager, hanoi_point, saigon_point, provinces):
    # given
    scene.build(hanoi_point, saigon_point, manager)
    month = Month.parse(scene.MONTH)
    figures = compute_figures(month, provinces)
    links = drill_links(month, provinces)
    client.force_login(manager)

    # when / then
    for code in EXACT:
        assert len(rows(client, links[code])) == figures[code], code


@pytest.mark.django_db
def test_flag_filters_for_live_flags_of_a_months_subjects(client, manager, hanoi_point, saigon_point):
    scene.build(hanoi_point, saigon_point, manager)
    client.force_login(manager)
    url = "/registrations/flags/?status=&rule=MISSING_PHOTOS"

    every = rows(client, url)
    live = rows(client, url + "&live=true")
    not_live = rows(client, url + "&live=false")
    march = rows(client, url + "&subject_from=2026-03-01&subject_to=2026-03-31")

    assert len(every) == 3
    assert {f.status for f in live} == {"OPEN", "CONFIRMED"}
    assert [f.status for f in not_live] == ["DISMISSED"]
    assert len(march) == 3  # all three subjects are March's
    assert rows(client, url + "&subject_from=2026-04-01") == []


@pytest.mark.django_db
def test_registration_list_filters_by_province(client, manager, hanoi_point, saigon_point):
    scene.build(hanoi_point, saigon_point, manager)
    client.force_login(manager)

    hanoi = rows(client, "/registrations/?province=001")
    saigon = rows(client, "/registrations/?province=079")

    assert {r.point.province_id for r in hanoi} == {"001"}
    assert {r.point.province_id for r in saigon} == {"079"}
    assert len(hanoi) + len(saigon) == 7  # the APP registration is in neither


@pytest.mark.django_db
def test_inspection_lists_filter_by_local_dates(client, manager, hanoi_point, saigon_point):
    scene.build(hanoi_point, saigon_point, manager)
    client.force_login(manager)

    closed = rows(client, "/inspections/?status=CLOSED&closed_from=2026-04-01&closed_to=2026-04-01")
    found = rows(client, "/inspections/findings/?found_from=2026-04-01&found_to=2026-04-01")
    decided = rows(client, "/inspections/sanctions/?decided_from=2026-04-01&decided_to=2026-04-01")
    due = rows(client, "/inspections/actions/?due_from=2026-04-01&due_to=2026-04-30")

    # the planning page's rows carry what it shows (not closed_at): the listed tasks read again
    closed_at = [InspectionTask.objects.get(pk=t.pk).closed_at.isoformat() for t in closed]
    assert closed_at == ["2026-03-31T17:10:00+00:00"]  # 1 April 00:10 local
    assert [f.point_id for f in found] == [saigon_point.pk]
    assert [s.amount_vnd for s in decided] == [10_000_000]
    assert [a.due_date.isoformat() for a in due] == ["2026-04-01"]
