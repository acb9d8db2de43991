"""The README's examples run exactly as written (each block after an ``example`` marker)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakefiles.cli import ENVIRONMENT
from fakefiles.fake import Fake
from fakefiles.fixtures import load_fixture_text
from tests.browser.readme_examples import readme_example

ROOT = Path(__file__).resolve().parents[1]


def on_live(text: str, live_url: str) -> str:
    host = live_url.removeprefix("http://")
    return text.replace("http://127.0.0.1:8000", live_url).replace("localhost:8000", host)


@pytest.mark.parametrize("name", ["sdk-openai", "sdk-vlmrun", "sdk-orq", "sdk-anthropic",
                                  "sdk-gemini"])
def test_sdk_snippets(live, name):
    code, _ = readme_example(name)
    result = subprocess.run([sys.executable, "-c", on_live(code, live.url)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()  # each snippet prints what it got back
    assert live.fake.store.namespaces()  # and it really stored something


def test_pytest_example(pytester):
    code, _ = readme_example("pytest")
    pytester.makepyfile(test_readme_pytest=code)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_async_pytest_example(pytester):
    code, _ = readme_example("pytest-async")
    pytester.makepyfile(test_readme_async=code)
    # pytest-asyncio warns until this is set; with it, any warning (a ResourceWarning) fails.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)


def test_fixtures_example_loads():
    text, _ = readme_example("fixtures")
    seed = load_fixture_text(text, source="README.md")
    fake = Fake()
    fake.load(seed)
    assert fake.store.count("openai")[0] == 22
    assert fake.store.get("openai", "file-invoice2026").size == 2048
    assert [r.extra for r in fake.store.records("anthropic")] == [{}, {"downloadable": True}]
    assert len(seed.faults) == 1 and seed.vendor_data["orq"][0].api_keys == ["orq-key-a"]


def test_fixtures_uploads_example_loads():
    text, _ = readme_example("fixtures-uploads")
    fake = Fake()
    fake.load(load_fixture_text(text, source="README.md"))
    pending = fake.vendors["openai"].uploads.get("upload_abc123")  # type: ignore[attr-defined]
    assert pending.status == "pending" and list(pending.parts) == ["part_def456"]
    assert fake.store.get("openai", "file-xyz321").blob.read() == b'{"b": 2}\n'


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_control_api_curl_example(live):
    script, _ = readme_example("control-curl")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", on_live(script, live.url)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "500" in lines  # the injected one-shot 500, then jq reading it from the journal
    assert lines.count("500") == 2
    assert live.fake.faults.rules() == []  # the final reset cleared the rule


def test_environment_table_matches_the_cli():
    readme = (ROOT / "README.md").read_text()
    for flag, env, _ in ENVIRONMENT:
        assert re.search(rf"\| `{re.escape(flag)}` \| `{env}` \|", readme), (flag, env)


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text()[:1500]
    assert "make run" in head and "make test" in head
    assert os.path.exists(ROOT / "fixtures" / "default.yaml")
