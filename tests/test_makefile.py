"""The Makefile's promises: ``make test`` runs the same openai release every time (no
registry query), and ``make refresh-openai-latest`` is the one way to move it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(target: str) -> str:
    result = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_latest_openai_line_is_pinned_not_upgraded() -> None:
    commands = dry_run("test-openai-latest")
    installs = [line for line in commands.splitlines()
                if "pip install" in line and "openai" in line.replace(".venv-openai-latest", "")]
    assert installs, commands
    for line in installs:
        assert "--upgrade" not in line.replace("--upgrade pip", ""), line
        assert re.search(r"openai==\d+\.\d+\.\d+", line), line


def test_a_separate_target_refreshes_the_pin() -> None:
    commands = dry_run("refresh-openai-latest")
    assert "pip index versions openai" in commands and "OPENAI_LATEST" in commands
