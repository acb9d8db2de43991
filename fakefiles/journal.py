"""The requests received, for tests to assert on (WireMock's request journal).

Bounded: the oldest entries drop off past ``size``. API keys never get here: the
``Authorization`` header is masked before an entry is stored.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

SKIPPED_HEADERS = {"cookie"}


@dataclass
class JournalEntry:
    id: str
    time: float
    vendor: str | None
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body_size: int = 0
    status: int = 0
    duration_ms: float = 0.0
    fault_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def mask_secret(value: str) -> str:
    """``Bearer sk-abc…`` → ``Bearer ****`` plus at most the last 4 characters of a long key."""
    scheme, _, token = value.partition(" ")
    if not token:
        scheme, token = "", scheme
    tail = token[-4:] if len(token) >= 16 else ""
    masked = f"****{tail}"
    return f"{scheme} {masked}" if scheme else masked


def journal_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name_bytes, value_bytes in raw:
        name = name_bytes.decode("latin-1").lower()
        if name in SKIPPED_HEADERS:
            continue
        value = value_bytes.decode("latin-1")
        if name in ("authorization", "proxy-authorization", "x-api-key", "api-key"):
            value = mask_secret(value)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


class Journal:
    def __init__(self, size: int = 1000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=size or None)
        self._enabled = size > 0

    def record(self, entry: JournalEntry) -> None:
        if self._enabled:
            with self._lock:
                self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def entries(
        self,
        *,
        vendor: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> list[JournalEntry]:
        """Oldest first. ``path`` is a glob (``/openai/v1/files*``); ``method`` any case."""
        with self._lock:
            snapshot = list(self._entries)
        return [
            e for e in snapshot
            if (vendor is None or e.vendor == vendor)
            and (method is None or e.method == method.upper())
            and (path is None or fnmatchcase(e.path, path) or e.path == path)
        ]
