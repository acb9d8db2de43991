"""The requests received, for tests to assert on (WireMock's request journal).

Bounded: the oldest entries drop off past ``size``. API keys never leave it: the key headers
(``Authorization`` and every vendor's, from the registry) are masked in every entry a reader
gets. The request path records a
:class:`RawRequest` (a tuple append); decoding its headers and masking keys wait until the
journal is read, once per request.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

SKIPPED_HEADERS = {"cookie"}
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})


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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RawRequest(NamedTuple):
    """A request as the hot path records it, headers still raw (see ``Journal.record_raw``)."""

    id: str
    time: float
    vendor: str | None
    method: str
    path: str
    query: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body_size: int
    status: int
    seconds: float
    fault_id: str | None

    def entry(self, secret: frozenset[str] = SECRET_HEADERS,
              secret_params: frozenset[str] = frozenset()) -> JournalEntry:
        query = self.query.decode("latin-1")
        return JournalEntry(
            id=self.id, time=self.time, vendor=self.vendor, method=self.method, path=self.path,
            query=masked_query(query, secret_params) if secret_params and query else query,
            headers=journal_headers(self.headers, secret),
            body_size=self.body_size, status=self.status,
            duration_ms=round(self.seconds * 1000, 3), fault_id=self.fault_id,
        )


def mask_secret(value: str) -> str:
    """``Bearer sk-abc…`` → ``Bearer ****`` plus at most the last 4 characters of a long key."""
    scheme, _, token = value.partition(" ")
    if not token:
        scheme, token = "", scheme
    tail = token[-4:] if len(token) >= 16 else ""
    masked = f"****{tail}"
    return f"{scheme} {masked}" if scheme else masked


def masked_query(query: str, secret: frozenset[str]) -> str:
    """``a=1&key=AIza…`` with the value of each ``secret`` parameter masked."""
    parts = []
    for part in query.split("&"):
        name, sep, value = part.partition("=")
        parts.append(f"{name}={mask_secret(value)}" if sep and name in secret else part)
    return "&".join(parts)


def journal_headers(raw: Iterable[tuple[bytes, bytes]],
                    secret: frozenset[str] = SECRET_HEADERS) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name_bytes, value_bytes in raw:
        name = name_bytes.decode("latin-1").lower()
        if name in SKIPPED_HEADERS:
            continue
        value = value_bytes.decode("latin-1")
        if name in secret:
            value = mask_secret(value)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


class Journal:
    def __init__(self, size: int = 1000, secret_headers: frozenset[str] = SECRET_HEADERS,
                 secret_params: frozenset[str] = frozenset()) -> None:
        self._lock = threading.Lock()
        self._secret = secret_headers
        self._secret_params = secret_params
        self._entries: deque[JournalEntry | RawRequest] = deque(maxlen=size or None)
        self._enabled = size > 0
        self._raw = 0  # RawRequests recorded since the last read
        self.generation = 0  # + 1 on every clear: a request from before it is not recorded

    def record_raw(self, raw: RawRequest, generation: int | None = None) -> None:
        """Keep one request; its entry is built when the journal is read. ``generation``:
        the journal's when the request began; cleared since, the request is not kept."""
        if self._enabled:
            with self._lock:
                if generation is not None and generation != self.generation:
                    return
                self._entries.append(raw)
                self._raw += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._raw = 0
            self.generation += 1

    def entries(
        self,
        *,
        vendor: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> list[JournalEntry]:
        """Oldest first. ``path`` is a glob (``/openai/v1/files*``); ``method`` any case."""
        with self._lock:
            if self._raw:  # build the pending entries once, in place
                self._entries = deque(
                    (e.entry(self._secret, self._secret_params) if isinstance(e, RawRequest) else e
                     for e in self._entries),
                    maxlen=self._entries.maxlen,
                )
                self._raw = 0
            snapshot = [e for e in self._entries if isinstance(e, JournalEntry)]
        return [
            e for e in snapshot
            if (vendor is None or e.vendor == vendor)
            and (method is None or e.method == method.upper())
            and (path is None or fnmatchcase(e.path, path) or e.path == path)
        ]
