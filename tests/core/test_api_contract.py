"""What schemathesis (tests/core/test_fuzz_api.py) found, pinned as plain tests: the schema documents the
error answers and `HH:MM` times, and `page_size` is checked as the schema says."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_400_401_403(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"400", "401", "403"} <= set(operation["responses"]), (method, path)


def test_detail_paths_and_cursor_lists_document_404(schema):
    assert "404" in schema["paths"]["/api/v1/agents/{id}/"]["get"]["responses"]
    assert "404" in schema["paths"]["/api/v1/flags/"]["get"]["responses"]


def test_opening_hours_are_hh_mm(schema):
    closes_at = schema["components"]["schemas"]["PointOutput"]["properties"]["closes_at"]
    assert "format" not in str(closes_at)
    assert "pattern" in str(closes_at)


@pytest.mark.parametrize("size", ["", "abc", "0", "501"])
def test_a_bad_page_size_is_refused(officer, size):
    api = APIClient()
    api.force_authenticate(officer)
    response = api.get(reverse("api:flag_list"), {"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_good_page_size_is_used(officer):
    api = APIClient()
    api.force_authenticate(officer)
    assert api.get(reverse("api:agent_list"), {"page_size": "2"}).status_code == 200
