"""Celery queues by kind (config/settings CELERY_TASK_ROUTES): each long task goes to its kind's queue, so
workers on other machines can take one kind; every other task to the default queue, which every worker
started without -Q takes with the rest."""

import pytest

from config.celery import app

LONG_TASKS = {
    "agents.run_import_task": "imports",
    "registrations.run_import_task": "imports",
    "registrations.run_checks_task": "checks",
    "inspections.nightly_chain_task": "checks",
    "inspections.schedule_inspections_task": "checks",
    "reports.subjects.apply_retention_task": "checks",
    "reports.evidence.make_pack_task": "reports",
    "core.verify_audit_task": "reports",
}


@pytest.fixture(scope="module", autouse=True)
def tasks_loaded():
    app.loader.import_default_modules()


def _queue(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize(("task_name", "queue"), LONG_TASKS.items())
def test_each_long_task_goes_to_its_kinds_queue(task_name, queue):
    assert task_name in app.tasks  # a renamed task would leave its route behind
    assert _queue(task_name) == queue


@pytest.mark.parametrize("task_name", ["core.ping_task", "core.webhook_deliver_task", "core.requeue_waiting_task"])
def test_short_tasks_go_to_the_default_queue(task_name):
    assert _queue(task_name) == "celery"


def test_every_task_goes_to_a_queue_a_worker_without_q_takes():
    # given: the queues a worker consumes when started without -Q
    consumed = {queue.name for queue in app.conf.task_queues}
    # then: no task is routed to a queue no such worker would take
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours
    assert {name: _queue(name) for name in ours if _queue(name) not in consumed} == {}
    assert consumed == {"celery", "imports", "checks", "reports"}
