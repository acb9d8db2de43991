"""How fakefiles serves HTTP: the listening socket and uvicorn's settings, for both servers.

``fakefiles serve`` (cli.py) and :class:`LiveServer` (the pytest plugin's ``fakefiles_server``,
and tests that need a socket: the vlmrun SDK speaks ``requests``, which cannot be pointed at an
in-process app) both listen through :func:`listening_socket` and configure uvicorn through
:func:`uvicorn_config`, so they behave the same on every event loop and HTTP parser.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
import time
from typing import Any

import uvicorn

# uvicorn's names; "auto" takes uvloop and httptools when installed (the default install has
# them where the platform has wheels), else asyncio and h11.
LOOPS = ("auto", "asyncio", "uvloop")
PARSERS = ("auto", "h11", "httptools")
# Longer than any common client pool keeps an idle connection (httpx 5 s, aiohttp 15 s,
# urllib3 and requests: no limit), like nginx's 75 s: a pooled connection is never closed by
# the server just as the client reuses it. uvicorn's default (5 s) equals httpx's pool expiry,
# so now and then a request went out on a connection the server was closing.
KEEP_ALIVE_SECONDS = 75
BACKLOG = 2048


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket whose accepted connections send without Nagle's delay.

    asyncio's loop sets TCP_NODELAY on an accepted connection only when the listening
    socket's ``proto`` is IPPROTO_TCP (``socket.socket(family, SOCK_STREAM)`` gives 0), and
    without it every response body waited ~40 ms for the client's delayed ACK of the head.
    So the socket is made with IPPROTO_TCP, and TCP_NODELAY is also set on the listener,
    which Linux and the BSDs copy to every connection it accepts (uvloop sets it itself).
    Listening starts here, not when uvicorn starts: a client that connects at once is queued
    rather than refused. Raises OSError when the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def missing_stack(loop: str, http: str) -> str | None:
    """Why ``loop`` / ``http`` cannot run here (not installed), or None."""
    for flag, name, choice, fallback in (("--loop", "uvloop", loop, "asyncio"),
                                         ("--http", "httptools", http, "h11")):
        if choice == name and importlib.util.find_spec(name) is None:
            return (f"{flag} {name}: {name} is not installed (pip install {name}, or leave "
                    f"{flag} at auto, which falls back to {fallback})")
    return None


def uvicorn_config(app: Any, *, loop: str = "auto", http: str = "auto",
                   log_level: str = "warning", access_log: bool = False) -> uvicorn.Config:
    return uvicorn.Config(
        app, loop=loop, http=http, log_level=log_level, access_log=access_log, lifespan="off",
        timeout_keep_alive=KEEP_ALIVE_SECONDS, timeout_graceful_shutdown=1,
    )


class LiveServer:
    """A real uvicorn server for an app, in a background thread on a free port.

    ``loop`` and ``http`` default to the FAKEFILES_LOOP and FAKEFILES_HTTP variables (what
    ``fakefiles serve`` reads too), else auto: so they also choose the stack of the pytest
    plugin's ``fakefiles_server``.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, *,
                 loop: str | None = None, http: str | None = None) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self.port = 0
        self.loop = loop or os.environ.get("FAKEFILES_LOOP", "").strip() or "auto"
        self.http = http or os.environ.get("FAKEFILES_HTTP", "").strip() or "auto"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> LiveServer:
        if self.loop not in LOOPS or self.http not in PARSERS:
            raise RuntimeError(f"fakefiles: loop {self.loop!r} / http {self.http!r}: expected "
                               f"one of {', '.join(LOOPS)} / {', '.join(PARSERS)}")
        problem = missing_stack(self.loop, self.http)
        if problem is not None:
            raise RuntimeError(f"fakefiles: {problem}")
        from .app import quiet_dropped_connections

        sock = listening_socket(self.host, self._requested_port)
        try:
            self.port = sock.getsockname()[1]
            server = uvicorn.Server(uvicorn_config(self.app, loop=self.loop, http=self.http))
            quiet_dropped_connections()  # as `fakefiles serve` does
            self._server = server
            self._thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="fakefiles-server",
                daemon=True,
            )
            self._thread.start()
            deadline = time.monotonic() + timeout
            while not server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("fakefiles: the live server did not start")
                time.sleep(0.005)
        except BaseException:  # leave no thread or socket behind
            self.stop()
            sock.close()
            raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
