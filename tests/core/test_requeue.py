"""Jobs whose queue message was lost (a broker restarted empty) are sent again, once per period, and only
while they still wait; a message sent again never re-runs a job that failed or finished meanwhile."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone

from agents import services as agent_services
from core.models import ImportJob
from core.runs import QueueUnavailable, queue_lost_after, requeue_key, requeue_waiting
from registrations.imports import services as import_services
from reports.evidence import services as evidence_services
from reports.evidence.models import EvidencePack
from tests.agents.factories import PointFactory
from tests.reports.evidence.factories import make_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """What the sweep sends, by task name, instead of the broker."""
    calls = []

    def fake(task, *, args=(), kwargs=None):
        calls.append((task, args, kwargs or {}))

    for module in (import_services, agent_services, evidence_services):
        monkeypatch.setattr(module, "send_task", fake)
    yield calls
    for key in list(cache_keys):
        cache.delete(key)


cache_keys: set[str] = set()


def job(kind: str, status=ImportJob.Status.PENDING, *, waited: timedelta, with_file=True) -> ImportJob:
    made = ImportJob.objects.create(kind=kind, file_name=f"{kind}.csv", status=status)
    if with_file:
        made.source_file.save(f"{kind}.csv", ContentFile(b"x"), save=True)
    ImportJob.objects.filter(pk=made.pk).update(created_at=timezone.now() - waited)
    for name in ("registration imports", "agents and points imports"):
        cache_keys.add(requeue_key(name, made.pk))
    return made


def test_only_jobs_still_waiting_past_the_limit_are_sent_again(sent):
    long_ago = queue_lost_after() + timedelta(minutes=1)
    waiting = job("registrations", waited=long_ago)
    job("registrations", waited=timedelta(seconds=30))  # a worker may simply be busy
    job("activations", ImportJob.Status.FAILED, waited=long_ago)
    job("registrations", ImportJob.Status.RUNNING, waited=long_ago)
    job("registrations", ImportJob.Status.DONE, waited=long_ago)
    points_job = job("points", waited=long_ago)  # queued first, yet run after the agents
    agents_job = job("agents", waited=long_ago)
    cache_keys.add(requeue_key("agents and points imports", f"{agents_job.pk}-{points_job.pk}"))

    counts = requeue_waiting()

    assert counts["registration imports"] == 1
    assert counts["agents and points imports"] == 1
    assert ("registrations.run_import_task", (waiting.pk,), {"pending_only": True}) in sent
    # agents before points, in one message, as the upload queued them
    assert ("agents.run_import_task", ([agents_job.pk, points_job.pk],), {}) in sent
    assert len(sent) == 2


def test_a_job_is_sent_again_at_most_once_per_period(sent):
    waiting = job("registrations", waited=queue_lost_after() * 2)
    requeue_waiting()
    requeue_waiting()
    assert [call[1] for call in sent] == [(waiting.pk,)]
    cache.delete(requeue_key("registration imports", waiting.pk))  # the period has passed
    requeue_waiting()
    assert [call[1] for call in sent] == [(waiting.pk,), (waiting.pk,)]


def test_a_queue_still_down_sends_nothing_and_tries_again_next_time(monkeypatch, sent):
    waiting = job("registrations", waited=queue_lost_after() * 2)

    def down(*args, **kwargs):
        raise QueueUnavailable("connection refused")

    monkeypatch.setattr(import_services, "send_task", down)
    assert requeue_waiting()["registration imports"] == 0
    monkeypatch.setattr(import_services, "send_task", lambda task, *, args=(), kwargs=None: sent.append(args))
    assert requeue_waiting()["registration imports"] == 1
    assert sent == [(waiting.pk,)]


def test_an_evidence_pack_waiting_too_long_is_sent_again(sent, make_user):
    pack = make_pack(PointFactory(), status=EvidencePack.Status.PENDING)
    cache_keys.add(requeue_key("evidence packs", pack.pk))
    EvidencePack.objects.filter(pk=pack.pk).update(created_at=timezone.now() - queue_lost_after() * 2)
    assert requeue_waiting()["evidence packs"] == 1
    assert sent == [(evidence_services.PACK_TASK, (pack.pk,), {})]


def test_a_message_sent_again_never_reruns_a_job_that_failed_meanwhile():
    failed = ImportJob.objects.create(kind="registrations", file_name="r.csv", status=ImportJob.Status.FAILED)
    assert import_services.import_job_claim(failed.pk, pending_only=True) is None
    assert ImportJob.objects.get(pk=failed.pk).status == ImportJob.Status.FAILED
    # while a person's "resume" still takes it
    assert import_services.import_job_claim(failed.pk) is not None
