"""Parallel staging of a bulk load (issue 15): `manage.py import_registrations FILE --bulk --workers N`.

Why: a bulk load's staging (imports.bulk) is the Python work of each row (rows.registration_parser: the
checks, AES-GCM encryption, HMACs; ~30 µs a row), so one process stages at most ~35,000 rows/s whatever the
database could take. Here N worker processes parse side by side; the merge is the database's and unchanged.

How a run goes
--------------
- The parent reads the file once without parsing a row (batches.batch_bounds: the csv module alone, ~3 µs a
  row) and cuts it exactly where the single-process loop cuts its batches. Each batch goes to a worker as
  its byte offsets and line numbers: a few numbers, not its rows.
- A worker is a process started with 'spawn' (nothing is forked from a process that holds connections and
  threads). It sets Django up with the parent's database settings (under pytest, the test database), keys
  and language, and gets the point codes the parent read for the importing user. It opens the file itself,
  reads its batch from the batch's offset as a resumed run would (batches.parse_batches), applies the user's
  province scope (batches.scope_rejects), and COPYs the rows into the job's staging table in a transaction
  of its own, under the stage's lock (shared). The parsed rows never travel between processes; the worker
  sends back what the job records: counts, rejects and warnings.
- The parent records the batches in file order, each in a transaction with the job's progress
  (services._write_batch: the same accounting as a single process, the rejects' part files, the warnings,
  the resume offset and line, the heartbeat), then merges as a single process does.

So the result is the single process's: the same batches, their rows staged with the same batch_line (the
later of two repeats wins at the merge, across batches too), the same counts, rejects and warnings.

Crash safety: a worker commits its batch before the parent records it, and the job's committed progress is
the truth. A run that stops (killed, or a worker's error) may leave staged batches the job does not count;
the next run deletes them first (bulk.discard_unrecorded) and stages them again. A worker stages only while
its parent lives, and the deletion takes the stage's lock exclusively, so it waits for a batch that was still
committing and no orphaned worker stages after it. Nothing reaches the registrations table before the merge.

A program that calls this from a script of its own needs the `if __name__ == "__main__":` guard of any program
whose processes are started with 'spawn' (each worker imports the main module); manage.py has it.

Memory: at most IN_FLIGHT_PER_WORKER batches a worker in flight (one parsed, one waiting as a few numbers);
the parent holds no rows, only the summaries of batches done before an earlier one. A worker holds the point
codes and one batch.
"""

import dataclasses
import logging
import multiprocessing
import os
import queue
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation

from core.imports import CsvStream

from . import stage_worker
from .batches import SPECS, Batch, Bounds, Spec, batch_bounds, parse_batches, scope_rejects, usable_points
from .bulk import StageWriter, lock_stage

logger = logging.getLogger(__name__)

# Two a worker: it takes the next batch the moment it is done with one, and a slow batch holds back at most
# 2 x workers batches' summaries in the parent.
IN_FLIGHT_PER_WORKER = 2
STOP_SECONDS = 30.0
# What a worker needs of the parent's settings besides its settings module: the databases (pytest's test
# database is set at run time) and the keys the parser encrypts and hashes with.
PASSED_SETTINGS = ("FIELD_ENCRYPTION_KEY", "PII_HMAC_KEY")


class WorkerFailed(RuntimeError):
    """A batch could not be staged (the worker's error), lines `first_line` to `last_line`."""

    def __init__(self, first_line: int, last_line: int, message: str):
        super().__init__(message)
        self.first_line, self.last_line = first_line, last_line


@dataclass
class StagingReport:
    workers: int
    seconds: float
    parent_peak_mb: float
    worker_peak_mb: float  # the largest worker's
    worker_cpu_seconds: float  # all workers together

    def __str__(self) -> str:
        return (
            f"staged by {self.workers} workers in {self.seconds:.1f} s ({self.worker_cpu_seconds:.1f} CPU s in "
            f"the workers); peak memory: this process {self.parent_peak_mb:.0f} MB, "
            f"the largest worker {self.worker_peak_mb:.0f} MB"
        )


