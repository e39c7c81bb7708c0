"""Fixtures the field-work tests share: uploads in a folder of the test's own, a Hà Nội task of the field
inspector with its report, and the inspector's phone (a signed-in client). A module may define its own."""

import pytest

from tests.agents.factories import PointFactory
from tests.inspections.factories import ReportFactory, TaskFactory


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def task(inspector):
    return TaskFactory(point=PointFactory(province_code="001"), inspector=inspector)


@pytest.fixture
def report(task):
    return ReportFactory(task=task)


@pytest.fixture
def phone(client, inspector):
    client.force_login(inspector)
    return client
