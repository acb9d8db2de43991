"""Test-only hook: what a uvicorn server sets on each connection it accepts.

:func:`install` wraps uvicorn's HTTP protocol class (after ``Config.load`` chose it) so that
every accepted connection reports, from the server's side of the socket, its event loop, its
HTTP parser and its TCP_NODELAY option. ``sitecustomize.py`` (written by the tests) installs
it in a ``fakefiles serve`` subprocess; in-process tests install it directly.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

from uvicorn.config import Config


def install(report: Callable[[str], None]) -> Callable[[], None]:
    """Report ``"<loop> <parser> <TCP_NODELAY>"`` per connection; returns the undo."""
    original = Config.load

    def load(config: Config) -> None:
        original(config)
        chosen: Any = config.http_protocol_class

        class Probe(chosen):  # type: ignore[misc, valid-type]
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
                report(f"{loop} {chosen.__name__} {int(bool(nodelay))}")
                super().connection_made(transport)

        config.http_protocol_class = Probe

    Config.load = load  # type: ignore[method-assign]
    return lambda: setattr(Config, "load", original)


SITECUSTOMIZE = '''
import os, sys
sys.path.insert(0, {root!r})
from tests.nodelay_probe import install

def report(line):
    with open(os.environ["FAKEFILES_NODELAY_PROBE"], "a") as out:
        out.write(line + "\\n")

install(report)
'''
