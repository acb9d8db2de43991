"""Vendor-neutral errors. Handlers raise these; each vendor's ``render_error`` shapes them.

    FakeFilesError                  any refusal a handler can raise
    ├── NotFound                    no such file / upload / route          (404 everywhere)
    ├── InvalidParam                a parameter or field is missing or wrong
    │                               (OpenAI/orq: 400, impala/VLM Run: FastAPI 422)
    ├── Unauthorized                missing or wrong API key               (401)
    ├── Forbidden                   the key may not touch that project     (403)
    ├── MethodNotAllowed            wrong HTTP method on a known route     (405)
    ├── RequestTimeout              the client stopped sending its body    (408)
    ├── PayloadTooLarge             body over the configured limit         (413)
    ├── UnsupportedMediaType        content type not on the allow-list     (415)
    └── InjectedFault               a fault rule asked for this status     (any)

An error carries what every vendor envelope needs: a message, the offending parameter
(``param``) and where it was (``location``: query, body, path, header), plus the FastAPI-style
``kind``/``input``/``ctx`` that VLM Run and impala put in their 422 items.
"""

from __future__ import annotations

from typing import Any


class FakeFilesError(Exception):
    status = 400

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        location: str = "body",
        kind: str = "value_error",
        input: Any = None,
        ctx: dict[str, Any] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.location = location
        self.kind = kind
        self.input = input
        self.ctx = ctx
        self.headers = headers or {}
        if status is not None:
            self.status = status


class NotFound(FakeFilesError):
    status = 404


class InvalidParam(FakeFilesError):
    status = 400


class Unauthorized(FakeFilesError):
    status = 401


class Forbidden(FakeFilesError):
    status = 403


class MethodNotAllowed(FakeFilesError):
    status = 405


class RequestTimeout(FakeFilesError):
    status = 408


class PayloadTooLarge(FakeFilesError):
    status = 413


class UnsupportedMediaType(FakeFilesError):
    status = 415


class InjectedFault(FakeFilesError):
    """A fault rule's status with no explicit body: rendered in the vendor's envelope."""


def missing(param: str, location: str = "body") -> InvalidParam:
    return InvalidParam(
        f"Missing required parameter: '{param}'.",
        param=param,
        location=location,
        kind="missing",
    )
