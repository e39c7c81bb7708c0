"""On the embedded default (no Redis), an upload of 30,000 registrations goes to a worker process through the
local file queue: the page answers at once and its progress bar is seen between 0 and 100% before the end.

The worker is a real `celery worker` process, as `make run` starts one, reading the live server's test
database (a file on SQLite, `test_<name>` on PostgreSQL) and a queue folder of the test's own.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from config.settings.base import local_queue
from core.models import ImportJob
from registrations.imports.rows import REGISTRATION_COLUMNS
from registrations.models import Registration
from tests.agents.factories import AgentFactory, PointFactory
from tests.registrations.test_importers import csv_file, iccid, reg

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]
ROWS = 30_000
REJECT_EVERY = 1_000  # one row in a thousand has a landline number: rejected with its line
POINTS = ["HN-W1", "HN-W2", "HN-W3"]


def registrations_csv() -> bytes:
    rows = [
        reg(
            external_id=f"W{i:06d}",
            msisdn=f"024{i:08d}" if i % REJECT_EVERY == 0 else f"091{i:07d}",
            iccid=iccid(i),
            point_code=POINTS[i % len(POINTS)],
            registered_at=f"2026-03-{1 + i % 28:02d}T09:{i % 60:02d}:00+07:00",
        )
        for i in range(1, ROWS + 1)
    ]
    return csv_file(REGISTRATION_COLUMNS, rows).getvalue()


def test_database_url() -> str:
    """The live server's test database, as a DATABASE_URL for another process."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        assert not connection.is_in_memory_db(), "the worker process cannot open an in-memory database"
        return f"sqlite:///{name}"
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


test_database_url.__test__ = False  # a helper, not a test


def reconnect(app) -> None:
    # Celery keeps its broker connections and result backend once made (the backend per thread, so the
    # live server's thread has its own): drop them so the next task sent uses the configuration now set.
    app._after_fork()
    app._backend_cache = None
    app._local = threading.local()


@pytest.fixture
def local_worker(tmp_path, live_server, transactional_db):
    """A Celery worker process on a file queue in tmp_path, and this process sending to that queue."""
    from config.celery import app

    queue = local_queue(tmp_path / "celery")
    saved = {key: app.conf[key] for key in [*queue, "task_always_eager"]}
    app.conf.update(queue, task_always_eager=False)
    reconnect(app)
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": "",
        "CELERY_EAGER": "0",
        "CELERY_QUEUE_DIR": str(tmp_path / "celery"),
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname=e2e@%h"]
    with log_path.open("w") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log_path.read_text():
            assert worker.poll() is None, f"the worker exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"the worker did not start:\n{log_path.read_text()}"
            time.sleep(0.2)
        yield log_path
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        app.conf.update(saved)
        reconnect(app)


@pytest.mark.parametrize("viewport", ["desktop"])  # one run is enough: this is about the queue, not the layout
def test_upload_of_30000_rows_runs_on_the_worker_and_the_progress_bar_moves(
    page, e2e_users, login, local_worker, screenshot
):
    # given: the points the rows name, and an officer on the upload page
    agent = AgentFactory(code="AG-W", province_code="001")
    for code in POINTS:
        PointFactory(code=code, agent=agent)
    payload = registrations_csv()
    login(page, "officer")
    page.goto("/registrations/import/")

    # when: the file is uploaded
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "registrations.csv", "mimeType": "text/csv", "buffer": payload}]
    )
    sent = time.monotonic()
    with page.expect_navigation():
        page.get_by_role("button", name="Import", exact=True).click()
    answered = time.monotonic() - sent

    # then: the job's page answers before the import is done (a worker has it, not the request)
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_be_visible()
    job = ImportJob.objects.get(created_by=e2e_users["officer"])
    assert not job.is_finished, f"the import finished within the request ({answered:.1f} s)"

    # and the bar is seen between 0 and 100% while it runs (htmx swaps the fragment in every second)
    seen: list[str] = []
    deadline = time.monotonic() + 180
    while page.get_by_test_id("import-status").inner_text() not in {"Done", "Failed"}:
        value = progress.locator("progress").get_attribute("value")
        if value is not None and (not seen or seen[-1] != value):
            seen.append(value)
            if 0 < int(value) < 100:
                screenshot(page, "import-progress-running")
        assert time.monotonic() < deadline, f"not done in time; seen {seen}\n{local_worker.read_text()[-3000:]}"
        time.sleep(0.2)  # each state stays on the page a second or more
    done = time.monotonic() - sent

    # then: it completes with the right counts
    expect(page.get_by_test_id("import-status")).to_have_text("Done")
    rejected = ROWS // REJECT_EVERY
    cells = page.get_by_test_id("import-counts").locator("tbody td")
    expect(cells).to_have_text([f"{ROWS - rejected:,}", "0", "0", f"{rejected:,}"])
    expect(progress.locator("progress")).to_have_attribute("value", "100")
    assert any(0 < int(value) < 100 for value in seen), f"no intermediate value seen: {seen}"
    job.refresh_from_db()
    assert (job.created, job.updated, job.unchanged, job.rejected) == (ROWS - rejected, 0, 0, rejected)
    assert Registration.objects.count() == ROWS - rejected
    print(f"\n{ROWS:,} rows: page answered in {answered:.2f} s, import done after {done:.1f} s; bar values {seen}")
    for stored in (job.source_file, job.rejects_file):
        if stored:
            stored.delete(save=False)
