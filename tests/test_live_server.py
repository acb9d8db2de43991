"""Live servers as users run them: every accepted connection has TCP_NODELAY, on both server
stacks, for ``fakefiles serve`` and for the plugin's ``fakefiles_server``.

Without it (asyncio's loop on a listening socket made with proto 0) each keep-alive response
body waited behind Nagle's algorithm for the client's delayed ACK: ~40 ms a call instead of
~1 ms. The option is read on the server's side of the connection (tests/nodelay_probe.py), so
no timing is involved.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fakefiles import cli, create_app
from fakefiles.server import KEEP_ALIVE_SECONDS, LiveServer, listening_socket, uvicorn_config
from tests.nodelay_probe import SITECUSTOMIZE, install

ROOT = Path(__file__).resolve().parent.parent
# (loop, http, what the probe reports for the pair)
STACKS = [
    pytest.param("asyncio", "h11", "asyncio H11Protocol", id="asyncio-h11"),
    pytest.param("uvloop", "httptools", "uvloop HttpToolsProtocol", id="uvloop-httptools"),
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for _, env, _ in cli.ENVIRONMENT:
        monkeypatch.delenv(env, raising=False)


def needs(loop: str, http: str) -> None:
    for name in (loop, http):
        if name in ("uvloop", "httptools") and importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed on this platform")


def keep_alive_calls(origin: str, calls: int = 5) -> None:
    """A few requests on one pooled connection, as an SDK client sends them."""
    with httpx.Client(base_url=origin) as client:
        for _ in range(calls):
            assert client.get("/openai/v1/files", headers={"Authorization": "Bearer k"}
                              ).status_code == 200


@pytest.mark.parametrize(("loop", "http", "stack"), STACKS)
def test_fakefiles_serve_sends_without_nagle(tmp_path, loop, http, stack):
    needs(loop, http)
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE.format(root=str(ROOT)))
    probe = tmp_path / "connections.txt"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "FAKEFILES_NODELAY_PROBE": str(probe)}
    process = subprocess.Popen(
        [sys.executable, "-m", "fakefiles", "serve", "--port", "0", "--loop", loop,
         "--http", http, "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("fakefiles "), process.communicate(timeout=10)
        origin = banner.split(" on ", 1)[1].split(" ", 1)[0]
        keep_alive_calls(origin)
        keep_alive_calls(origin)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert probe.read_text().splitlines() == [f"{stack} 1"] * 2


@pytest.mark.parametrize(("loop", "http", "stack"), STACKS)
def test_live_server_sends_without_nagle(loop, http, stack):
    needs(loop, http)
    seen: list[str] = []
    undo = install(seen.append)
    try:
        with LiveServer(create_app(), loop=loop, http=http) as server:
            keep_alive_calls(server.url)
    finally:
        undo()
    assert seen == [f"{stack} 1"]


@pytest.mark.parametrize(("loop", "http", "stack"), STACKS)
def test_fakefiles_server_fixture_sends_without_nagle(pytester, monkeypatch, loop, http, stack):
    """The plugin's fixture as a user writes it; FAKEFILES_LOOP / FAKEFILES_HTTP choose."""
    needs(loop, http)
    monkeypatch.setenv("FAKEFILES_LOOP", loop)
    monkeypatch.setenv("FAKEFILES_HTTP", http)
    pytester.makepyfile(test_user="""
        def test_list(fakefiles_server):
            client = fakefiles_server.openai()
            for _ in range(5):
                client.files.list()
    """)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    seen: list[str] = []
    undo = install(seen.append)
    try:
        pytester.runpytest_inprocess("-p", "no:xdist").assert_outcomes(passed=1)
    finally:
        undo()
    assert seen == [f"{stack} 1"]


def test_listening_socket_is_tcp_with_nodelay():
    with listening_socket("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP  # what asyncio checks
        assert sock.getsockopt(socket.IPPROTO_TCP,
                               socket.TCP_NODELAY)


def test_idle_pooled_connections_outlive_client_pools():
    """uvicorn's default keep-alive (5 s) equals httpx's pool expiry: a pooled connection could
    be closed by the server just as the client reused it. Now the server waits far longer."""
    config = uvicorn_config(create_app())
    assert config.timeout_keep_alive == KEEP_ALIVE_SECONDS >= 60


def test_a_missing_stack_is_one_line(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "uvloop" else real(name, *a))
    assert cli.main(["serve", "--port", "0", "--loop", "uvloop"]) == 2
    assert capsys.readouterr().err == (
        "fakefiles: error: --loop uvloop: uvloop is not installed (pip install uvloop, or "
        "leave --loop at auto, which falls back to asyncio)\n")
