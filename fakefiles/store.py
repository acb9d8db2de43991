"""The vendor-neutral file store: records and content, no HTTP, no YAML.

One :class:`FileStore` holds every vendor's files, each in its own *namespace* (a string
such as ``"openai"`` or ``"orq/proj_01J…"``). Inside a namespace records are kept sorted by
``(created_at, seq)`` so that listing a page costs O(log n + limit) whatever the size of the
namespace, and a cursor is found by id in O(1) + O(log n). Expired records (``expires_at``
in the past, by the store's clock) are dropped lazily on the next access.

All public methods are thread-safe: the live server runs in its own thread while a test
seeds or inspects the same store.

Every ``reset`` (or ``clear``) starts a new *generation*. Work that pinned the generation it
began in (:meth:`FileStore.pin`, e.g. a request) may not write into a later one: a request
still running when a test resets the fake cannot change the next test's files.
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, Protocol

from .blobs import Blob
from .clock import Clock

Order = Literal["asc", "desc"]
SortKey = tuple[float, int, str]  # (created_at, seq, id): seq breaks ties stably


@dataclass(frozen=True, slots=True)
class FileRecord:
    id: str
    namespace: str
    filename: str
    purpose: str
    created_at: float  # epoch seconds
    blob: Blob
    content_type: str = "application/octet-stream"
    expires_at: float | None = None
    owner: str | None = None  # orq project, or None
    extra: dict[str, Any] = field(default_factory=dict)  # vendor-specific, e.g. status
    seq: int = 0

    @property
    def size(self) -> int:
        return self.blob.size

    @property
    def sha256(self) -> str:
        return self.blob.sha256

    @property
    def md5(self) -> str:
        return self.blob.md5

    @property
    def sort_key(self) -> SortKey:
        return (self.created_at, self.seq, self.id)


@dataclass(slots=True)
class Page:
    records: list[FileRecord]
    has_more: bool


class DuplicateId(Exception):
    pass


class StaleWrite(Exception):
    """A write from work that began before the store's last reset: refused, so that nothing
    from before a reset changes what comes after it."""


# (store, generation) pinned by the work running in this context (see FileStore.pin).
_PINNED: ContextVar[tuple[FileStore, int] | None] = ContextVar("fakefiles_pinned", default=None)


_RECORD_FIELDS = tuple(f.name for f in fields(FileRecord))


def _with_seq(record: FileRecord, seq: int) -> FileRecord:
    """``replace(record, seq=seq)`` at a third of its cost: every reset re-puts each seed
    record, and the pytest fixture resets before every test."""
    copy = object.__new__(FileRecord)
    for name in _RECORD_FIELDS:
        object.__setattr__(copy, name, getattr(record, name))
    object.__setattr__(copy, "seq", seq)
    return copy


class StoreHook(Protocol):
    """Told of each change before it is made, so that it can refuse it by raising
    (:mod:`fakefiles.persist` logs it durably). ``prepare`` (content to disk) runs outside the
    store's lock, for slow work, and returns the blob as kept (itself when already kept); the
    ``on_*`` calls run under it, in the order the changes happen."""

    def prepare(self, blob: Blob) -> Blob: ...
    def on_put(self, record: FileRecord) -> None: ...
    def on_replace(self, old: FileRecord, new: FileRecord) -> None: ...
    def on_delete(self, record: FileRecord) -> None: ...
    def on_reset(self, records: list[FileRecord]) -> None: ...


def _prepared(hook: StoreHook, record: FileRecord) -> FileRecord:
    blob = hook.prepare(record.blob)
    return record if blob is record.blob else replace(record, blob=blob)


class _SortedIds:
    """Sort keys in ascending order, with pages cut by bisect."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys: list[SortKey] = []

    def add(self, key: SortKey) -> None:
        if not self.keys or key > self.keys[-1]:
            self.keys.append(key)  # the common case: a new upload is the newest
        else:
            insort(self.keys, key)

    def remove(self, key: SortKey) -> None:
        index = bisect_left(self.keys, key)
        if index < len(self.keys) and self.keys[index] == key:
            del self.keys[index]


class _Namespace:
    __slots__ = ("records", "order", "by_purpose", "by_md5", "cursor_keys")

    def __init__(self) -> None:
        self.records: dict[str, FileRecord] = {}
        self.order = _SortedIds()
        self.by_purpose: dict[str, _SortedIds] = {}
        self.by_md5: dict[str, set[str]] = {}
        # Sort keys of ids seen here, kept after delete so a cursor naming a file that was
        # deleted between two pages still resumes at the right place.
        self.cursor_keys: dict[str, SortKey] = {}


class FileStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._lock = threading.RLock()
        self._namespaces: dict[str, _Namespace] = {}
        self._expiry: list[tuple[float, str, str]] = []  # heap of (expires_at, ns, id)
        self._seq = 0
        self.generation = 0  # + 1 on every reset or clear
        self.hook: StoreHook | None = None  # None (no data directory): no cost at all

    def pin(self) -> Token[tuple[FileStore, int] | None]:
        """Writes made from now on in this context (its tasks and threads too) belong to the
        current generation: after a reset they raise :class:`StaleWrite` instead of landing.
        ``unpin`` with the token ends it."""
        return _PINNED.set((self, self.generation))

    @staticmethod
    def unpin(token: Token[tuple[FileStore, int] | None]) -> None:
        _PINNED.reset(token)

    def _check_generation(self) -> None:
        pinned = _PINNED.get()
        if pinned is not None and pinned[0] is self and pinned[1] != self.generation:
            raise StaleWrite("the store was reset after this work began")

    # -- writing -----------------------------------------------------------------------

    def put(self, record: FileRecord) -> FileRecord:
        """Store a record; its id must be new in its namespace. Returns it with its seq."""
        hook = self.hook
        if hook is not None:
            record = _prepared(hook, record)
        with self._lock:
            self._check_generation()
            self._purge_expired()
            ns = self._namespace(record.namespace)
            if record.id in ns.records:
                raise DuplicateId(record.id)
            record = _with_seq(record, self._seq + 1)
            if hook is not None:
                hook.on_put(record)
            self._seq += 1
            self._index(ns, record)
            return record

    def replace(self, record: FileRecord) -> FileRecord:
        """Swap a stored record for an edited copy (same id, namespace and sort position)."""
        hook = self.hook
        if hook is not None:
            record = _prepared(hook, record)
        with self._lock:
            self._check_generation()
            ns = self._namespace(record.namespace)
            old = ns.records[record.id]
            record = replace(record, seq=old.seq, created_at=old.created_at)
            if hook is not None:
                hook.on_replace(old, record)
            self._unindex(ns, old)
            self._index(ns, record)
            return record

    def delete(self, namespace: str, file_id: str) -> FileRecord | None:
        with self._lock:
            self._check_generation()
            self._purge_expired()
            ns = self._namespaces.get(namespace)
            if ns is None or file_id not in ns.records:
                return None
            record = ns.records[file_id]
            if self.hook is not None:
                self.hook.on_delete(record)
            self._unindex(ns, record)
            return record

    def clear(self) -> None:
        self.reset([])

    def reset(self, records: Iterable[FileRecord]) -> None:
        """Replace every record with ``records`` in one step (a new generation): a reader
        sees the old state or the new one, never a half-filled store."""
        hook = self.hook
        prepared = [_prepared(hook, r) for r in records] if hook is not None else list(records)
        with self._lock:
            numbered = [_with_seq(r, self._seq + n) for n, r in enumerate(prepared, 1)]
            if hook is not None:
                hook.on_reset(numbered)
            self._seq += len(numbered)
            self.generation += 1
            self._namespaces.clear()
            self._expiry.clear()
            for record in numbered:
                self._index(self._namespace(record.namespace), record)

    # -- reading -----------------------------------------------------------------------

    def get(self, namespace: str, file_id: str) -> FileRecord | None:
        with self._lock:
            self._purge_expired()
            ns = self._namespaces.get(namespace)
            return None if ns is None else ns.records.get(file_id)

    def find_by_md5(self, namespace: str, md5: str) -> FileRecord | None:
        """The newest live record in ``namespace`` whose content has this md5."""
        with self._lock:
            self._purge_expired()
            ns = self._namespaces.get(namespace)
            if ns is None or md5 not in ns.by_md5:
                return None
            return max((ns.records[i] for i in ns.by_md5[md5]), key=lambda r: r.sort_key)

    def cursor_known(self, namespace: str, file_id: str) -> bool:
        with self._lock:
            ns = self._namespaces.get(namespace)
            return ns is not None and file_id in ns.cursor_keys

    def page(
        self,
        namespace: str,
        *,
        limit: int,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        offset: int = 0,
        purpose: str | None = None,
    ) -> Page:
        """One page of records in ``order`` (newest first for ``desc``).

        ``after`` resumes strictly after that id in the chosen order; ``before`` gives the
        ``limit`` records just before that id (still in the chosen order), for backward
        paging. Unknown cursor ids raise ``KeyError``; check with :meth:`cursor_known`.
        """
        with self._lock:
            self._purge_expired()
            ns = self._namespaces.get(namespace)
            if ns is None:
                if after is not None or before is not None:
                    raise KeyError(after or before)
                return Page([], False)
            index = ns.order if purpose is None else ns.by_purpose.get(purpose, _SortedIds())
            keys = index.keys
            # Work out the slice [lo, hi) of ascending keys that this page may draw from.
            lo, hi = 0, len(keys)
            if after is not None:
                cut = ns.cursor_keys[after]
                if order == "desc":
                    hi = bisect_left(keys, cut)
                else:
                    lo = bisect_right(keys, cut)
            if before is not None:
                cut = ns.cursor_keys[before]
                if order == "desc":
                    lo = max(lo, bisect_right(keys, cut))
                else:
                    hi = min(hi, bisect_left(keys, cut))
            if before is not None and after is None:
                # Backward: the `limit` entries adjacent to the cursor.
                if order == "desc":
                    start, stop = lo, min(hi, lo + limit)
                    chosen = keys[start:stop][::-1]
                    has_more = stop < hi
                else:
                    start, stop = max(lo, hi - limit), hi
                    chosen = keys[start:stop]
                    has_more = start > lo
            elif order == "desc":
                stop = max(lo, hi - offset)
                start = max(lo, stop - limit)
                chosen = keys[start:stop][::-1]
                has_more = start > lo
            else:
                start = min(hi, lo + offset)
                stop = min(hi, start + limit)
                chosen = keys[start:stop]
                has_more = stop < hi
            return Page([ns.records[key[2]] for key in chosen], has_more)

    def namespaces(self) -> list[str]:
        with self._lock:
            self._purge_expired()
            return [name for name, ns in self._namespaces.items() if ns.records]

    def records(self, namespace: str | None = None) -> Iterator[FileRecord]:
        """A snapshot of the stored records (all namespaces unless one is named)."""
        with self._lock:
            self._purge_expired()
            selected: Iterable[_Namespace] = (
                self._namespaces.values()
                if namespace is None
                else [self._namespaces[namespace]] if namespace in self._namespaces else []
            )
            snapshot = [record for ns in selected for record in ns.records.values()]
        return iter(snapshot)

    def count(self, namespace: str) -> tuple[int, int]:
        """(number of files, total bytes) in ``namespace``."""
        with self._lock:
            self._purge_expired()
            ns = self._namespaces.get(namespace)
            if ns is None:
                return 0, 0
            return len(ns.records), sum(r.size for r in ns.records.values())

    # -- internals ---------------------------------------------------------------------

    def _namespace(self, name: str) -> _Namespace:
        ns = self._namespaces.get(name)
        if ns is None:
            ns = self._namespaces[name] = _Namespace()
        return ns

    def _index(self, ns: _Namespace, record: FileRecord) -> None:
        key = record.sort_key
        ns.records[record.id] = record
        ns.cursor_keys[record.id] = key
        ns.order.add(key)
        ns.by_purpose.setdefault(record.purpose, _SortedIds()).add(key)
        ns.by_md5.setdefault(record.md5, set()).add(record.id)
        if record.expires_at is not None:
            heapq.heappush(self._expiry, (record.expires_at, record.namespace, record.id))

    def _unindex(self, ns: _Namespace, record: FileRecord) -> None:
        key = record.sort_key
        del ns.records[record.id]
        ns.order.remove(key)
        ns.by_purpose[record.purpose].remove(key)
        ids = ns.by_md5[record.md5]
        ids.discard(record.id)
        if not ids:
            del ns.by_md5[record.md5]

    def _purge_expired(self) -> None:
        heap = self._expiry
        if not heap:  # nothing expires: every read skips the clock
            return
        now = self.clock.now()
        while heap and heap[0][0] <= now:
            expires_at, namespace, file_id = heapq.heappop(heap)
            ns = self._namespaces.get(namespace)
            record = ns.records.get(file_id) if ns else None
            if ns is not None and record is not None and record.expires_at is not None:
                if record.expires_at <= now:
                    if self.hook is not None:
                        self.hook.on_delete(record)
                    self._unindex(ns, record)
