"""Section 5: server memory while a 1 GiB file goes up and down, and while holding 100 000 files.

The 1 GiB body is generated on the fly: one random 1 MiB block sent again and again, so the
benchmark itself never holds the file. Growth is the server's peak RSS (``VmHWM``, restarted
with ``/proc/<pid>/clear_refs`` just before) minus its RSS before the transfer; where the peak
cannot be restarted, a sampler polls ``VmRSS`` every 5 ms instead.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from pathlib import Path

from .load import Server, seeded_server
from .report import Report, Row, Target, stat
from .vendors import AUTH

MIB = 1024 * 1024
BLOCK = os.urandom(MIB)


class Peak:
    """Peak RSS growth of ``server`` over a ``with`` block, in MiB."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.growth = 0.0
        self._stop = threading.Event()
        self._sampled = 0

    def __enter__(self) -> Peak:
        self.base = self.server.status()["VmRSS"]
        self.exact = self.server.reset_peak()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self._sampled = max(self._sampled, self.server.status()["VmRSS"])

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        peak = self.server.status()["VmHWM"] if self.exact else self._sampled
        self.growth = max(0, peak - self.base) / 1024


def upload(port: int, path: str, total: int, fields: dict[str, str]) -> tuple[float, int, bytes]:
    """Stream a multipart upload of ``total`` bytes; (seconds, status, response body)."""
    boundary = "benchbig0123456789"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ) + (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
         "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.putrequest("POST", path)
    for key, value in {**AUTH, "content-type": f"multipart/form-data; boundary={boundary}",
                       "content-length": str(len(head) + total + len(tail))}.items():
        conn.putheader(key, value)
    conn.endheaders(head)
    sent = 0
    while sent < total:
        chunk = BLOCK if total - sent >= MIB else BLOCK[: total - sent]
        conn.send(chunk)
        sent += len(chunk)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, response.status, body


def download(port: int, path: str) -> tuple[float, int]:
    """GET ``path`` and throw the bytes away as they come; (seconds, bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path, headers=AUTH)
    response = conn.getresponse()
    received = 0
    while chunk := response.read(MIB):
        received += len(chunk)
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"download {path}: HTTP {response.status}")
    return elapsed, received


def delete(port: int, path: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("DELETE", path, headers=AUTH)
    conn.getresponse().read()
    conn.close()


def big_file(report: Report, workdir: Path, *, repeats: int, size: int) -> None:
    group = f"5. memory: one {size // MIB:,} MiB file through /openai/v1"
    up: list[float] = []
    up_growth: list[float] = []
    down: list[float] = []
    down_growth: list[float] = []
    ref_up: list[float] = []
    ref_growth: list[float] = []
    # Not pinned: one worker process may use every core, as on a developer's machine
    # (fakefiles hashes big uploads on a second thread; the reference writes from a pool).
    fake = seeded_server(workdir / "big", files=1, content_bytes=1024, vendors="openai",
                         max_upload_bytes=2 * size + MIB, cpu=None)
    ref = seeded_server(workdir / "big-ref", app="reference", files=1, content_bytes=1024,
                        vendors="openai", cpu=None)
    with ref, fake:
        for server in (fake, ref):  # warm-up
            upload(server.port, "/openai/v1/files", 4 * MIB, {"purpose": "vision"})
        for _ in range(repeats):
            with Peak(fake) as peak:
                seconds, status, body = upload(fake.port, "/openai/v1/files", size,
                                               {"purpose": "vision"})
            if status != 200:
                raise RuntimeError(f"fakefiles upload: HTTP {status} {body[:200]!r}")
            up.append(size / MIB / seconds)
            up_growth.append(peak.growth)
            file_id = json.loads(body)["id"]
            with Peak(fake) as peak:
                seconds, received = download(fake.port, f"/openai/v1/files/{file_id}/content")
            if received != size:
                raise RuntimeError(f"download: {received} bytes of {size}")
            down.append(size / MIB / seconds)
            down_growth.append(peak.growth)
            delete(fake.port, f"/openai/v1/files/{file_id}")
            with Peak(ref) as peak:
                seconds, status, body = upload(ref.port, "/openai/v1/files", size,
                                               {"purpose": "vision"})
            if status != 200:
                raise RuntimeError(f"reference upload: HTTP {status} {body[:200]!r}")
            ref_up.append(size / MIB / seconds)
            ref_growth.append(peak.growth)
    report.add(Row(group, "upload throughput", "MiB/s", stat(up), stat(ref_up),
                   stat([f / r for f, r in zip(up, ref_up, strict=True)]),
                   target=Target(">=", 0.7),
                   note="reference: Starlette request.form(), parts spooled to disk"))
    report.add(Row(group, "upload: server RSS growth", "MiB", stat(up_growth), stat(ref_growth),
                   target=Target("<", 64.0, on="value")))
    report.add(Row(group, "download throughput", "MiB/s", stat(down)))
    report.add(Row(group, "download: server RSS growth", "MiB", stat(down_growth),
                   target=Target("<", 64.0, on="value")))


def many_files(report: Report, workdir: Path, *, repeats: int, count: int) -> None:
    group = "5. memory: many small files"
    held: list[float] = []
    empty: list[float] = []
    for r in range(repeats):
        for files in ((count, 1) if r % 2 == 0 else (1, count)):
            server = seeded_server(workdir / f"many-{files}", files=files, content_bytes=1024,
                                   distinct=True, vendors="openai")
            with server:
                for path in ("/openai/v1/files?limit=20", "/openai/v1/files?limit=100"):
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                    conn.request("GET", path, headers=AUTH)
                    conn.getresponse().read()
                    conn.close()
                rss = server.status()["VmRSS"] / 1024
                (held if files == count else empty).append(rss)
    report.add(Row(group, f"server RSS holding {count:,} × 1 KiB files", "MiB", stat(held),
                   stat(empty), base_label="empty", target=Target("<", 400.0, on="value"),
                   note="files put through the store (bench/serve_seeded.py), own bytes each"))
