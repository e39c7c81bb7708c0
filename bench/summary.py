"""`make bench`'s closing summary (issue 15): each target at each size, the figure beside the ceiling it was
measured against in the same run, the share, the target and met or NOT met; the machine's state; and the time
estimates printed before the long phases.

Pure functions (tests/bench/test_summary.py): figures in, lines out. bench/run.py gathers the figures and the
machine's state and prints what these functions write.
"""

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    label: str
    unit: str
    ceiling: str  # what the figure is compared with
    bound: float  # a share of the ceiling, in %; with `limit`, the limit itself in `unit`
    at_least: bool  # met when the share is >= bound (else: when it is under bound)
    limit: float | None = None  # a fixed ceiling (memory, latency): met when the figure is under it

    def describe(self) -> str:
        if self.limit is not None:
            return f"< {_number(self.limit, self.unit)} {self.unit}"
        return f"{'>=' if self.at_least else '<'} {self.bound:g}%"


TARGETS = {
    "bulk": Target("bulk first load", "rows/s", "raw binary COPY", 50, True),
    "memory": Target("peak memory of the import", "MB", "limit", 300, False, limit=300),
    "nightly": Target("nightly load into the full table", "rows/s", "into an empty table", 70, True),
    "incremental": Target("incremental checks after the delta", "s", "full check run", 10, False),
    "page_rate": Target("{page}, throughput", "req/s", "bare keyset view", 25, True),
    "page_p99": Target("{page}, p99 at {connections} connections", "ms", "limit", 300, False, limit=300),
}


@dataclass(frozen=True)
class Measurement:
    size: int  # the registrations the figure was measured at
    target: str  # a key of TARGETS
    value: float | None  # None: not measured (see note)
    ceiling: float | None = None  # the ceiling measured in the same run; None for a fixed limit
    page: str = ""
    connections: int = 16
    errors: int = 0  # failed requests or rows: the target is not met with any
    note: str = ""

    @property
    def spec(self) -> Target:
        return TARGETS[self.target]

    @property
    def label(self) -> str:
        return self.spec.label.format(page=self.page, connections=self.connections)


def evaluate(m: Measurement) -> tuple[float | None, bool]:
    """(share of the ceiling in %, met). Compared without rounding: 50% of the ceiling meets ">= 50%", 10% does
    not meet "< 10%", 300 ms does not meet "< 300 ms"."""
    spec = m.spec
    ceiling = spec.limit if spec.limit is not None else m.ceiling
    if m.value is None or not ceiling or ceiling <= 0 or math.isnan(m.value):
        return None, False
    share = 100 * m.value / ceiling
    if spec.limit is not None:
        met = m.value < spec.limit
    elif spec.at_least:
        met = m.value * 100 >= spec.bound * ceiling
    else:
        met = m.value * 100 < spec.bound * ceiling
    return share, met and not m.errors


def _number(value: float, unit: str) -> str:
    if unit in ("rows/s", "MB"):
        return f"{value:,.0f}"
    if unit == "ms":
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    return f"{value:,.1f}"


def _size(n: int) -> str:
    return f"{n:,}"


def summary_table(measurements: list[Measurement]) -> list[str]:
    """One line per size and target, in the order measured; then how many were met."""
    header = (
        f"  {'rows':>11}  {'target':<44} {'measured':>14}  {'ceiling (same run)':<38} {'share':>7}  "
        f"{'target':<10} result"
    )
    lines = [header]
    met_count = measured = 0
    for m in measurements:
        spec = m.spec
        if m.value is None:
            lines.append(
                f"  {_size(m.size):>11}  {m.label:<44} {'-':>14}  {'':<38} {'':>7}  {spec.describe():<10} "
                f"not measured{': ' + m.note if m.note else ''}"
            )
            continue
        share, met = evaluate(m)
        measured += 1
        met_count += met
        ceiling = spec.limit if spec.limit is not None else m.ceiling
        ceiling_text = f"{_number(ceiling, spec.unit)} {spec.unit} ({spec.ceiling})" if ceiling else "-"
        share_text = f"{share:.1f}%" if share is not None else "-"
        note = [m.note] if m.note else []
        if m.errors:
            note.append(f"{m.errors:,} errors")
        lines.append(
            f"  {_size(m.size):>11}  {m.label:<44} {_number(m.value, spec.unit) + ' ' + spec.unit:>14}  "
            f"{ceiling_text:<38} {share_text:>7}  {spec.describe():<10} {'met' if met else 'NOT met'}"
            + (f" ({'; '.join(note)})" if note else "")
        )
    lines.append(
        f"  {met_count} of {measured} measured targets met"
        + (f"; {len(measurements) - measured} not measured" if measured < len(measurements) else "")
    )
    return lines


