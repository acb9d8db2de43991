"""Servers under test and the load generator that drives them.

:class:`Server` spawns one process (pinned to a CPU with ``taskset`` when there is one),
times spawn → first 200, reads its memory from ``/proc/<pid>/status`` and stops it.
:func:`run_load` drives a URL with ``wrk`` (installed with apt-get when missing and root) or,
without it, with a bounded asyncio/httpx loop. Every run is bounded in time.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_CPU = "0"  # the server gets one core, the load generator the other
CLIENT_CPU = "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(argv: list[str], cpu: str) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > int(cpu):
        return ["taskset", "-c", cpu, *argv]
    return argv


def get_status(port: int, path: str, timeout: float = 1.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Server:
    """One server process on a free loopback port."""

    def __init__(self, name: str, argv: list[str], *, health: str,
                 env: dict[str, str] | None = None, port: int | None = None,
                 cpu: str | None = SERVER_CPU) -> None:
        self.name = name
        self.cpu = cpu  # None: the server may use every CPU
        self.port = port or free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.health = health
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_after = 0.0  # seconds from spawn to the first 200
        self._log = tempfile.TemporaryFile()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, timeout: float = 120.0) -> Server:
        started = time.perf_counter()
        argv = self.argv if self.cpu is None else pinned(self.argv, self.cpu)
        self.process = subprocess.Popen(argv, env=self.env, stdout=self._log, stderr=self._log)
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   + self.log()[-3000:])
            try:
                if get_status(self.port, self.health) == 200:
                    self.ready_after = time.perf_counter() - started
                    return self
            except OSError:
                pass
            time.sleep(0.002)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout:g}s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        if self._log.closed:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def status(self) -> dict[str, int]:
        """VmRSS, VmHWM… in KiB."""
        values: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("Vm") and line.endswith("kB"):
                key, _, value = line.partition(":")
                values[key] = int(value.split()[0])
        return values

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset_peak(self) -> bool:
        """Restart VmHWM at the current RSS (Linux ≥ 4.0, own processes)."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- load ----------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers plus socket errors and timeouts
    tool: str
    cpu_us: float = 0.0  # server CPU time per request, when the server is known


