"""Where file content lives.

A :class:`Blob` is immutable content with its size and hashes. Small content stays in
memory; a :class:`BlobWriter` spools to a temporary file once it passes a threshold, so a
1 GiB upload costs a temp file, not 1 GiB of RAM. Hashes are computed on the way in, never
by a second pass; past 1 MiB, on a worker thread when the process may use more than one CPU
(md5 and sha256 cost more than receiving and writing the bytes, and hashlib releases the GIL).
"""

from __future__ import annotations

import functools
import hashlib
import os
import queue
import tempfile
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

CHUNK_SIZE = 64 * 1024
DEFAULT_SPOOL_THRESHOLD = 1024 * 1024  # bytes kept in memory before spilling to disk
HASH_THREAD_AFTER = 1024 * 1024  # bytes hashed inline before a worker thread takes over


@dataclass(frozen=True, slots=True)
class Blob:
    """Immutable content: bytes in memory (``data``) or a file on disk (``path``)."""

    size: int
    sha256: str
    md5: str
    data: bytes | None = None
    path: str | None = None
    # Keeps a spooled temp file alive exactly as long as some Blob refers to it.
    _owner: object = field(default=None, repr=False, compare=False)

    def chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        if self.data is not None:
            view = memoryview(self.data)
            for start in range(0, self.size, chunk_size):
                yield bytes(view[start : start + chunk_size])
            return
        assert self.path is not None
        with open(self.path, "rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        return b"".join(self.chunks())

    def claim_spool_file(self) -> None:
        """After the spooled temp file was renamed away: it is no longer ours to delete."""
        if isinstance(self._owner, _TempFile):
            self._owner.claim()


class _TempFile:
    """Deletes its path when the last Blob holding it is garbage-collected."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._finalizer = weakref.finalize(self, _unlink_quietly, path)

    def claim(self) -> None:
        """The file was moved (renamed) to where it is kept: nothing deletes it now."""
        self._finalizer.detach()


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@functools.cache
def _usable_cpus() -> int:  # asked once: a writer on one core would ask at every chunk
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _Hasher:
    """Feeds chunks to the hashes on a worker thread, at most 32 chunks behind the writer."""

    def __init__(self, *hashes: hashlib._Hash) -> None:
        self._hashes = hashes
        self._queue: queue.Queue[bytes | memoryview | None] = queue.Queue(maxsize=32)
        self._thread = threading.Thread(target=self._run, name="fakefiles-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            for digest in self._hashes:
                digest.update(chunk)

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        # The thread reads the chunk later: only immutable bytes may be handed over as is.
        frozen = chunk if isinstance(chunk, bytes) or (
            isinstance(chunk, memoryview) and isinstance(chunk.obj, bytes)
        ) else bytes(chunk)
        self._queue.put(frozen)

    def stop(self) -> None:
        self._queue.put(None)

    def close(self) -> None:
        """Wait until every chunk is hashed."""
        self.stop()
        self._thread.join()


class BlobWriter:
    """Accepts content in chunks, hashing as it goes; ``finish()`` gives the Blob."""

    def __init__(
        self, spool_threshold: int = DEFAULT_SPOOL_THRESHOLD, spool_dir: str | None = None
    ) -> None:
        self._threshold = spool_threshold
        self._spool_dir = spool_dir  # None: the system's temp directory
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._buffer = bytearray()
        self._file: BinaryIO | None = None  # an open binary file once spooled
        self._path: str | None = None
        self.size = 0
        self._done = False
        self._hasher: _Hasher | None = None

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if self._done:
            raise RuntimeError("BlobWriter already finished")
        if not chunk:
            return
        if self._hasher is not None:
            self._hasher.update(chunk)
        else:
            self._sha256.update(chunk)
            self._md5.update(chunk)
            if self.size + len(chunk) > HASH_THREAD_AFTER and _usable_cpus() > 1:
                self._hasher = _Hasher(self._sha256, self._md5)
                weakref.finalize(self, self._hasher.stop)  # an abandoned writer ends its thread
        self.size += len(chunk)
        if self._file is None:
            self._buffer += chunk
            if len(self._buffer) > self._threshold:
                fd, self._path = tempfile.mkstemp(prefix="fakefiles-", dir=self._spool_dir)
                self._file = os.fdopen(fd, "wb")
                self._file.write(self._buffer)
                self._buffer = bytearray()
        else:
            self._file.write(chunk)

    def finish(self) -> Blob:
        self._done = True
        if self._hasher is not None:
            self._hasher.close()
        sha256, md5 = self._sha256.hexdigest(), self._md5.hexdigest()
        if self._file is None:
            return Blob(size=self.size, sha256=sha256, md5=md5, data=bytes(self._buffer))
        self._file.close()
        assert self._path is not None
        owner = _TempFile(self._path)
        return Blob(size=self.size, sha256=sha256, md5=md5, path=self._path, _owner=owner)

    def discard(self) -> None:
        """Drop what was written (a failed or refused upload stores nothing)."""
        self._done = True
        if self._hasher is not None:
            self._hasher.close()
            self._hasher = None
        self._buffer = bytearray()
        if self._file is not None:
            self._file.close()
            assert self._path is not None
            _unlink_quietly(self._path)
            self._file = None


def blob_from_bytes(data: bytes) -> Blob:
    return Blob(
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        data=data,
    )
