"""Batches: the hot loop that parses rows into batches, the file kinds' specs, a prefetching thread that
parses the next batch while the current one is written, and the province-scope check of a batch."""

import csv
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter

from django.utils import translation
from django.utils.translation import gettext as _

from agents.models import RegistrationPoint
from core.imports import CsvStream
from core.scoping import province_scope

from ..models import Activation, Channel, Registration
from .rows import (
    ACTIVATION_COLUMNS,
    ACTIVATION_FIELDS,
    ACTIVATIONS,
    REGISTRATION_COLUMNS,
    REGISTRATION_FIELDS,
    REGISTRATIONS,
    RowRejected,
    activation_parser,
    registration_parser,
    with_cancelled_at,
)

# --- batches ------------------------------------------------------------------------------------


@dataclass
class Batch:
    """Parsed rows between two byte offsets of the file, ready to be written in one transaction."""

    first_line: int
    rows: dict = field(default_factory=dict)  # key -> parsed tuple (repeats collapsed)
    lines: dict = field(default_factory=dict)  # key -> (line, values as read), for scope rejects
    rejects: list = field(default_factory=list)  # (line, reason, values as read)
    warnings: list = field(default_factory=list)  # (line, text)
    read: int = 0  # data rows read, whatever became of them
    collapsed: int = 0  # rows superseded by a later (registrations) or earlier (activations) one
    end_offset: int = 0
    end_line: int = 0


@dataclass(frozen=True)
class Spec:
    kind: str
    columns: list[str]
    fields: list[str]
    model: type
    key: str

    def parser(self, actor, points: dict[str, tuple[int, int]] | None = None):
        """The row parser for `actor`; `points`: its usable points when already read (imports.parallel)."""
        if self.kind == ACTIVATIONS:
            return activation_parser()
        parse = registration_parser(points=usable_points(actor) if points is None else points)
        if len(self.columns) > len(REGISTRATION_COLUMNS):  # the optional cancelled_at column is there
            parse = with_cancelled_at(parse)
        return parse


SPECS = {
    REGISTRATIONS: Spec(REGISTRATIONS, REGISTRATION_COLUMNS, REGISTRATION_FIELDS, Registration, "external_id"),
    ACTIVATIONS: Spec(ACTIVATIONS, ACTIVATION_COLUMNS, ACTIVATION_FIELDS, Activation, "iccid"),
}


def usable_points(actor) -> dict[str, tuple[int, int]]:
    """Point code -> (point id, agent id), for the points in the actor's provinces (all for no actor)."""
    points = RegistrationPoint.objects.all()
    scope = province_scope(actor) if actor is not None else None
    if scope is not None:
        points = points.filter(province_id__in=scope)
    # A few hundred thousand points at most: a dict of them is a few tens of MB, and saves a query per row.
    return {code: (pk, agent_id) for code, pk, agent_id in points.values_list("code", "pk", "agent_id").iterator()}


def parse_batches(  # noqa: C901 - the per-row hot loop: kept flat, a call per row costs measurably
    stream: CsvStream, parse, spec: Spec, batch_size: int, keep_lines: bool, gate: Callable[[], object] | None = None
) -> Iterator[Batch]:
    """Parsed batches of `batch_size` rows read; the hot loop of the import, kept flat on purpose.

    `gate` is called every 256 rows (it blocks while the parsing is paused, see Prefetch).
    `batch_bounds` cuts the file where this does without parsing: a change to what counts as a row read, or
    to where a batch ends, goes into both (tests/registrations/test_import_parallel.py compares them).
    """
    registrations = spec.kind == REGISTRATIONS
    reader, pick, strip, problem_of = stream.reader, stream.pick, str.strip, stream.problem
    source, min_values, records = stream.lines, stream.min_values, stream.records
    batch = Batch(first_line=stream.line + 1)
    rows, lines, read = batch.rows, batch.lines, 0
    last_end = reader.line_num
    while True:
        try:
            for values in reader:
                first, last_end = last_end + 1, reader.line_num
                if last_end > first and (lost := stream.swallowed(values, first)):
                    # an unclosed quote: each physical line it swallowed is a reject of its own
                    records, read = records + len(lost), read + len(lost)
                    batch.rejects.extend(lost)
                    continue
                if len(values) < 2 and not (values and values[0]):
                    continue  # a blank line
                records += 1
                read += 1
                if gate is not None and not read & 255:
                    gate()
                problem = problem_of(values) if source.suspect or len(values) < min_values else None
                if problem is None:
                    try:
                        parsed = parse(tuple(map(strip, pick(values))))
                    except RowRejected as exc:
                        problem = str(exc)
                if problem is not None:
                    stream.records = records  # stream.line reads it
                    batch.rejects.append((stream.line, problem, stream.as_columns(values)))
                else:
                    key = parsed[0]
                    earlier = rows.get(key)
                    if earlier is None:
                        rows[key] = parsed
                        if keep_lines:
                            stream.records = records
                            lines[key] = (stream.line, stream.as_columns(values))
                    else:
                        stream.records = records
                        batch.collapsed += 1
                        # registrations: the later row wins; activations: the earliest activated_at
                        if registrations or parsed[2] < earlier[2]:
                            rows[key] = parsed
                            if keep_lines:
                                lines[key] = (stream.line, stream.as_columns(values))
                        if registrations:
                            warning = _("external_id %(key)s is repeated in the file; the later row wins.")
                            batch.warnings.append((stream.line, warning % {"key": key}))
                if read >= batch_size:
                    stream.records = records
                    batch.read, batch.end_offset, batch.end_line = read, stream.offset, stream.line
                    yield batch
                    batch = Batch(first_line=stream.line + 1)
                    rows, lines, read = batch.rows, batch.lines, 0
            break
        except csv.Error as exc:
            # the reader carries on with the next line after an error
            last_end = reader.line_num
            records += 1
            read += 1
            stream.records = records
            reason = _("Unreadable CSV: %(error)s") % {"error": exc}
            batch.rejects.append((stream.line, reason, [""] * len(spec.columns)))
    stream.records = records
    if read:
        batch.read, batch.end_offset, batch.end_line = read, stream.offset, stream.line
        yield batch


