"""Signed, expiring download links (VLM Run ``public_url``, orq ``download_url``).

A link is ``{origin}/_fakefiles/download/{file_id}?ns=…&expires=…&signature=…`` with an
HMAC-SHA256 over namespace, id and expiry, keyed by the server's signing key. It needs no
Authorization header, so a browser ``<a href>`` or ``curl`` can use it; a changed byte or a
time past ``expires`` (by the fake's clock) is refused.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import quote, quote_plus

from starlette.requests import Request

DOWNLOAD_PATH = "/_fakefiles/download/"
_PLAIN = re.compile(r"[A-Za-z0-9_.~/-]*")  # needs no escaping but for "/"


def signature(key: str, namespace: str, file_id: str, expires: int) -> str:
    message = f"{namespace}\n{file_id}\n{expires}".encode()
    return hmac.digest(key.encode(), message, "sha256").hex()


def _escape(text: str, plus: bool = False) -> str:
    """``quote(text, safe="")`` (``quote_plus`` with ``plus``), without its cost for plain ids.

    VLM Run signs a link for every file of a list, so this is on the hot path.
    """
    if _PLAIN.fullmatch(text):
        return text.replace("/", "%2F")
    return quote_plus(text) if plus else quote(text, safe="")


def origin(request: Request) -> str:
    """``scheme://host[:port]`` as the client addressed us (the scheme as request.url gives
    it, without building the URL for every link of a list)."""
    scheme = request.scope.get("scheme", "http")
    return f"{scheme}://{request.headers.get('host') or request.url.netloc}"


def signed_url(request: Request, key: str, namespace: str, file_id: str, expires: int) -> str:
    sig = signature(key, namespace, file_id, expires)
    return (f"{origin(request)}{DOWNLOAD_PATH}{_escape(file_id)}"
            f"?ns={_escape(namespace, plus=True)}&expires={expires}&signature={sig}")


def verify(key: str, namespace: str, file_id: str, expires: int, given: str, now: float) -> str:
    """Empty string when the link is good, else why it is refused."""
    expected = signature(key, namespace, file_id, expires)
    # compare_digest refuses non-ASCII str (TypeError): compare the UTF-8 bytes.
    if not hmac.compare_digest(expected.encode(), given.encode()):
        return "The link's signature does not match."
    if now > expires:
        return "The link has expired."
    return ""
