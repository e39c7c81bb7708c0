"""Shared by import_registrations and import_activations: a resumable batch import with live progress."""

import argparse
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.imports import ImportFileError, count_data_lines
from core.models import ImportJob

from ..imports import bulk as bulk_import
from ..imports.batches import SPECS
from ..imports.services import DEFAULT_BATCH_SIZE, elapsed_text, import_job_claim, import_job_create, import_job_run


class Progress:
    """Rows done/total, rate and ETA: one line rewritten in place on a terminal, a line every N seconds otherwise."""

    def __init__(self, out, *, tty: bool, every: float):
        self.out, self.tty, self.every = out, tty, every
        self.last = 0.0
        self.shown = False

    def __call__(self, job: ImportJob, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < (0.2 if self.tty else self.every):
            return
        self.last = now
        rate = job.rate
        text = (
            f"{job.processed_rows:,} / {job.total_rows:,} rows ({job.percent}%)"
            f"  {rate or 0:,.0f} rows/s  ETA {elapsed_text(job.eta_seconds)}"
        )
        if self.tty:
            self.out.write(f"\r{text}\033[K", ending="")
            self.out.flush()
            self.shown = True
        else:
            self.out.write(text)

    def end(self) -> None:
        if self.tty and self.shown:
            self.out.write("")


class BulkImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help=f"{self.kind}.csv (UTF-8, header row, comma separated)")
        parser.add_argument("--user", help="user name the import is recorded under (default: the system)")
        parser.add_argument(
            "--resume",
            type=int,
            metavar="JOB_ID",
            help="carry on a failed import of this file after its last committed batch",
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per transaction")
        if self.kind == "registrations":
            parser.add_argument(
                "--bulk",
                action=argparse.BooleanOptionalAction,
                default=None,
                help="load in bulk mode (staged, then merged in one transaction with the indexes rebuilt after): "
                "--bulk always, --no-bulk never; default: when the file holds at least 100,000 rows and at least "
                "as many as the table",
            )
            parser.add_argument(
                "--workers",
                type=int,
                default=1,
                metavar="N",
                help="bulk mode only: parse and stage the file with N processes (default 1: this process alone); "
                "worth it with cores to spare, about one core and 120 MB a worker; refused when the load is not in "
                "bulk mode",
            )
        parser.add_argument(
            "--progress-every", type=float, default=10.0, help="seconds between progress lines when not on a terminal"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        workers = options.get("workers", 1)
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if options["resume"]:
            job = self._resumed(options["resume"], path, workers, options.get("bulk"))
        else:
            job = self._new(options, path, workers)
        progress = Progress(self.stdout, tty=self.stdout.isatty(), every=options["progress_every"])
        try:
            with path.open("rb") as fh:
                import_job_run(
                    job=job,
                    binary=fh,
                    batch_size=options["batch_size"],
                    progress=progress,
                    bulk=options.get("bulk"),
                    workers=workers,
                )
        except ImportFileError as exc:
            progress.end()
            raise CommandError(f"{path}: {exc} Nothing was imported.") from exc
        except Exception as exc:
            progress.end()
            raise CommandError(
                f"{path}: import {job.pk} failed: {job.error or exc}\n"
                f"{job.processed_rows:,} rows (to line {job.resume_line:,}) are imported; "
                f"carry on with: manage.py import_{self.kind} {path} --resume {job.pk}"
            ) from exc
        progress(job, force=True)
        progress.end()
        if getattr(job, "staging_report", None) is not None:
            self.stdout.write(f"Bulk mode: {job.staging_report}.")
        self._report(job, path)

    def _new(self, options, path: Path, workers: int) -> ImportJob:
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No such user: {options['user']}")
        total_rows = 0
        if workers > 1:
            with path.open("rb") as fh:
                total_rows = count_data_lines(fh)  # counted once: the run does not count again
            self._check_workers(ImportJob(kind=self.kind, total_rows=total_rows), options.get("bulk"), workers)
        job = import_job_create(kind=self.kind, actor=actor, file_name=path.name, total_rows=total_rows)
        return import_job_claim(job.pk)

    def _check_workers(self, job: ImportJob, bulk: bool | None, workers: int) -> None:
        """--workers N > 1 stages in parallel, which only bulk mode does: refused, before anything is imported,
        for a load that would not run in bulk mode."""
        if workers > 1 and not bulk_import.wants_bulk(spec=SPECS[self.kind], job=job, bulk=bulk):
            raise CommandError(
                f"--workers {workers} runs only in bulk mode (PostgreSQL; --bulk, or a file of at least "
                f"{bulk_import.BULK_MIN_ROWS:,} rows and as many as the table holds, or the resume of a bulk "
                "load), and this import would not run in bulk mode. Nothing was imported: run it without "
                "--workers, or with --bulk."
            )

    def _resumed(self, job_id: int, path: Path, workers: int, bulk: bool | None) -> ImportJob:
        job = ImportJob.objects.filter(pk=job_id, kind=self.kind).first()
        if job is None:
            raise CommandError(f"No {self.kind} import with id {job_id}.")
        if job.status == ImportJob.Status.DONE:
            raise CommandError(f"Import {job_id} is already done.")
        if job.file_name != path.name:
            raise CommandError(f"Import {job_id} was of {job.file_name}, not {path.name}.")
        if path.stat().st_size < job.resume_offset:
            raise CommandError(f"{path} is shorter than the part already imported: is it the same file?")
        self._check_workers(job, bulk, workers)
        claimed = import_job_claim(job_id)
        if claimed is None:
            raise CommandError(f"Import {job_id} is running elsewhere (its last sign of life is recent).")
        self.stdout.write(f"Resuming import {job_id} after line {claimed.resume_line:,}.")
        return claimed

    def _report(self, job: ImportJob, path: Path) -> None:
        rate = job.rate
        self.stdout.write(
            f"{self.kind}: {job.created:,} created, {job.updated:,} updated, {job.unchanged:,} unchanged, "
            f"{job.rejected:,} rejected ({job.processed_rows:,} rows in {job.elapsed_seconds:.1f} s"
            + (f", {rate:,.0f} rows/s)" if rate else ")")
        )
        for line, warning in (job.warnings or [])[:20]:
            self.stdout.write(f"  warning{f' line {line}' if line else ''}: {warning}")
        if len(job.warnings or []) > 20:
            self.stdout.write(f"  ... and more warnings: see import {job.pk}")
        rejects_path = path.with_name(path.name + ".rejects.csv")
        if job.rejects_file:
            with job.rejects_file.open("rb") as source, rejects_path.open("wb") as out:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    out.write(chunk)
            self.stdout.write(f"Rejected rows with line and reason: {rejects_path}")
        elif rejects_path.exists():
            rejects_path.unlink()  # a stale report from an earlier run would mislead
