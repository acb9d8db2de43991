"""``--data-dir``: files and their metadata kept on disk, so they survive a restart (even
``kill -9``). Off by default; without a data directory nothing here runs.

The directory::

    DIR/fakefiles.json    marker: format name and version, the link-signing key, and whether
                          the fixtures were put (``seeded``: false until the first seeding
                          is done, so a first start killed half-way seeds again)
    DIR/metadata.log      append-only JSON lines, one put / replace / delete event each
    DIR/blobs/<sha256>    content, one file per distinct content
    DIR/tmp/              content being written (emptied at start)
    DIR/lock              held (flock) while a server uses the directory

Why nothing acknowledged is lost and nothing half-written shows: content goes to ``tmp/``, is
fsync'd and renamed into ``blobs/`` (and the directory fsync'd) *before* the event naming it
is appended to the log; the event is fsync'd inside ``FileStore.put``/``replace``/``delete``
(this module is the store's hook), before the store changes and so before any response. At
start the log is replayed (a torn last line is the write a crash interrupted: ignored; events
whose content is missing are skipped), then compacted: rewritten atomically with one ``put``
per live file, and content no file uses any more is removed. A reset is built aside the
same way (content, then a new log renamed over the old one), so a crash leaves either the old
state or the fixtures, never a mix of both or nothing.

``FAKEFILES_CRASH_AT=<point>`` kills the process (SIGKILL) at a named point of seeding or
reset: a test-only hook, to prove those windows safe (tests/test_persistence.py).

Content kept in memory (small files, as without a data directory) is also removed from disk
as soon as no file uses it; a large file's content is only removed at the next start or
reset, because a download may still be streaming it from disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import signal
import tempfile
from pathlib import Path
from typing import Any

from .blobs import Blob
from .store import FileRecord, FileStore

FORMAT, VERSION = "fakefiles-data", 1
MARKER = "fakefiles.json"
MARKER_TMP = ".fakefiles.json.tmp"
FIRST_START_LEFTOVERS = {MARKER_TMP, "lock"}  # what a first start killed early leaves behind
LOG = "metadata.log"

logger = logging.getLogger("fakefiles.persist")
CRASH_POINTS = ("seeding", "reset-content-written", "reset-log-written", "reset-log-renamed")


def crash_point(name: str) -> None:
    """Test-only: die here, as kill -9 would, when ``FAKEFILES_CRASH_AT`` names this point."""
    if os.environ.get("FAKEFILES_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


class DataDirError(Exception):
    """The data directory cannot be used; the message is one line for the operator."""


class DataDir:
    """One data directory, opened and locked; the :class:`FileStore` hook once restored."""

    def __init__(self, path: Path | str, spool_threshold: int) -> None:
        self.path = Path(path)
        self.blobs = self.path / "blobs"
        self.tmp = self.path / "tmp"
        self.log_path = self.path / LOG
        self.spool_threshold = spool_threshold
        self.resumed = False  # True when the directory held a previous run's state
        self.signing_key = ""
        self._refs: dict[str, int] = {}  # sha256 -> stored files using that content
        self._log_fd: int | None = None
        self._log_size = 0
        self._lock_fd: int | None = None
        try:
            self._open()
        except OSError as exc:
            self.close()
            raise DataDirError(f"data directory {self.path}: {exc.strerror or exc}") from None
        except DataDirError:
            self.close()
            raise

    # -- opening -------------------------------------------------------------------------

    def _open(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise DataDirError(f"data directory {self.path}: exists and is not a directory")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(
                f"data directory {self.path}: cannot create it: {exc.strerror or exc}"
            ) from None
        marker = self.path / MARKER
        if marker.exists():
            self.signing_key, self.resumed = self._read_marker(marker)
        else:
            others = sorted({p.name for p in self.path.iterdir()} - FIRST_START_LEFTOVERS)
            if others:
                raise DataDirError(
                    f"data directory {self.path}: not empty and not a fakefiles data directory "
                    f"(no {MARKER}; found {others[0]!r}); give a new or empty directory"
                )
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise DataDirError(f"data directory {self.path}: not writable")
        self._lock()
        if not self.resumed:
            self.signing_key = self.signing_key or secrets.token_hex(32)
            self._write_marker(seeded=False)
            # A first seeding a crash interrupted: start it again from nothing.
            self.log_path.unlink(missing_ok=True)
            if self.blobs.exists():
                for blob_file in self.blobs.iterdir():
                    blob_file.unlink()
        self.blobs.mkdir(exist_ok=True)
        self.tmp.mkdir(exist_ok=True)
        for leftover in self.tmp.iterdir():  # content a crash interrupted; never acknowledged
            leftover.unlink()

    def _write_marker(self, *, seeded: bool) -> None:
        marker_json = {"format": FORMAT, "version": VERSION, "signing_key": self.signing_key,
                       "seeded": seeded}
        self._write_file(self.path / MARKER_TMP, json.dumps(marker_json).encode())
        os.replace(self.path / MARKER_TMP, self.path / MARKER)
        _fsync_dir(self.path)

    def mark_seeded(self) -> None:
        """The fixtures are in: from now on a start resumes this directory."""
        if not self.resumed:
            crash_point("seeding")
            self._write_marker(seeded=True)

    def _read_marker(self, marker: Path) -> tuple[str, bool]:
        """(signing key, whether the first seeding finished)."""
        try:
            data = json.loads(marker.read_bytes())
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DataDirError(f"data directory {self.path}: {MARKER} is not a fakefiles marker")
        if data.get("version") != VERSION:
            raise DataDirError(
                f"data directory {self.path}: format version {data.get('version')!r}; this "
                f"fakefiles reads version {VERSION}"
            )
        key = data.get("signing_key")
        # A marker from before "seeded" existed was written after nothing: it counts as seeded.
        return (key if isinstance(key, str) and key else secrets.token_hex(32),
                data.get("seeded", True) is not False)

    def _lock(self) -> None:
        import fcntl  # POSIX only, and only needed with a data directory

        fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirError(
                f"data directory {self.path}: in use by another fakefiles process"
            ) from None
        self._lock_fd = fd

    def close(self) -> None:
        for fd in (self._log_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._log_fd = self._lock_fd = None

    # -- restoring -----------------------------------------------------------------------

    def restore(self, store: FileStore) -> int:
        """Load the logged files into ``store``, compact the log, and become its hook."""
        try:
            return self._restore(store)
        except OSError as exc:
            raise DataDirError(f"data directory {self.path}: {exc.strerror or exc}") from None

    def _restore(self, store: FileStore) -> int:
        records = self._replay()
        for record in records:
            store.put(record)
        live = sorted(store.records(), key=lambda r: r.seq)  # expired ones are gone now
        self._rewrite_log(live)
        self._refs = {}
        for record in live:
            self._refs[record.sha256] = self._refs.get(record.sha256, 0) + 1
        for blob_file in self.blobs.iterdir():  # content no live file uses
            if blob_file.name not in self._refs:
                blob_file.unlink()
        self._log_fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._log_size = os.fstat(self._log_fd).st_size
        store.hook = self
        return len(live)

    def _replay(self) -> list[FileRecord]:
        try:
            raw = self.log_path.read_bytes()
        except FileNotFoundError:
            return []
        lines = raw.split(b"\n")
        lines.pop()  # after the last newline: empty, or a write the crash tore
        events: dict[tuple[str, str], dict[str, Any]] = {}  # insertion order = put order
        for number, line in enumerate(lines, 1):
            try:
                event = json.loads(line)
                op = event["op"]
                key = (_typed(event, "ns", str), _typed(event, "id", str))
                if op in ("put", "replace"):
                    record = _record_fields(event)
                elif op != "delete":
                    raise ValueError(f"unknown op {op!r}")
            except (ValueError, KeyError, TypeError) as exc:
                if number == len(lines):  # the last line, torn by a crash: never acknowledged
                    logger.warning("%s: ignoring a torn last line", self.log_path)
                    break
                raise DataDirError(
                    f"data directory {self.path}: {LOG} line {number} is corrupted "
                    f"({type(exc).__name__}: {exc}); fix or remove that line to start"
                ) from None
            if op == "put":
                events.pop(key, None)
                events[key] = record
            elif op == "replace" and key in events:
                events[key] = record
            elif op == "delete":
                events.pop(key, None)
        restored = []
        for fields in events.values():
            blob = self._stored_blob(fields.pop("size"), fields.pop("sha256"), fields.pop("md5"))
            if blob is None:
                logger.warning("%s: content of %s/%s is missing; skipped", self.path,
                               fields["namespace"], fields["id"])
                continue
            restored.append(FileRecord(blob=blob, **fields))
        return restored

    def _stored_blob(self, size: int, sha256: str, md5: str) -> Blob | None:
        path = self.blob_path(sha256)
        try:
            if path.stat().st_size != size:
                return None
            data = path.read_bytes() if size <= self.spool_threshold else None
        except OSError:
            return None
        if data is not None and hashlib.sha256(data).hexdigest() != sha256:
            return None  # damaged content is as good as missing (large files: size only)
        return Blob(size=size, sha256=sha256, md5=md5, data=data, path=str(path))

    # -- the store's hook (on_* run under the store's lock) ---------------------------------

    def prepare(self, blob: Blob) -> Blob:
        """Content to disk, durably, before the store takes its lock (the slow part; vendors
        run it on a worker thread). Content spooled into ``tmp/`` is renamed, not copied."""
        path = self.blob_path(blob.sha256)
        if blob.path == str(path):
            return blob
        if not path.exists():  # content-addressed: the same bytes are written once
            spooled_here = blob.path is not None and Path(blob.path).parent == self.tmp
            if spooled_here:
                assert blob.path is not None
                _fsync_file(blob.path)
                os.replace(blob.path, path)
                blob.claim_spool_file()
                _fsync_dir(self.blobs)
            else:
                self._write_blob(blob, path)
        return Blob(size=blob.size, sha256=blob.sha256, md5=blob.md5, data=blob.data,
                    path=str(path))

    def on_put(self, record: FileRecord) -> None:
        self._ensure_content(record.blob)
        self._append({"op": "put", **_event_fields(record)})
        self._refs[record.sha256] = self._refs.get(record.sha256, 0) + 1

    def on_replace(self, old: FileRecord, new: FileRecord) -> None:
        self._ensure_content(new.blob)
        self._append({"op": "replace", **_event_fields(new)})
        if new.sha256 != old.sha256:
            self._refs[new.sha256] = self._refs.get(new.sha256, 0) + 1
            self._release(old.blob)

    def on_delete(self, record: FileRecord) -> None:
        self._append({"op": "delete", "ns": record.namespace, "id": record.id})
        self._release(record.blob)

    def on_reset(self, records: list[FileRecord]) -> None:
        """Reset to ``records`` (prepared: their content is in ``blobs/``): a new log is built
        aside and renamed over the old one, then content no record uses is removed."""
        for record in records:
            self._ensure_content(record.blob)
        crash_point("reset-content-written")
        assert self._log_fd is not None
        self._rewrite_log(records, crash_at="reset-log-written")
        crash_point("reset-log-renamed")
        os.close(self._log_fd)  # it names the replaced file
        self._log_fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._log_size = os.fstat(self._log_fd).st_size
        self._refs = {}
        for record in records:
            self._refs[record.sha256] = self._refs.get(record.sha256, 0) + 1
        for blob_file in self.blobs.iterdir():
            if blob_file.name not in self._refs:
                blob_file.unlink()

    # -- internals -----------------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        return self.blobs / sha256

    def _append(self, event: dict[str, Any]) -> None:
        assert self._log_fd is not None, "restore() first"
        line = (json.dumps(event, separators=(",", ":"), default=str) + "\n").encode()
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._log_fd, view):]
            _datasync(self._log_fd)
        except OSError:
            # A partial line would corrupt every line after it: cut it off, then refuse.
            os.ftruncate(self._log_fd, self._log_size)
            raise
        self._log_size += len(line)

    def _release(self, blob: Blob) -> None:
        left = self._refs.get(blob.sha256, 1) - 1
        if left > 0:
            self._refs[blob.sha256] = left
            return
        self._refs.pop(blob.sha256, None)
        if blob.data is not None:  # served from memory: no download reads the file
            self.blob_path(blob.sha256).unlink(missing_ok=True)

    def _ensure_content(self, blob: Blob) -> None:
        """Rare: a reset or delete removed this content between ``prepare`` and now."""
        path = self.blob_path(blob.sha256)
        if path.exists():
            return
        if blob.data is None:
            raise OSError(f"content {blob.sha256} was removed while it was being stored")
        self._write_blob(blob, path)

    def _write_blob(self, blob: Blob, path: Path) -> None:
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in blob.chunks():
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(self.blobs)

    def _write_file(self, path: Path, data: bytes) -> None:
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def _rewrite_log(self, records: list[FileRecord], crash_at: str | None = None) -> None:
        lines = b"".join(
            (json.dumps({"op": "put", **_event_fields(r)}, separators=(",", ":"), default=str)
             + "\n").encode()
            for r in records
        )
        tmp = self.path / (LOG + ".tmp")
        self._write_file(tmp, lines)
        if crash_at is not None:
            crash_point(crash_at)
        os.replace(tmp, self.log_path)
        _fsync_dir(self.path)


def _event_fields(record: FileRecord) -> dict[str, Any]:
    return {
        "ns": record.namespace, "id": record.id, "filename": record.filename,
        "purpose": record.purpose, "created_at": record.created_at,
        "content_type": record.content_type, "expires_at": record.expires_at,
        "owner": record.owner, "extra": record.extra, "size": record.size,
        "sha256": record.sha256, "md5": record.md5,
    }


def _record_fields(event: dict[str, Any]) -> dict[str, Any]:
    """FileRecord fields (plus size and hashes) from a logged event, type-checked."""
    fields = {
        "namespace": _typed(event, "ns", str), "id": _typed(event, "id", str),
        "filename": _typed(event, "filename", str), "purpose": _typed(event, "purpose", str),
        "created_at": float(_typed(event, "created_at", (int, float))),
        "content_type": _typed(event, "content_type", str),
        "expires_at": _typed(event, "expires_at", (int, float, type(None))),
        "owner": _typed(event, "owner", (str, type(None))),
        "extra": _typed(event, "extra", dict), "size": _typed(event, "size", int),
        "sha256": _typed(event, "sha256", str), "md5": _typed(event, "md5", str),
    }
    if len(fields["sha256"]) != 64 or not all(c in "0123456789abcdef" for c in fields["sha256"]):
        raise ValueError("sha256 is not a hex digest")
    return fields


def _typed(event: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = event[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{name!r} has the wrong type")
    return value


# fdatasync is enough for an append (it flushes the new size too); macOS only has fsync.
_datasync = getattr(os, "fdatasync", os.fsync)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
