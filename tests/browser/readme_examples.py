"""The README's examples, read verbatim so the tests run exactly what the README shows.

Each example is the first fenced block after a ``<!-- example: NAME -->`` marker in README.md.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "README.md",)


def readme_example(name: str) -> tuple[str, Path]:
    """(block text, the file it came from)."""
    marker = f"<!-- example: {name} -->"
    for path in SOURCES:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        start = text.find(marker)
        if start < 0:
            continue
        match = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M).search(text, start)
        assert match, f"{path.name}: no fenced block after {marker}"
        return match.group(1), path
    raise AssertionError(f"no {marker} in {', '.join(p.name for p in SOURCES)}")
