"""Who may call the control API (``/_fakefiles/``), and how a call that changes state must look.

A fake on a developer's laptop is reachable from every web page the developer opens. A
browser sends a *simple* cross-origin request (a GET, or a POST whose body is text/plain, a
form or multipart) without asking, and only hides the answer from the page; anything else it
sends only after a CORS preflight, which the control API does not answer unless
``--control-origin`` names the page's origin. So every control call except ``/health`` and
the signed ``/download/`` links passes, in this order:

1. **Host**: a name of this server: ``localhost`` (and ``*.localhost``), a loopback address,
   ``fakefiles.test`` (the pytest plugin's in-process origin; ``.test`` is a reserved TLD) or
   the ``--host`` it listens on; any name when it listens on every interface (0.0.0.0, ::).
   This refuses DNS rebinding: a hostile domain re-pointed at 127.0.0.1, whose pages would
   otherwise be same-origin with the fake.
2. **Origin**: none (curl, SDKs, tests), the server's own (a page it serves), or one named in
   ``--control-origin``. A page on any other origin is refused before anything runs.
3. **Admin token**, when ``--admin-token`` is set: the ``X-Fakefiles-Admin-Token`` header
   (not ``Authorization``, which carries the vendors' keys).
4. **Content type**: POST, PUT, PATCH and DELETE declare ``application/json`` (``/fixtures``
   also takes a YAML type), even without a body. No simple request can declare it, so a
   browser that has not been allowed by a preflight never sends the call at all.

A refusal is a :class:`Refusal` (status, message, field); ``admin.py`` renders it like any
control error. Fixtures sent over HTTP have their own limits (no ``content_path``, no keys):
see ``admin.load_fixtures``.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import NamedTuple
from urllib.parse import urlsplit

from starlette.requests import Request

from .settings import Settings

TOKEN_HEADER = "X-Fakefiles-Admin-Token"
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IN_PROCESS_HOST = "fakefiles.test"
EVERY_INTERFACE = frozenset({"0.0.0.0", "::", ""})


class Refusal(NamedTuple):
    status: int
    message: str
    field: str


def control_refusal(request: Request, settings: Settings,
                    body_types: tuple[str, ...] = JSON_TYPES) -> Refusal | None:
    """Why this control call may not run, or None when it may."""
    headers = request.headers
    host = headers.get("host")
    if host is not None and not is_own_host(host, settings.host):
        return Refusal(403, f"Host {host!r} is not a name of this server: the control API "
                       "answers to loopback names and the --host it listens on (a guard "
                       "against DNS rebinding).", "host")
    origin = headers.get("origin")
    if origin is not None and not origin_allowed(origin, host, settings.control_origins):
        return Refusal(403, f"Pages on other origins ({origin}) may not use the control API; "
                       "start fakefiles with --control-origin to allow one.", "origin")
    token = settings.admin_token
    if token is not None and not hmac.compare_digest(
        headers.get(TOKEN_HEADER, "").encode("utf-8", "replace"), token.encode("utf-8")
    ):
        return Refusal(401, f"This fakefiles was started with --admin-token: send it in the "
                       f"{TOKEN_HEADER} header.", TOKEN_HEADER)
    if request.method in STATE_CHANGING:
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media not in body_types:
            wanted = " or ".join(f"'Content-Type: {t}'" for t in body_types)
            got = f"'{media}'" if media else "none"
            return Refusal(415, f"{request.method} {request.url.path} needs {wanted}, even "
                           f"without a body (got {got}): a web page cannot send that to "
                           "another origin unasked, so no page can change the fake's state.",
                           "content-type")
    return None


def is_own_host(host_header: str, listen_host: str) -> bool:
    """Whether a Host header names this server (see the module docstring, step 1)."""
    if listen_host in EVERY_INTERFACE:
        return True
    name = _host_name(host_header)
    if name in ("localhost", IN_PROCESS_HOST, listen_host.lower().strip("[]")):
        return True
    if name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def origin_allowed(origin: str, host_header: str | None, allowed: list[str]) -> bool:
    """The request's own origin (a page this server serves), or one named in settings."""
    if "*" in allowed or origin in allowed:
        return True
    if host_header is None:
        return False
    return urlsplit(origin).netloc.lower() == host_header.lower()


def _host_name(host_header: str) -> str:
    """``[::1]:8000`` → ``::1``, ``Example.COM.:80`` → ``example.com``."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    name, colon, port = value.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        value = name
    return value.rstrip(".")
