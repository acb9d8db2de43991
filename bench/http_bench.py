"""Sections 1 and 2: HTTP throughput and latency per vendor prefix, and list latency at scale.

Section 1 drives ``fakefiles serve`` as a user starts it (from the serve venv, installed as
``make run`` installs it; 100 files per vendor from a fixture file) against the reference app
on the same uvicorn stack, holding as many files. Section 2 seeds up to 100 000 files through
the store (``bench/serve_seeded.py``), which no fixture file would do in reasonable time.
Both servers are driven on the same paths.

Runs are paired: in every repeat each vendor prefix is driven on the reference and on
fakefiles back to back (which goes first alternates), and the ratio is taken per pair before
the median, so the slow drifts of a shared machine cancel out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .load import Load, Server, bare_reference, fakefiles_serve, run_load, seeded_server
from .report import Report, Row, Target, stat
from .serve_seeded import live_manifest
from .vendors import AUTH, KEY

KINDS = {  # kind -> (label, whether req/s and p99 have targets)
    "get": ("GET by id", True),
    "list": ("list (limit 20)", True),
    "content": ("content 64 KiB", False),
    "upload": ("upload 1 KiB", False),
}


@dataclass
class Job:
    """One load run to repeat: a URL and how to send it."""

    server: Server
    url: str
    method: str = "GET"
    headers: dict[str, str] | None = None
    body_file: str | None = None

    def run(self, duration: float, wrk: str | None, connections: int = 32) -> Load:
        before = self.server.cpu_seconds()
        load = run_load(self.url, method=self.method, headers=self.headers,
                        body_file=self.body_file, connections=connections,
                        duration=duration, wrk=wrk)
        # CPU per request: the server's cost whatever else this shared machine is doing.
        load.cpu_us = (self.server.cpu_seconds() - before) / max(load.requests, 1) * 1e6
        return load


def manifest(workdir: Path) -> dict[str, dict[str, Any]]:
    """The seeded server's vendor entries by prefix."""
    return by_prefix(json.loads((workdir / "manifest.json").read_text()))


def by_prefix(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["prefix"]: v for v in manifest["vendors"]}


def bench_fixture(path: Path, files: int, content_bytes: int) -> Path:
    """A fixture file (JSON) with ``files`` files of ``content_bytes`` bytes per vendor prefix:
    ``.bin`` files, whose made-up bytes are random (no Faker), the same on every run."""

    def entries(purpose: str) -> list[dict[str, Any]]:
        return [{"filename": f"bench-{i:05d}.bin", "purpose": purpose, "size": content_bytes}
                for i in range(files)]

    document = {
        "seed": 1234,
        "openai": {"files": entries("vision")},
        "impala": {"files": entries("assistants")},
        "vlmrun": {"files": entries("assistants")},
        "orq": {"projects": [{"api_keys": [KEY], "files": entries("retrieval")}]},
    }
    path.write_text(json.dumps(document))
    return path


def job(server: Server, vendor: dict[str, Any] | None, kind: str) -> Job | str:
    """The job for ``kind`` on one vendor prefix of ``server``, or why there is none."""
    if vendor is None:
        return "n/a (prefix missing)"
    missing = vendor["missing"]
    if "all" in missing:
        return str(missing["all"])
    if kind == "upload":
        if "upload" not in vendor:
            return str(missing.get("upload", "n/a (route missing)"))
        up = vendor["upload"]
        return Job(server, server.url(up["path"]), up["method"], up["headers"], up["body_file"])
    if kind not in vendor["paths"]:
        return str(missing.get(kind, "n/a (route missing)"))
    return Job(server, server.url(vendor["paths"][kind]), headers=AUTH)


def paired(fake: Job, ref: Job, r: int, duration: float, wrk: str | None,
           connections: int = 32) -> tuple[Load, Load]:
    """(fakefiles, reference) back to back; the reference first on even repeats."""
    if r % 2 == 0:
        base = ref.run(duration, wrk, connections)
        return fake.run(duration, wrk, connections), base
    first = fake.run(duration, wrk, connections)
    return first, ref.run(duration, wrk, connections)


