"""A real task through a real broker to a real worker process: Redis (skipped only without REDIS_URL), and the
file queue of the embedded default (always)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
def test_task_runs_on_a_real_worker_through_redis(tmp_path):
    require_or_skip(bool(os.environ.get("REDIS_URL")), "REDIS_URL (a running Redis)")
    from config.celery import app
    from core.tasks import ping_task

    # given: a worker listening on a queue of its own, so no other worker takes the task
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        # when
        result = ping_task.apply_async(args=["redis"], queue=queue)
        # then
        assert result.get(timeout=60) == "pong:redis", (tmp_path / "worker.log").read_text()
        assert app.conf.broker_url.startswith("redis://")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def _stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@pytest.mark.worker
def test_task_sent_by_another_process_runs_on_a_worker_through_the_file_queue(tmp_path):
    # given: no Redis; a worker on a queue folder of the test's own, as `make run` starts one
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": "",
        "CELERY_EAGER": "0",
        "CELERY_QUEUE_DIR": str(tmp_path / "celery"),
    }
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        # when: another process (the web server, say) sends a task and waits for its result
        code = "from core.tasks import ping_task; print(ping_task.delay('files').get(timeout=60))"
        sender = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # then
        assert sender.returncode == 0, sender.stderr + log.read_text()
        assert sender.stdout.strip().splitlines()[-1] == "pong:files"
    finally:
        _stop(worker)


def test_a_worker_waits_out_a_broker_outage_longer_than_a_web_process():
    # given: the web process's quick single retry (settings), and a worker starting up with the same conf
    from types import SimpleNamespace

    from django.conf import settings

    from config.celery import WORKER_RESULT_RETRY_POLICY, patient_worker

    web = settings.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS if settings.REDIS_URL else None
    conf = SimpleNamespace(result_backend_transport_options={"retry_policy": {"max_retries": 1}})
    # when
    patient_worker(conf=conf)
    # then: the worker retries storing results for about a minute; the web process still gives up at once
    policy = conf.result_backend_transport_options["retry_policy"]
    assert policy == WORKER_RESULT_RETRY_POLICY
    assert policy["max_retries"] * policy["interval_max"] >= 60
    if web is not None:
        assert web["retry_policy"]["max_retries"] == 1
