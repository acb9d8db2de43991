"""The media type of a file from its name: shared by the vendors and the fixtures' samples."""

from __future__ import annotations

import mimetypes


def is_media_type(value: str) -> bool:
    """Whether ``value`` can be a download's Content-Type header: printable ASCII, no line
    breaks (a bare LF in a stored type made every later download of the file drop the
    connection, as the server refuses to write such a header)."""
    return 0 < len(value) <= 255 and value.isascii() and value.isprintable()


def guess_content_type(filename: str, given: str | None = None) -> str:
    """A part's own Content-Type, or one guessed from the filename when it has none or one
    that no header could carry (normalised, as a multipart part's type is only a hint)."""
    if given and is_media_type(given.strip()):
        return given.strip()
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    if guessed:
        return guessed
    if filename.endswith((".jsonl", ".ndjson")):
        return "application/jsonl"
    return "application/octet-stream"
