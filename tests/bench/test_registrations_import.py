"""bench/registrations_import.py's clearing of its own rows beside other data (`make load`'s demo on the bench
database): the flags on the bench's rows, and what hangs on them, go first."""

import pytest
from django.db import connection
from django.utils import timezone

from bench.registrations_import import BENCH_ROWS, delete_with_dependants
from registrations.models import Flag, FlagEvent, Registration
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench reads PostgreSQL's catalogue of foreign keys")
def test_bench_rows_go_with_their_flags_and_events_and_other_rows_stay():
    # given: a demo registration and two of the bench's (history and nightly files), each flagged
    demo = RegistrationFactory(external_id="R0000001")
    bench = [RegistrationFactory(external_id="BR000000001"), RegistrationFactory(external_id="BN000000002")]
    demo_flag = make_flag("MISSING_PHOTOS", registration=demo)
    for registration in bench:
        flag = make_flag("MISSING_PHOTOS", registration=registration)
        FlagEvent.objects.create(flag=flag, at=timezone.now(), to_status="OPEN", reason="bench")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a foreign key broken by the order fails here, not at commit
    # when
    delete_with_dependants("registrations_registration", BENCH_ROWS)
    # then
    assert list(Registration.objects.values_list("external_id", flat=True)) == ["R0000001"]
    assert list(Flag.objects.values_list("pk", flat=True)) == [demo_flag.pk]
    assert not FlagEvent.objects.filter(reason="bench").exists()