def ensure_wrk(install: bool = True) -> str | None:
    """wrk's path; installs the Debian package when missing and allowed (root, apt-get)."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    print("bench: installing wrk (apt-get install wrk)…", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        try:
            subprocess.run(argv, env=env, check=True, timeout=300, capture_output=True)
        except (subprocess.SubprocessError, OSError):
            return None
    return shutil.which("wrk")


LUA = """wrk.method = "{method}"
{headers}
local f = io.open("{body_file}", "rb")
if f then wrk.body = f:read("*a"); f:close() end
"""


def _millis(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(out: str) -> Load:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = _millis(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _millis(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                          out):
        errors += sum(int(g) for g in match.groups())
    return Load(rps, p50, p99, requests, errors, "wrk")


def run_load(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
    body_file: str | None = None, connections: int = 32, duration: float = 3.0,
    wrk: str | None = None,
) -> Load:
    headers = headers or {}
    if wrk is None:
        body = Path(body_file).read_bytes() if body_file else b""
        return asyncio.run(_httpx_load(url, method, headers, body, connections, duration))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
        script.write(LUA.format(method=method, headers=lines, body_file=body_file or "/dev/null"))
    try:
        seconds = max(1, round(duration))  # wrk takes whole seconds
        argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                "--timeout", "5s", "-s", script.name, url]
        done = subprocess.run(pinned(argv, CLIENT_CPU), capture_output=True, text=True,
                              timeout=duration + 30)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
        return parse_wrk(done.stdout)
    finally:
        os.unlink(script.name)


async def _httpx_load(url: str, method: str, headers: dict[str, str], body: bytes,
                      connections: int, duration: float) -> Load:
    """The fallback generator: ``connections`` workers, each one request at a time."""
    import httpx

    latencies: list[float] = []
    errors = 0
    limit = 200_000  # bounded in count as well as in time
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=5.0) as client:
        # After the client is made (its SSL context can take longer than a short run): every
        # worker sends at least one request.
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors
            first = True
            while (first or time.perf_counter() < deadline) and len(latencies) < limit:
                first = False
                started = time.perf_counter()
                try:
                    response = await client.request(method, url, headers=headers,
                                                    content=body or None)
                    ok = 200 <= response.status_code < 300
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok

        begun = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - begun
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    return Load(len(latencies) / elapsed, pick(0.50), pick(0.99), len(latencies), errors, "httpx")


# -- the two kinds of server the benchmark starts ----------------------------------------------


# Where the servers under test run from: the venv ``make bench`` installs exactly as
# ``make run`` installs fakefiles (``--serve-venv``), else this interpreter's own.
SERVE_BIN = Path(sys.executable).parent


def use_serve_venv(venv: Path) -> None:
    global SERVE_BIN
    SERVE_BIN = venv.resolve() / "bin"
    if not (SERVE_BIN / "fakefiles").exists():
        raise SystemExit(f"bench: {venv} has no fakefiles (make bench installs it)")


def serve_stack() -> str:
    """What the serve venv runs: uvicorn and the loop and parser its "auto" picks."""
    code = ("import importlib.util as u, importlib.metadata as m\n"
            "names = ['uvicorn', 'starlette', 'uvloop', 'httptools']\n"
            "print(', '.join(f'{n} {m.version(n)}' if u.find_spec(n) else f'no {n}' "
            "for n in names))")
    done = subprocess.run([str(SERVE_BIN / "python"), "-c", code], capture_output=True,
                          text=True, timeout=60)
    return done.stdout.strip() or f"unknown ({done.stderr.strip()[-200:]})"


def uvicorn_flags() -> list[str]:
    """The reference on fakefiles' stack: uvicorn's auto loop and parser (what fakefiles serve
    uses by default), no access log, one worker."""
    return ["--no-access-log", "--workers", "1", "--log-level", "warning"]


def bare_reference(files: int = 0, content_bytes: int = 0) -> Server:
    """The reference app, started by uvicorn's own command line from the serve venv, holding
    ``files`` files per vendor prefix."""
    argv = [str(SERVE_BIN / "python"), "-m", "uvicorn", "bench.reference_app:create_app",
            "--factory", "--host", "127.0.0.1", "--port", "{port}", *uvicorn_flags()]
    root = str(Path(__file__).resolve().parent.parent)
    env = {"PYTHONPATH": root, "BENCH_REFERENCE_FILES": str(files),
           "BENCH_REFERENCE_CONTENT_BYTES": str(content_bytes)}
    return Server("reference", argv, health="/health", env=env)


def fakefiles_serve(fixtures: Path | None = None, env: dict[str, str] | None = None,
                    cpu: str | None = SERVER_CPU) -> Server:
    """``fakefiles serve`` from the serve venv, as a user starts it."""
    argv = [str(SERVE_BIN / "fakefiles"), "serve", "--host", "127.0.0.1", "--port", "{port}",
            "--log-level", "warning"]
    if fixtures is not None:
        argv += ["--fixtures", str(fixtures)]
    return Server("fakefiles serve", argv, health="/_fakefiles/health", env=env, cpu=cpu)


def seeded_server(workdir: Path, *, files: int, content_bytes: int, app: str = "fakefiles",
                  distinct: bool = False, vendors: str = "", max_upload_bytes: int | None = None,
                  cpu: str | None = SERVER_CPU) -> Server:
    """fakefiles (or the reference) with ``files`` files per vendor; manifest in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "bench.serve_seeded", "--app", app, "--port", "{port}",
            "--files", str(files), "--content-bytes", str(content_bytes),
            "--manifest", str(workdir / "manifest.json")]
    if distinct:
        argv.append("--distinct")
    if vendors:
        argv += ["--vendors", vendors]
    if max_upload_bytes:
        argv += ["--max-upload-bytes", str(max_upload_bytes)]
    return Server(f"{app} ({files} files)", argv, health="/", cpu=cpu)