def throughput(report: Report, workdir: Path, *, repeats: int, duration: float,
               wrk: str | None, kinds: tuple[str, ...] = tuple(KINDS)) -> None:
    group = "1. HTTP, 32 connections: fakefiles serve (default install) vs reference"
    files, size = 100, 64 * 1024
    ref = bare_reference(files=files, content_bytes=size)
    fake = fakefiles_serve(bench_fixture(workdir / "http-fixture.json", files, size))
    with ref, fake:
        fakes = by_prefix(live_manifest(fake.url(""), files, workdir / "http-fake"))
        refs = by_prefix(live_manifest(ref.url(""), files, workdir / "http-ref"))
        for prefix in fakes:  # warm both servers up
            for server, vendors in ((fake, fakes), (ref, refs)):
                warm = job(server, vendors.get(prefix), "get")
                if isinstance(warm, Job):
                    warm.run(min(duration, 1.0), wrk)
        for kind in kinds:
            label, targeted = KINDS[kind]
            pairs: dict[str, list[tuple[Load, Load]]] = {p: [] for p in fakes}
            why: dict[str, str] = {}
            for r in range(repeats):
                prefixes = list(fakes) if r % 2 == 0 else list(reversed(fakes))
                for prefix in prefixes:
                    f, b = job(fake, fakes[prefix], kind), job(ref, refs.get(prefix), kind)
                    if isinstance(f, str) or isinstance(b, str):
                        why[prefix] = f if isinstance(f, str) else f"reference: {b}"
                        continue
                    pairs[prefix].append(paired(f, b, r, duration, wrk))
            for prefix in fakes:
                name = f"{label} {prefix}"
                found = pairs[prefix]
                if not found:
                    report.add(Row(group, name, "req/s", None, note=why.get(prefix, "n/a"),
                                   target=Target(">=", 0.85) if targeted else None))
                    continue
                errors = sum(f.errors for f, _ in found) + sum(b.errors for _, b in found)
                report.add(Row(
                    group, name, "req/s", stat([f.rps for f, _ in found]),
                    stat([b.rps for _, b in found]),
                    stat([f.rps / b.rps for f, b in found if b.rps]),
                    target=Target(">=", 0.85) if targeted else None,
                    note=f"{errors} non-2xx answers or socket errors" if errors else "",
                ))
                if targeted:
                    report.add(Row(
                        group, f"{name} p99", "ms", stat([f.p99_ms for f, _ in found]),
                        stat([b.p99_ms for _, b in found]),
                        stat([f.p99_ms / b.p99_ms for f, b in found if b.p99_ms]),
                        target=Target("<=", 1.5),
                    ))
                    report.add(Row(
                        group, f"{name} server CPU", "µs/req", stat([f.cpu_us for f, _ in found]),
                        stat([b.cpu_us for _, b in found]),
                        stat([f.cpu_us / b.cpu_us for f, b in found if b.cpu_us]),
                    ))


SIZES = (100, 10_000, 100_000)


def scale(report: Report, workdir: Path, *, repeats: int, duration: float,
          wrk: str | None, sizes: tuple[int, ...] = SIZES) -> None:
    """List p50 on one connection (service time, no queueing) at each namespace size."""
    group = "2. list p50 by files in the namespace (1 connection)"
    servers = {n: seeded_server(workdir / f"scale-{n}", files=n, content_bytes=1024)
               for n in sizes}
    try:
        for server in servers.values():
            server.start()
        vendors = {n: manifest(workdir / f"scale-{n}") for n in sizes}
        p50: dict[tuple[int, str, str], list[float]] = {}
        why: dict[tuple[int, str, str], str] = {}
        for r in range(repeats):
            for n in (sizes if r % 2 == 0 else tuple(reversed(sizes))):
                for prefix, vendor in vendors[n].items():
                    for page in ("list", "list_deep"):
                        found = job(servers[n], vendor, page)
                        if isinstance(found, str):
                            why[(n, prefix, page)] = found
                            continue
                        load = found.run(duration, wrk, connections=1)
                        p50.setdefault((n, prefix, page), []).append(load.p50_ms)
        small, large = sizes[0], sizes[-1]
        for prefix in vendors[small]:
            for page, label in (("list", "first page"), ("list_deep", "deep page")):
                base = p50.get((small, prefix, page), [])
                for n in sizes[1:]:
                    values = p50.get((n, prefix, page), [])
                    name = f"{label} {prefix} @{n:,}"
                    target = Target("<=", 1.5) if n == large else None
                    if not values or not base:
                        note = why.get((n, prefix, page)) or why.get((small, prefix, page), "n/a")
                        report.add(Row(group, name, "ms", None, note=note, target=target))
                        continue
                    report.add(Row(
                        group, name, "ms", stat(values), stat(base),
                        stat([v / b for v, b in zip(values, base, strict=False)]),
                        base_label=f"@{small}", target=target,
                    ))
    finally:
        for server in servers.values():
            server.stop()
