"""The media type of a file from its name: shared by the vendors and the fixtures' samples."""

from __future__ import annotations

import mimetypes


def guess_content_type(filename: str, given: str | None = None) -> str:
    if given and given.strip():
        return given.strip()
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    if guessed:
        return guessed
    if filename.endswith((".jsonl", ".ndjson")):
        return "application/jsonl"
    return "application/octet-stream"
