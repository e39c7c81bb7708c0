"""bench/summary.py: `make bench`'s summary table says met or NOT met right at each target's boundary, says what
was not measured and why; the sizes, estimates and the machine's lines. Pure functions: nothing is timed here."""

import pytest

from bench.summary import (
    Machine,
    Measurement,
    describe_dataset,
    duration,
    estimate_seconds,
    evaluate,
    from_figures,
    machine_lines,
    parse_sizes,
    summary_table,
    wrk_seconds,
)

M = 1_000_000


def _result(measurement: Measurement) -> str:
    """The summary line's verdict for one measurement."""
    line = summary_table([measurement])[1]
    return "NOT met" if "NOT met" in line else "not measured" if "not measured" in line else "met"


# --- met or not, at the boundaries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ceiling", "verdict"),
    [(50_000, 100_000, "met"), (49_999, 100_000, "NOT met"), (80_000, 100_000, "met"), (8_427, 170_974, "NOT met")],
)
def test_bulk_load_is_met_from_half_the_raw_copy_rate_included(value, ceiling, verdict):
    m = Measurement(M, "bulk", value, ceiling)
    assert _result(m) == verdict
    assert evaluate(m)[1] is (verdict == "met")


@pytest.mark.parametrize(("value", "verdict"), [(7_000, "met"), (6_999, "NOT met"), (10_000, "met")])
def test_nightly_load_is_met_from_70_percent_of_the_empty_table_rate_included(value, verdict):
    assert _result(Measurement(M, "nightly", value, 10_000)) == verdict


@pytest.mark.parametrize(("seconds", "verdict"), [(10.0, "NOT met"), (9.99, "met"), (19.1, "NOT met"), (0.5, "met")])
def test_incremental_checks_are_met_only_under_10_percent_of_the_full_run(seconds, verdict):
    assert _result(Measurement(M, "incremental", seconds, 100.0)) == verdict


@pytest.mark.parametrize(("value", "verdict"), [(25.0, "met"), (24.99, "NOT met"), (30.0, "met")])
def test_page_throughput_is_met_from_a_quarter_of_the_bare_view_included(value, verdict):
    assert _result(Measurement(M, "page_rate", value, 100.0, page="flag queue")) == verdict


@pytest.mark.parametrize(("p99", "verdict"), [(300.0, "NOT met"), (299.9, "met"), (1_050.0, "NOT met")])
def test_p99_is_met_only_under_300_ms(p99, verdict):
    assert _result(Measurement(M, "page_p99", p99, page="flag queue")) == verdict


@pytest.mark.parametrize(("mb", "verdict"), [(300.0, "NOT met"), (299.0, "met"), (206.0, "met")])
def test_peak_memory_is_met_only_under_300_mb(mb, verdict):
    assert _result(Measurement(M, "memory", mb)) == verdict


def test_a_page_with_failed_requests_meets_neither_target_whatever_its_figures():
    # given: fast and well within the bare view's share, but 2 requests failed
    rate = Measurement(M, "page_rate", 90.0, 100.0, page="points list", errors=2)
    p99 = Measurement(M, "page_p99", 50.0, page="points list", errors=2)
    # then
    assert _result(rate) == _result(p99) == "NOT met"
    assert "2 errors" in summary_table([rate])[1]


def test_a_missing_or_zero_ceiling_is_not_met_rather_than_a_division_error():
    assert evaluate(Measurement(M, "bulk", 8_000, 0)) == (None, False)
    assert evaluate(Measurement(M, "bulk", 8_000, None)) == (None, False)


# --- the table --------------------------------------------------------------------------------------


def test_each_line_shows_size_target_figure_ceiling_share_and_verdict():
    # when
    line = summary_table([Measurement(10 * M, "bulk", 8_427, 170_974)])[1]
    # then
    assert line.split()[:4] == ["10,000,000", "bulk", "first", "load"]
    for part in ("8,427 rows/s", "170,974 rows/s (raw binary COPY)", "4.9%", ">= 50%", "NOT met"):
        assert part in line


def test_share_is_printed_to_a_tenth_and_the_verdict_is_not_rounded():
    # given: 49.96% prints as 50.0% but is under the target
    line = summary_table([Measurement(M, "bulk", 49_960, 100_000)])[1]
    assert "50.0%" in line
    assert line.endswith("NOT met")


def test_limits_show_as_the_ceiling_and_the_target():
    line = summary_table([Measurement(M, "page_p99", 252.0, page="flag queue", connections=16)])[1]
    assert "flag queue, p99 at 16 connections" in line
    for part in ("252 ms", "300 ms (limit)", "< 300 ms", "84.0%"):
        assert part in line


def test_the_last_line_counts_targets_met_and_not_measured():
    lines = summary_table(
        [
            Measurement(M, "bulk", 60_000, 100_000),
            Measurement(M, "memory", 350.0),
            Measurement(M, "incremental", None, note="--rules-rows 0"),
        ]
    )
    assert "not measured: --rules-rows 0" in lines[3]
    assert lines[-1].strip() == "1 of 2 measured targets met; 1 not measured"


