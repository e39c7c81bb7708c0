"""A real task through Redis to a real worker process (skipped only without REDIS_URL)."""

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
