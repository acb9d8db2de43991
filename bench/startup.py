"""Sections 3 and 4: start-up (server, in-process app, pytest fixture) and in-process round trips.

The in-process figures are taken in fresh child processes (``python -m bench.startup MODE``,
one JSON line out), so one measurement never warms another up.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .load import CLIENT_CPU, SERVER_CPU, bare_reference, fakefiles_serve, pinned
from .report import Report, Row, Target, stat

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURES = ROOT / "fixtures" / "default.yaml"


def child(mode: str, *args: str, timeout: float = 120) -> dict[str, Any]:
    argv = pinned([sys.executable, "-m", "bench.startup", mode, *args], SERVER_CPU)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"bench.startup {mode} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def startup(report: Report, *, repeats: int, workdir: Path) -> None:
    """``fakefiles serve`` with the default fixtures against the bare reference, spawn → first
    200, both from the serve venv. The untimed first start of each fills the bytecode cache
    and fakefiles' made-up data cache (madeup.py), as a user's first run does; a start with
    an empty made-up cache is shown too (no target: it happens once per fixture change)."""
    group = "3. start-up"
    fixtures = DEFAULT_FIXTURES if DEFAULT_FIXTURES.exists() else None
    fakefiles_serve(fixtures).start().stop()
    bare_reference().start().stop()
    fake_times: list[float] = []
    ref_times: list[float] = []
    cold_times: list[float] = []
    for r in range(repeats):
        runs = ["ref", "fake", "cold"] if r % 2 == 0 else ["cold", "fake", "ref"]
        for which in runs:
            if which == "ref":
                with bare_reference() as ref:
                    ref_times.append(ref.ready_after * 1000)
            elif which == "fake":
                with fakefiles_serve(fixtures) as fake:
                    fake_times.append(fake.ready_after * 1000)
            else:
                empty = workdir / f"empty-cache-{r}"
                with fakefiles_serve(fixtures, {"FAKEFILES_CACHE_DIR": str(empty)}) as fake:
                    cold_times.append(fake.ready_after * 1000)
    report.add(Row(group, "fakefiles serve (default fixtures): spawn → first 200", "ms",
                   stat(fake_times), stat(ref_times),
                   stat([f / b for f, b in zip(fake_times, ref_times, strict=True)]),
                   target=Target("<=", 2.0)))
    report.add(Row(group, "the same, first start after a fixture change (made-up data made)",
                   "ms", stat(cold_times), stat(ref_times),
                   stat([f / b for f, b in zip(cold_times, ref_times, strict=True)])))
    child("create")  # untimed, as above
    created = [child("create") for _ in range(repeats)]
    report.add(Row(group, "import fakefiles.app (+ starlette, pydantic, httpx)", "ms",
                   stat([c["import_ms"] for c in created])))
    report.add(Row(group, "in-process app ready: create_app + first 200, after import", "ms",
                   stat([c["first_ms"] for c in created]), target=Target("<", 20.0, on="value")))
    report.add(Row(group, "in-process app ready, warm (median of 20)", "ms",
                   stat([c["warm_ms"] for c in created])))
    if created[0].get("fixtures_ms") is not None:
        report.add(Row(group, "load default fixtures (YAML, made-up data cached)", "ms",
                       stat([c["fixtures_ms"] for c in created])))
        report.add(Row(group, "Fake.reset() with default fixtures", "ms",
                       stat([c["reset_ms"] for c in created]),
                       target=Target("<", 1.0, on="value")))
    pytest_rows(report, group, repeats)


PYTEST_TESTS = 100
PYTEST_TIMING = '''
import json, os
_setup = []
def pytest_runtest_logreport(report):
    if report.when == "setup":
        _setup.append(report.duration)
def pytest_sessionfinish(session):
    with open(os.environ["BENCH_TIMES"], "w") as f:
        json.dump(_setup, f)
'''


def pytest_rows(report: Report, group: str, repeats: int) -> None:
    """Set-up time of the plugin's ``fakefiles`` fixture: first test, then every next one."""
    first: list[float] = []
    each: list[float] = []
    note = ""
    for attempt in range(repeats + 1):  # the first, untimed, fills the bytecode cache
        with tempfile.TemporaryDirectory(prefix="fakefiles-bench-") as tmp:
            folder = Path(tmp)
            ini = "[pytest]\naddopts = -p no:cacheprovider\n"
            if DEFAULT_FIXTURES.exists():
                ini += f"fakefiles_fixtures = {DEFAULT_FIXTURES}\n"
            (folder / "pytest.ini").write_text(ini)
            (folder / "conftest.py").write_text(PYTEST_TIMING)
            tests = "".join(f"def test_{i}(fakefiles):\n    assert fakefiles.fake\n\n"
                            for i in range(PYTEST_TESTS))
            (folder / "test_bench_fixture.py").write_text(tests)
            env = {**os.environ, "BENCH_TIMES": str(folder / "times.json")}
            argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist",
                    "test_bench_fixture.py"]
            done = subprocess.run(pinned(argv, SERVER_CPU), cwd=folder, env=env,
                                  capture_output=True, text=True, timeout=300)
            if done.returncode != 0 or not (folder / "times.json").exists():
                tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["?"]
                note = f"n/a (pytest run failed: {tail[0][:80]})"
                break
            times = json.loads((folder / "times.json").read_text())
            if attempt == 0:
                continue
            first.append(times[0] * 1000)
            each.append(statistics.median(times[1:]) * 1000)
    report.add(Row(group, "pytest `fakefiles` fixture: first set-up (session)", "ms",
                   stat(first), note=note))
    report.add(Row(group, "pytest `fakefiles` fixture: per-test set-up (reset)", "ms",
                   stat(each), note=note, target=Target("<", 1.0, on="value")))