def test_from_figures_gives_every_target_of_a_size_in_order():
    # given: the figures the benches fill in
    imports = {
        "raw_rate": 170_974.0,
        "bulk_rate": 8_427.0,
        "peak_mb": 206.0,
        "nightly_full_rate": 4_166.0,
        "nightly_empty_rate": 7_667.0,
        "nightly_rows": 200_000,
        "nightly_into": 989_993,
    }
    incremental = {"size": M, "delta": 200_000, "incremental_seconds": 19.1, "full_seconds": 75.6}
    pages = {
        "connections": 16,
        "pages": [{"label": "flag queue", "rps": 92.1, "p99": 227.0, "ceiling": 335.4, "errors": 0}],
    }
    # when
    rows = from_figures(M, imports=imports, incremental=incremental, pages=pages)
    # then
    assert [(m.target, m.value, m.ceiling) for m in rows] == [
        ("bulk", 8_427.0, 170_974.0),
        ("memory", 206.0, None),
        ("nightly", 4_166.0, 7_667.0),
        ("incremental", 19.1, 75.6),
        ("page_rate", 92.1, 335.4),
        ("page_p99", 227.0, None),
    ]
    assert [evaluate(m)[1] for m in rows] == [False, True, False, False, True, True]
    assert {m.size for m in rows} == {M}


def test_from_figures_says_why_a_part_was_not_measured():
    # when: nothing imported, wrk missing, no rules database
    rows = from_figures(
        M,
        imports={},
        incremental={},
        pages={"skipped": "wrk is not installed"},
        reasons={"imports": "--registrations 0"},
    )
    # then: every target listed, none measured, each with its reason
    assert [m.target for m in rows] == ["bulk", "memory", "nightly", "incremental", "page_rate", "page_p99"]
    assert all(m.value is None for m in rows)
    assert [m.note for m in rows] == ["--registrations 0"] * 3 + [""] + ["wrk is not installed"] * 2


# --- sizes, estimates, the machine -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("1M,10M", [1_000_000, 10_000_000]),
        ("1000000,10000000", [1_000_000, 10_000_000]),
        ("20k, 50000", [20_000, 50_000]),
        ("1_000_000", [1_000_000]),
        ("2.5M", [2_500_000]),
    ],
)
def test_parse_sizes(text, sizes):
    assert parse_sizes(text) == sizes


@pytest.mark.parametrize("text", ["", "ten", "0", "1.5", "-5", "1M,x"])
def test_parse_sizes_refuses_what_is_not_a_size(text):
    with pytest.raises(ValueError, match="size"):
        parse_sizes(text)


def test_estimates_grow_with_size_and_follow_this_machine_from_a_big_enough_size():
    # without a measurement: the README's model, 10M far longer than 1M
    at_1m, at_10m = estimate_seconds("import", M), estimate_seconds("import", 10 * M)
    assert 7 * at_1m < at_10m < 11 * at_1m
    # measured twice as slow as the model at 1M: 10M is estimated twice as slow too
    assert estimate_seconds("import", 10 * M, {"import": (M, 2 * at_1m)}) == pytest.approx(2 * at_10m)
    # a small trial size says nothing about 10M: the model stands
    assert estimate_seconds("import", 10 * M, {"import": (20_000, 999.0)}) == pytest.approx(at_10m)
    # the wrk phase: 11 runs (the bare view around 5 pages) of its fixed length
    assert estimate_seconds("wrk", 10 * M, wrk_run=10) == wrk_seconds(10) == 11 * 13 + 15


def test_the_10m_rules_database_is_estimated_at_about_40_minutes():
    assert 35 * 60 < estimate_seconds("rules", 10 * M) < 50 * 60


@pytest.mark.parametrize(("seconds", "text"), [(45, "45 s"), (600, "10 min"), (3 * 3600, "3.0 h")])
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_machine_lines_give_cores_memory_load_before_and_after_and_postgres_settings():
    machine = Machine(
        cores=2,
        memory_gb=7.75,
        load_before="0.20 0.30 0.40",
        load_after="3.10 2.00 1.00",
        postgres="15.20",
        settings={"shared_buffers": "128MB", "maintenance_work_mem": "64MB", "max_wal_size": "1GB"},
        started="2026-12-08 10:00 UTC",
        finished="2026-12-08 13:00 UTC",
    )
    text = "\n".join(machine_lines(machine))
    for part in (
        "2 cores",
        "7.8 GB",
        "0.20 0.30 0.40 before (2026-12-08 10:00 UTC)",
        "3.10 2.00 1.00 after (2026-12-08 13:00 UTC)",
        "PostgreSQL 15.20",
        "shared_buffers 128MB",
        "maintenance_work_mem 64MB",
        "max_wal_size 1GB",
    ):
        assert part in text


def test_describe_dataset():
    data = {
        "points": 100_000,
        "registrations": 1_190_000,
        "flags": 50_000,
        "open_flags": 40_000,
        "tasks": 3,
        "open_tasks": 2,
    }
    assert describe_dataset(data) == (
        "100,000 points, 1,190,000 registrations, 50,000 flags (40,000 open), 3 inspection tasks (2 open)"
    )
