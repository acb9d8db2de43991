"""``fakefiles verify`` against a second fakefiles process standing in for the real service:
identical (no differences, exit 0) and deliberately drifted (the drift named, exit 1)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from fakefiles.cli import main
from fakefiles.verify import Answer, compare, differences, shape

LAUNCHER = Path(__file__).parent / "drifted_server.py"


@contextmanager
def service(drift: str) -> Iterator[str]:
    """A ``fakefiles serve`` process with ``drift`` applied; yields its origin."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEFILES_")}
    process = subprocess.Popen(
        [sys.executable, str(LAUNCHER), drift, "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{origin}/_fakefiles/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the stand-in service did not start"
            time.sleep(0.05)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture(scope="module")
def identical() -> Iterator[str]:
    with service("none") as origin:
        yield origin


@pytest.mark.parametrize(("vendor", "prefix"), [
    ("openai", "/openai/v1"), ("impala", "/impala/v1"), ("vlmrun", "/vlmrun/v1"),
    ("orq", "/orq/v2"),
])
def test_two_identical_fakes_show_no_difference(identical, capsys, vendor, prefix):
    assert main(["verify", "--vendor", vendor, "--base-url", identical + prefix,
                 "--api-key", "sk-verify"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("no differences\n") and "[DIFF]" not in out


def test_what_it_creates_on_the_service_is_deleted(identical, capsys):
    before = httpx.get(f"{identical}/_fakefiles/state").json()["vendors"]
    assert main(["verify", "--vendor", "openai", "--base-url", identical + "/openai/v1",
                 "--api-key", "sk-verify"]) == 0
    assert httpx.get(f"{identical}/_fakefiles/state").json()["vendors"] == before


def test_a_renamed_field_is_reported_with_exit_1(capsys):
    with service("openai-rename") as origin:
        status = main(["verify", "--vendor", "openai", "--base-url", origin + "/openai/v1",
                       "--api-key", "sk-verify"])
    out = capsys.readouterr().out
    assert status == 1
    assert "[DIFF] upload a batch file" in out
    assert "body.size: the service sends it (integer), the fake does not" in out
    assert "body.bytes: the fake sends it (integer), the service does not" in out
    assert "[same] download a batch file" in out  # bytes are not a file object


def test_a_changed_status_is_reported_as_json(capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    with service("openai-status") as origin:
        status = main(["verify", "--vendor", "openai", "--base-url", origin + "/openai/v1",
                       "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 1 and report["differs"] is True
    differing = {s["step"]: s["differences"] for s in report["steps"] if s["differences"]}
    assert differing["retrieve an unknown file"] == [
        "status: the service answers 400, the fake 404"]
    assert set(differing) == {"retrieve an unknown file", "delete it again"}


def test_orq_drift_is_found_too(capsys):
    with service("orq-rename") as origin:
        assert main(["verify", "--vendor", "orq", "--base-url", origin + "/orq/v2",
                     "--api-key", "orq-verify"]) == 1
    assert "body.file.name: the service sends it (string), the fake does not" in (
        capsys.readouterr().out)


def test_without_a_key_or_a_service_it_says_why(capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["verify", "--vendor", "openai", "--base-url", "http://127.0.0.1:9"]) == 2
    assert "give --api-key or set OPENAI_API_KEY" in capsys.readouterr().err
    assert main(["verify", "--vendor", "openai", "--base-url", "http://127.0.0.1:9",
                 "--api-key", "k"]) == 2
    assert "verify: ConnectError" in capsys.readouterr().err


def test_shapes_keep_types_and_nullability_not_values():
    assert shape({"id": "a", "n": 1, "x": None, "ok": True, "l": [{"a": 1.5}], "e": []}) == {
        "id": "string", "n": "integer", "x": "null", "ok": "boolean",
        "l": [{"a": "number"}], "e": []}
    real = Answer(200, shape({"first_id": None}), {"x-request-id": "present"})
    fake = Answer(200, shape({"first_id": "file-1"}), {})
    report = compare("openai", _run({"list": real}), _run({"list": fake}))
    assert report.steps[0]["differences"] == [
        "body.first_id: the service has null, the fake string",
        "headers.x-request-id: the service sends it (present), the fake does not",
    ]
    assert list(differences({"a": [1]}, {"a": []}, "body")) == []  # an empty list says nothing


def _run(answers):
    from fakefiles.verify import Run

    run = Run(httpx.Client())
    run.answers = answers
    return run
