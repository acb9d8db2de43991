"""The benchmark's modules import and a very short run works (no timed assertions here:
``make bench`` prints the figures and checks the targets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import http_bench, memory, run
from bench.load import parse_wrk
from bench.report import Report, Row, Stat, Target, table
from bench.vendors import PROFILES, id_like

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8000/openai/v1/files
  1 threads and 32 connections
  Latency Distribution
     50%  412.00us
     75%    1.20ms
     90%    2.51ms
     99%   12.34ms
  21000 requests in 3.00s, 5.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   7000.50
"""


def test_parse_wrk_reads_rate_percentiles_and_errors() -> None:
    load = parse_wrk(WRK_OUTPUT)
    assert (load.rps, load.requests, load.errors) == (7000.5, 21000, 3)
    assert load.p50_ms == pytest.approx(0.412) and load.p99_ms == pytest.approx(12.34)


def test_row_status_met_near_missed_and_na() -> None:
    def row(ratio: float | None, op: str = ">=") -> Row:
        return Row("g", "n", "req/s", Stat([1.0]), ratio=None if ratio is None else Stat([ratio]),
                   target=Target(op, 0.85))  # type: ignore[arg-type]

    assert [row(0.9).status, row(0.8).status, row(0.5).status] == ["met", "near", "MISSED"]
    assert row(None).status == "n/a" and row(1.6, "<=").status == "MISSED"
    known = row(0.7)
    known.reason, known.bound = "measured why", 0.65
    assert known.status == "known"
    known.bound = 0.75  # worse than documented: a failure again
    assert known.status == "MISSED"
    report = Report([row(0.5), Row("g", "missing", "ms", None, note="n/a (route missing)")])
    assert report.missed == report.rows[:1]
    assert "n/a (route missing)" in table(report) and "MISSED" in table(report)


def test_ids_keep_each_vendors_format() -> None:
    import random

    rng = random.Random(1)
    assert id_like("file-abcdefghijklmnopqrstuvwx", rng, 1.7e9).startswith("file-")
    assert len(id_like("3f1c2a9e-8b4d-4c6e-9a2f-1d7e5b8c0a41", rng, 1.7e9)) == 36
    ulid = id_like("file_01HZXW2K7Y8Q9M0N1P2R3S4T5V", rng, 1.7e9)
    assert ulid.startswith("file_") and len(ulid) == 31
    assert set(PROFILES) == {"openai", "impala", "vlmrun", "orq", "anthropic", "gemini"}


def test_quick_arguments() -> None:
    args = run.parse(["--quick", "--only", "http,memory"])
    assert args.sections == ["http", "memory"] and args.big_mib == 16 and args.duration <= 1


def test_a_very_short_http_run_measures_both_servers(tmp_path: Path) -> None:
    report = Report()
    http_bench.throughput(report, tmp_path, repeats=1, duration=0.2, wrk=None,
                          kinds=("get", "upload"))
    by_name = {row.name: row for row in report.rows}
    get = by_name["GET by id /openai/v1"]
    assert get.value is not None and get.base is not None and get.ratio is not None
    assert get.value.median > 0 and get.base.median > 0 and not get.note
    assert by_name["upload 1 KiB /orq/v2"].value is not None


def test_a_small_file_goes_up_and_down(tmp_path: Path) -> None:
    report = Report()
    memory.big_file(report, tmp_path, repeats=1, size=2 * memory.MIB)
    rows = {row.name: row for row in report.rows}
    assert rows["upload throughput"].ratio is not None
    assert rows["download: server RSS growth"].value is not None