@dataclass(frozen=True)
class Bounds:
    """Where a batch of parse_batches lies in the file: a stream started at (`start_offset`, `start_line`)
    reads exactly that batch (its first line is start_line + 1) and stops at (`end_offset`, `end_line`)."""

    start_offset: int
    start_line: int
    end_offset: int
    end_line: int
    read: int


def batch_bounds(stream: CsvStream, batch_size: int) -> Iterator[Bounds]:
    """The batches parse_batches would make of `stream`, without parsing a row (imports.parallel: each worker
    parses its batches from their offsets). The same count of rows read: a blank line is none, each line an
    unclosed quote swallowed is one, an unreadable record is one; a batch ends after the row that makes it
    full, never inside a swallowed run or after an unreadable record."""
    reader = stream.reader
    records, read = stream.records, 0
    start_offset, start_line = stream.offset, stream.line
    last_end = reader.line_num
    while True:
        try:
            for values in reader:
                first, last_end = last_end + 1, reader.line_num
                if last_end > first and (lost := stream.swallowed(values, first)):
                    records, read = records + len(lost), read + len(lost)
                    continue
                if len(values) < 2 and not (values and values[0]):
                    continue  # a blank line
                records += 1
                read += 1
                if read >= batch_size:
                    stream.records = records
                    end_offset, end_line = stream.offset, stream.line
                    yield Bounds(start_offset, start_line, end_offset, end_line, read)
                    start_offset, start_line, read = end_offset, end_line, 0
            break
        except csv.Error:
            last_end = reader.line_num
            records += 1
            read += 1
    stream.records = records
    if read:
        yield Bounds(start_offset, start_line, stream.offset, stream.line, read)


class Prefetch:
    """Runs a batch generator in a thread, `depth` batches ahead: batch N+1 is parsed while N is written.

    While the database works on a batch (the upsert, the commit) the main thread waits with the GIL
    released and the parser runs: on two cores or more, parsing and writing overlap. During the COPY
    the parser is paused (`paused()`; the generator calls `gate` every few hundred rows): the COPY
    releases and retakes the GIL at every network write, and each retake would wait out the parser's
    switch interval (5 ms), which made the COPY several times slower than the parsing it overlapped.
    The thread gets the caller's language so reject reasons read the same.
    """

    _DONE = object()

    def __init__(self, make_iterator: Callable[[Callable[[], None]], Iterator], depth: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._iterator = make_iterator(self._running.wait)
        self._language = translation.get_language()
        self._thread = threading.Thread(target=self._run, name="import-parser", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self):
        with translation.override(self._language):
            try:
                for item in self._iterator:
                    if not self._put(item):
                        return
            except BaseException as exc:  # handed to the consumer, which re-raises it
                self._put(exc)
                return
            self._put(self._DONE)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    @contextmanager
    def paused(self):
        self._running.clear()
        try:
            yield
        finally:
            self._running.set()

    def close(self):
        self._stop.set()
        self._running.set()
        self._thread.join()


def scope_rejects(batch: Batch, actor, kind: str) -> None:
    """A user limited to some provinces writes only what it could read, as stored and as written.

    - registrations: an APP registration belongs to no province, so only a user of all provinces imports
      one; a row whose external_id is stored where the user cannot read it (a point outside its provinces,
      or an APP registration) is refused. A POINT row's point is already one of the user's (rows.py).
    - activations: only SIMs registered at points of its provinces (what it can read).
    The reason reads the same for a record that is outside the user's provinces and for one that is not
    there at all: it names no province, point or agent.
    """
    scope = province_scope(actor) if actor is not None else None
    if scope is None or not batch.rows:
        return
    keys = list(batch.rows)
    refused: dict[str, str] = {}
    if kind == REGISTRATIONS:
        app_reason = _("APP registrations belong to no province: only a user of all provinces imports them.")
        refused.update((key, app_reason) for key, row in batch.rows.items() if row[_CHANNEL] == Channel.APP)
        for chunk in _chunks(keys):
            stored = set(Registration.objects.filter(external_id__in=chunk).values_list("external_id", flat=True))
            readable = set(
                Registration.objects.filter(external_id__in=chunk, point__province_id__in=scope).values_list(
                    "external_id", flat=True
                )
            )
            for key in stored - readable:
                refused.setdefault(key, _("external_id %(key)s cannot be written from your provinces.") % {"key": key})
    else:
        for chunk in _chunks(keys):
            registered_here = set(
                Registration.objects.filter(iccid__in=chunk, point__province_id__in=scope).values_list(
                    "iccid", flat=True
                )
            )
            for key in set(chunk) - registered_here:
                refused[key] = _("iccid %(key)s is not a SIM registered in your provinces.") % {"key": key}
    for key, reason in refused.items():
        del batch.rows[key]
        line, raw = batch.lines.pop(key)
        batch.rejects.append((line, reason, raw))
    batch.rejects.sort(key=itemgetter(0))


_CHANNEL = REGISTRATION_FIELDS.index("channel")


def _chunks(keys: list[str], size: int = 500):
    for start in range(0, len(keys), size):
        yield keys[start : start + size]