def file_path(binary) -> str | None:
    """The path of `binary` when it is a file on disk that workers can open themselves, else None."""
    name = getattr(binary, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        return os.path.abspath(name)
    return None


class _Counted:
    """A staged batch's rows as the parent records them: only how many (services._write_batch reads len)."""

    def __init__(self, count: int):
        self.count = count

    def __len__(self) -> int:
        return self.count

    def values(self):
        return ()


class _Recorded:
    """The writer the parent records a staged batch with: its rows are in the staging table already."""

    def write(self, rows, pause=nullcontext) -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")  # as the single process's batch commit
        return 0, 0


RECORDED = _Recorded()


def stage(
    job,
    spec: Spec,
    stream: CsvStream,
    *,
    path: str,
    batch_size: int,
    workers: int,
    actor,
    limited: bool,
    record: Callable[[Batch], None],
    progress: Callable | None = None,
) -> StagingReport:
    """Stage the file from where `stream` stands into the job's staging table with `workers` processes.

    `record(batch)` records a staged batch with the job's progress (in its own transaction), in file order.
    Raises WorkerFailed for a batch a worker could not stage (the batches before it are recorded)."""
    started = time.perf_counter()
    StageWriter(spec, job.pk).ensure_table()
    config = {
        # the module Django was set up from (settings.SETTINGS_MODULE is None under override_settings)
        "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE,
        "settings": {
            "DATABASES": {alias: dict(values) for alias, values in settings.DATABASES.items()},
            **{name: getattr(settings, name) for name in PASSED_SETTINGS},
        },
        "language": translation.get_language(),
        "kind": spec.kind,
        "columns": list(spec.columns),
        "points": usable_points(actor),
        "actor": actor.pk if limited else None,
        "job": job.pk,
        "path": path,
        "batch_size": batch_size,
        "parent": os.getpid(),
    }
    context = multiprocessing.get_context("spawn")
    tasks, results = context.Queue(), context.Queue()
    processes = [
        context.Process(
            target=stage_worker.main, args=(config, tasks, results), name=f"import-{job.pk}-stage-{n}", daemon=True
        )
        for n in range(1, workers + 1)
    ]
    started_processes = []
    usage: dict[int, tuple[float, float]] = {}  # worker pid -> (peak MB, CPU seconds)
    finished = False
    try:
        for process in processes:
            process.start()
            started_processes.append(process)
        bounds = batch_bounds(stream, batch_size)
        _run(processes, tasks, results, bounds, record=record, progress=progress, job=job, usage=usage)
        finished = True
    finally:
        _stop(started_processes, tasks, results, clean=finished)
    report = StagingReport(
        workers=workers,
        seconds=time.perf_counter() - started,
        parent_peak_mb=peak_mb(),
        worker_peak_mb=max((mb for mb, _cpu in usage.values()), default=0.0),
        worker_cpu_seconds=sum(cpu for _mb, cpu in usage.values()),
    )
    logger.debug("Import job %s: %s", job.pk, report)
    return report


def _run(processes, tasks, results, bounds: Iterator[Bounds], *, record, progress=None, job=None, usage=None) -> None:
    """Send batches' bounds to the workers, IN_FLIGHT_PER_WORKER a worker, and record the staged batches in file
    order; none sent after a worker's error, which is raised once the batches before it are recorded."""
    usage = {} if usage is None else usage
    workers = len(processes)
    sent: dict[int, Bounds] = {}  # index -> bounds, until recorded
    done: dict[int, tuple] = {}  # results of batches after the next to record
    next_to_record, index, failed = 0, 0, False
    while True:
        while not failed and len(sent) < IN_FLIGHT_PER_WORKER * workers:
            batch = next(bounds, None)
            if batch is None:
                break
            sent[index] = batch
            tasks.put((index, batch.start_offset, batch.start_line, batch.end_offset, batch.end_line, batch.read))
            index += 1
        if not sent:
            return
        status, at, payload = _next_result(results, processes)
        if status == "failed":
            raise RuntimeError(f"A staging worker could not start:\n{payload}")
        done[at] = (status, payload)
        failed = failed or status == "error"
        while next_to_record in done:
            status, payload = done.pop(next_to_record)
            bounds_done = sent.pop(next_to_record)
            if status == "error":
                raise WorkerFailed(bounds_done.start_line + 1, bounds_done.end_line, payload)
            usage[payload["pid"]] = (payload["peak_mb"], payload["cpu"])
            record(
                Batch(
                    first_line=payload["first_line"],
                    rows=_Counted(payload["rows"]),
                    rejects=payload["rejects"],
                    warnings=payload["warnings"],
                    read=bounds_done.read,
                    collapsed=payload["collapsed"],
                    end_offset=bounds_done.end_offset,
                    end_line=bounds_done.end_line,
                )
            )
            if progress is not None:
                progress(job)
            next_to_record += 1


def _next_result(results, processes) -> tuple:
    while True:
        try:
            return results.get(timeout=stage_worker.POLL_SECONDS)
        except queue.Empty:
            for process in processes:
                if process.exitcode is not None:
                    raise RuntimeError(
                        f"Staging worker {process.name} stopped (exit code {process.exitcode})."
                    ) from None


def _stop(processes, tasks, results, *, clean: bool) -> None:
    """Workers told to stop after a run that finished; stopped at once (terminated) after a failure: a batch a
    worker was staging rolls back, or commits and is deleted by the next run (bulk.discard_unrecorded)."""
    if clean:
        for _process in processes:
            tasks.put(None)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join()
    for channel in (tasks, results):
        channel.cancel_join_thread()
        channel.close()


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry the spawning parent's peak)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- in a worker process (stage_worker.main) ---------------------------------------------------


class Stager:
    """A worker's side: parse one batch from its offsets and COPY its rows into the job's staging table."""

    def __init__(self, config: dict, *, orphaned: type[Exception]):
        from django.contrib.auth import get_user_model

        self.spec = dataclasses.replace(SPECS[config["kind"]], columns=config["columns"])
        self.parse = self.spec.parser(None, points=config["points"])
        self.actor = get_user_model().objects.get(pk=config["actor"]) if config["actor"] else None
        self.writer = StageWriter(self.spec, config["job"])
        self.job_id, self.batch_size, self.parent = config["job"], config["batch_size"], config["parent"]
        self.orphaned = orphaned
        self.binary = open(config["path"], "rb")  # noqa: SIM115 - the worker's for its life

    def stage(self, task: tuple) -> dict:
        _index, start_offset, start_line, end_offset, end_line, read = task
        stream = CsvStream(self.binary, self.spec.columns, offset=start_offset, line=start_line)
        limited = self.actor is not None
        batch = next(parse_batches(stream, self.parse, self.spec, self.batch_size, keep_lines=limited))
        if (batch.read, batch.end_offset, batch.end_line) != (read, end_offset, end_line):
            raise RuntimeError(
                f"The batch after line {start_line} ends at line {batch.end_line} ({batch.read} rows), "
                f"not {end_line} ({read} rows) as the file was cut: the file changed during the import?"
            )
        with transaction.atomic(), connection.cursor() as cursor:
            lock_stage(cursor, self.job_id, shared=True)
            if os.getppid() != self.parent:
                raise self.orphaned
            if limited:
                scope_rejects(batch, self.actor, self.spec.kind)
            if batch.rows:
                self.writer.batch_line = batch.first_line
                self.writer.write(batch.rows.values(), nullcontext)
        times = os.times()
        return {
            "first_line": batch.first_line,
            "rows": len(batch.rows),
            "collapsed": batch.collapsed,
            "rejects": batch.rejects,
            "warnings": batch.warnings,
            "pid": os.getpid(),
            "peak_mb": peak_mb(),
            "cpu": times.user + times.system,
        }