def from_figures(
    size: int,
    *,
    imports: dict | None = None,
    incremental: dict | None = None,
    pages: dict | None = None,
    reasons: dict | None = None,
) -> list[Measurement]:
    """The measurements of one size from the figures bench/registrations_import.py, bench/incremental.py and
    bench/wrk.py fill in; a target whose figures are missing is "not measured", with reasons[part] if given."""
    reasons = reasons or {}
    out = []
    if imports and "bulk_rate" in imports:
        out.append(Measurement(size, "bulk", imports["bulk_rate"], imports["raw_rate"]))
        out.append(Measurement(size, "memory", imports["peak_mb"]))
        out.append(
            Measurement(
                size,
                "nightly",
                imports["nightly_full_rate"],
                imports["nightly_empty_rate"],
                note=f"{imports['nightly_rows']:,} rows into {imports['nightly_into']:,}",
            )
        )
    else:
        note = reasons.get("imports", "")
        out += [Measurement(size, key, None, note=note) for key in ("bulk", "memory", "nightly")]
    if incremental and "incremental_seconds" in incremental:
        out.append(
            Measurement(
                incremental.get("size", size),
                "incremental",
                incremental["incremental_seconds"],
                incremental["full_seconds"],
                note=f"delta {incremental['delta']:,} rows",
            )
        )
    else:
        out.append(Measurement(size, "incremental", None, note=reasons.get("incremental", "")))
    if pages and pages.get("pages"):
        for page in pages["pages"]:
            common = {"page": page["label"], "connections": pages.get("connections", 16), "errors": page["errors"]}
            out.append(Measurement(size, "page_rate", page["rps"], page["ceiling"], **common))
            out.append(Measurement(size, "page_p99", page["p99"], **common))
    else:
        note = (pages or {}).get("skipped") or reasons.get("pages", "")
        out += [Measurement(size, key, None, page="list pages", note=note) for key in ("page_rate", "page_p99")]
    return out


# --- the machine ------------------------------------------------------------------------------------


@dataclass
class Machine:
    cores: int
    memory_gb: float
    load_before: str
    load_after: str = ""
    postgres: str = ""
    settings: dict = field(default_factory=dict)
    started: str = ""
    finished: str = ""


def machine_lines(m: Machine) -> list[str]:
    settings = ", ".join(f"{k} {v}" for k, v in m.settings.items())
    return [
        f"  machine: {m.cores} cores, {m.memory_gb:.1f} GB of memory; load average (1/5/15 min) {m.load_before} "
        f"before ({m.started}), {m.load_after} after ({m.finished})",
        f"  PostgreSQL {m.postgres}: {settings}",
    ]


# --- estimates --------------------------------------------------------------------------------------

# Seconds per registration and fixed seconds per phase, from the figures in the README (2 cores shared with
# other work, PostgreSQL 15 with its default settings): the import bench's five passes over the file (raw
# COPY 171,000 rows/s, --no-bulk 6,800, bulk 8,400, the schema's cost 8,400, re-import 10,000) and two
# nightly files; the rules database of 10M rows in about 40 minutes; a full check run of 10M in 65 to 100 s.
MODEL = {
    "points": (1 / 5_000, 30),  # the points list bench's points, created once, and its pages
    "file": (1 / 15_000, 0),  # the generated CSV, when it is not in bench/out yet
    "import": (1 / 171_000 + 1 / 6_800 + 1 / 8_400 + 1 / 8_400 + 1 / 10_000, 150),
    "search": (0, 15),
    "pages data": (1 / 100_000, 20),  # check run, risk scores, inspection scheduling
    "dashboard": (1 / 400_000, 15),
    "pages": (0, 60),
    "wrk": (0, 0),  # set from its runs: see wrk_seconds
    "rules": (1 / 4_200 + 1 / 70_000, 30),  # generation (about 40 minutes at 10M), SELECTs, two check runs
    "incremental": (1 / 22_000, 60),  # a copy of the rules database, three check runs, the delta
}
PAGES_MEASURED = 5


def wrk_seconds(seconds: int, pages: int = PAGES_MEASURED) -> float:
    """The wrk phase: the bare view before, between and after the pages, each run plus warming (about 3 s)."""
    return (2 * pages + 1) * (seconds + 3) + 15


def estimate_seconds(phase: str, size: int, observed: dict | None = None, *, wrk_run: int = 10) -> float:
    """The phase's time at `size`: the model above, scaled by how this machine did on the same phase at a size
    of 100,000 or more earlier in the run (observed: phase -> (size, seconds))."""
    if phase == "wrk":
        return wrk_seconds(wrk_run)
    per_row, fixed = MODEL[phase]
    model = per_row * size + fixed
    seen = (observed or {}).get(phase)
    if seen and seen[0] >= 100_000:
        at, took = seen
        base = per_row * at + fixed
        if base > 0:
            return model * took / base
    return model


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def parse_sizes(text: str) -> list[int]:
    """'1M,10M', '1000000,10000000', '20k,50000' -> sizes in rows, in the order given."""
    sizes = []
    for part in text.split(","):
        part = part.strip().replace("_", "").lower()
        if not part:
            continue
        factor = 1
        if part[-1] in "km":
            factor = 1_000 if part[-1] == "k" else 1_000_000
            part = part[:-1]
        try:
            value = float(part) * factor
        except ValueError:
            raise ValueError(f"not a size: {part!r} (write 1000000, 1M or 20k)") from None
        if value < 1 or value != int(value):
            raise ValueError(f"not a size: {part!r}")
        sizes.append(int(value))
    if not sizes:
        raise ValueError("no size given")
    return sizes


def describe_dataset(d: dict) -> str:
    """'100,000 points, 1,190,000 registrations, 50,000 flags (40,000 open), 3,000 inspection tasks (2,900 open)'."""
    return (
        f"{d['points']:,} points, {d['registrations']:,} registrations, {d['flags']:,} flags "
        f"({d['open_flags']:,} open), {d['tasks']:,} inspection tasks ({d['open_tasks']:,} open)"
    )
