"""GET /api/v1/reports/monthly/<YYYY-MM>/: the month's figures as JSON, in the caller's provinces."""

import pytest

from core.roles import Role
from reports.monthly.figures import METRIC_CODES
from tests.reports.monthly import scene

URL = "/api/v1/reports/monthly/2026-03/"


@pytest.mark.django_db
def test_figures_for_each_role(api, any_principal, hanoi_point, saigon_point, officer):
    scene.build(hanoi_point, saigon_point, officer)
    api.force_authenticate(any_principal.user)

    response = api.get(URL)

    if any_principal.role not in {Role.OFFICER, Role.MANAGER, Role.AUDITOR}:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = response.json()
    assert list(body["figures"]) == list(METRIC_CODES)
    expected = {"all": ([], 5), "in": (["001"], 3), "out": (["079"], 1)}[any_principal.scope]
    assert (body["provinces"], body["figures"]["registrations"]) == expected


@pytest.mark.django_db
def test_bad_month_and_provinces_are_400s(api, make_user):
    api.force_authenticate(make_user(Role.OFFICER, provinces=["001"], username="hn"))

    bad_month = api.get("/api/v1/reports/monthly/2026-13/")
    other = api.get(URL, {"province": "079"})
    unknown = api.get(URL, {"province": "999"})

    assert bad_month.status_code == 400
    assert "month" in bad_month.json()
    assert other.status_code == 400
    assert "079" in other.json()["province"][0]
    assert unknown.status_code == 400
    assert "999" in unknown.json()["province"][0]


@pytest.mark.django_db
def test_anonymous_is_refused(api):
    assert api.get(URL).status_code in (401, 403)