SDK_CALLS = ("retrieve", "list")


def roundtrip(report: Report, *, repeats: int) -> None:
    """One keep-alive openai SDK client, per call: in-process, through the plugin's live
    server (uvicorn in a thread of the test process) and through ``fakefiles serve`` from the
    serve venv, as a user runs them. Target: a live call ≤ 2 × an in-process one."""
    group = "4. openai SDK, one keep-alive client (µs per call)"
    runs = []
    for _ in range(repeats):
        with fakefiles_serve(cpu=CLIENT_CPU) as served:  # the client process has SERVER_CPU
            runs.append(child("roundtrip", served.url("")))
    for call in SDK_CALLS:
        inproc = [r[f"inprocess_{call}_us"] for r in runs]
        report.add(Row(group, f"files.{call}: in-process (fakefiles fixture)", "µs/call",
                       stat(inproc)))
        for mode, label in (("live", "live server (fakefiles_server fixture, a thread)"),
                            ("serve", "fakefiles serve (default install)")):
            live = [r[f"{mode}_{call}_us"] for r in runs]
            report.add(Row(group, f"files.{call}: {label}", "µs/call", stat(live), stat(inproc),
                           stat([v / i for v, i in zip(live, inproc, strict=True)]),
                           base_label="in-process", target=Target("<=", 2.0)))


# -- the child processes --------------------------------------------------------------------


def _create() -> dict[str, Any]:
    """Import time, then app ready: ``create_app()`` and its first in-process 200."""
    started = time.perf_counter()
    import httpx

    import fakefiles.app
    import fakefiles.fake
    import fakefiles.inprocess
    import fakefiles.settings

    imported = time.perf_counter()

    def ready() -> None:
        app = fakefiles.app.create_app(fakefiles.settings.Settings())
        transport = fakefiles.inprocess.transport_for(httpx, app)
        with httpx.Client(transport=transport, base_url="http://fakefiles.test") as client:
            assert client.get("/openai/v1/files").status_code == 200

    ready()
    first = time.perf_counter()
    warm = []
    for _ in range(20):
        t = time.perf_counter()
        ready()
        warm.append(time.perf_counter() - t)
    out: dict[str, Any] = {
        "import_ms": (imported - started) * 1000, "first_ms": (first - imported) * 1000,
        "warm_ms": statistics.median(warm) * 1000,
    }
    if DEFAULT_FIXTURES.exists() and importlib.util.find_spec("fakefiles.fixtures"):
        from fakefiles.fixtures import load_fixture_file

        t = time.perf_counter()
        seed = load_fixture_file(DEFAULT_FIXTURES)
        fake = fakefiles.fake.Fake(fakefiles.settings.Settings())
        fake.load(seed)
        out["fixtures_ms"] = (time.perf_counter() - t) * 1000
        resets = []
        for _ in range(200):
            t = time.perf_counter()
            fake.reset()
            resets.append(time.perf_counter() - t)
        out["reset_ms"] = statistics.median(resets) * 1000
    return out


def _roundtrip(served_url: str, calls: int = 300, budget: float = 2.0) -> dict[str, Any]:
    import httpx
    import openai

    from fakefiles import Fake, Settings, create_app
    from fakefiles.inprocess import transport_for
    from fakefiles.server import LiveServer

    app = create_app(fake=Fake(Settings()))

    def per_call(client: openai.OpenAI, call: str, file_id: str) -> float:
        def once() -> None:
            if call == "retrieve":
                client.files.retrieve(file_id)
            else:
                client.files.list()

        for _ in range(20):
            once()  # warm up
        started = time.perf_counter()
        done = 0
        while done < calls and time.perf_counter() - started < budget:
            once()
            done += 1
        return (time.perf_counter() - started) / done * 1e6

    def measure(mode: str, client: openai.OpenAI) -> dict[str, float]:
        file_id = client.files.create(file=("a.txt", b"hello"), purpose="assistants").id
        return {f"{mode}_{call}_us": per_call(client, call, file_id) for call in SDK_CALLS}

    # What the plugin's fixtures hand out: max_retries=0, the SDK's own keep-alive pool.
    inproc = openai.OpenAI(api_key="sk-bench", base_url="http://fakefiles.test/openai/v1",
                           http_client=httpx.Client(transport=transport_for(httpx, app)),
                           max_retries=0)
    out = measure("inprocess", inproc)
    with LiveServer(app) as server:
        out |= measure("live", openai.OpenAI(api_key="sk-bench", max_retries=0,
                                             base_url=f"{server.url}/openai/v1"))
    out |= measure("serve", openai.OpenAI(api_key="sk-bench", max_retries=0,
                                          base_url=f"{served_url}/openai/v1"))
    return out


if __name__ == "__main__":
    mode = sys.argv[1]
    result = _create() if mode == "create" else _roundtrip(sys.argv[2])
    print(json.dumps(result))
