"""``LiveServer``: quiet about connections a fault drops on purpose, and a start that fails
leaves no socket and no thread behind."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

import httpx
import pytest

from fakefiles import Settings, create_app
from fakefiles.server import LiveServer


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "fakefiles-server"]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_dropped_connection_logs_no_traceback() -> None:
    collect = Collect()
    with LiveServer(create_app(Settings())) as server:
        logging.getLogger("uvicorn.error").addHandler(collect)  # behind the logger's filters
        try:
            with pytest.raises(httpx.TransportError):
                httpx.get(f"{server.url}/openai/v1/files", headers={"x-fakefiles-fault": "reset"})
            assert httpx.get(f"{server.url}/_fakefiles/health").status_code == 200
        finally:
            logging.getLogger("uvicorn.error").removeHandler(collect)
    assert [r.getMessage() for r in collect.records if r.exc_info] == []


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds in /proc")
def test_a_port_in_use_leaves_no_socket() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        before = open_fds()
        with pytest.raises(OSError):
            LiveServer(create_app(Settings()), port=taken.getsockname()[1]).start()
        assert open_fds() <= before
    finally:
        taken.close()


def test_a_start_that_times_out_leaves_no_thread_and_no_socket(monkeypatch) -> None:
    from fakefiles import server as server_module

    opened: list[socket.socket] = []
    real = server_module.listening_socket

    def recording(host: str, port: int) -> socket.socket:
        opened.append(real(host, port))
        return opened[-1]

    async def never_started(self: Any, sockets: Any = None) -> None:
        """uvicorn's start-up that never reports started: the timeout must fire every time
        (with the real one, timeout=0 still lost the race to a fast start now and then)."""

    monkeypatch.setattr(server_module, "listening_socket", recording)
    monkeypatch.setattr(server_module.uvicorn.Server, "startup", never_started)
    threads = server_threads()
    with pytest.raises(RuntimeError, match="did not start"):
        LiveServer(create_app(Settings())).start(timeout=0.2)
    assert server_threads() == threads
    assert [sock.fileno() for sock in opened] == [-1]  # closed
