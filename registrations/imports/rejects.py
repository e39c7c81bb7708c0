"""The rejected rows of an import: one part file per batch in storage (so memory stays flat), assembled
into the job's rejects file at the end."""

import csv
import io
import tempfile

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

from core.models import ImportJob

from .batches import Batch

# --- rejects files ------------------------------------------------------------------------------


def _rejects_dir(job: ImportJob) -> str:
    return f"imports/rejects/job-{job.pk}"


def _rejects_csv(columns: list[str], rejects, *, header: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(["line", "reason", *columns])
    for line, reason, values in rejects:
        writer.writerow([line, reason, *values])
    return buffer.getvalue().encode("utf-8")


def save_part(job: ImportJob, batch: Batch) -> None:
    # Named by the batch's first line: a batch redone after a failure overwrites its own part.
    name = f"{_rejects_dir(job)}/{batch.first_line:012d}.csv"
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(_rejects_csv([], batch.rejects, header=False)))


def _parts(job: ImportJob) -> list[tuple[int, str]]:
    directory = _rejects_dir(job)
    try:
        _dirs, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return []
    return sorted((int(name.split(".")[0]), f"{directory}/{name}") for name in files if name.endswith(".csv"))


def drop_parts_from(job: ImportJob, line: int) -> None:
    """Parts of batches that did not commit (a failed run) are written again by the resumed run."""
    for first_line, name in _parts(job):
        if first_line > line:
            default_storage.delete(name)


def assemble_rejects(job: ImportJob, columns: list[str]) -> None:
    parts = _parts(job)
    if job.rejects_file:
        job.rejects_file.delete(save=False)
    if not parts:
        return
    with File(_spooled()) as out:
        out.write(_rejects_csv(columns, [], header=True))
        for _first, name in parts:
            with default_storage.open(name, "rb") as part:
                for chunk in iter(lambda part=part: part.read(1 << 20), b""):
                    out.write(chunk)
        out.seek(0)
        job.rejects_file.save(f"{job.kind}-{job.pk}.rejects.csv", out, save=False)
    for _first, name in parts:
        default_storage.delete(name)


def _spooled():
    return tempfile.SpooledTemporaryFile(max_size=8 << 20)


def rejects_rows(job: ImportJob) -> list[dict]:
    """The job's rejected rows as dicts (line, reason and the contract columns): for small jobs and tests."""
    if not job.rejects_file:
        return []
    with job.rejects_file.open("rb") as fh:
        text = fh.read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))
