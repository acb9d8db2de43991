"""How the benchmark speaks to each vendor prefix: one small profile per vendor dialect.

A profile builds the four requests the benchmark drives (upload, get by id, list first and
deep page, content download) in the vendor's own wire shape. Everything else in ``bench/``
is vendor-neutral: a vendor whose routes are not there yet shows up as "n/a (route missing)".
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import string
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from fakefiles import ids

KEY = "sk-bench-0123456789abcdef"
# Gemini reads its key from x-goog-api-key; the others from the bearer header.
AUTH = {"authorization": f"Bearer {KEY}", "x-goog-api-key": KEY}
PAGE = 20  # list page size the benchmark asks for


@dataclass(frozen=True)
class Call:
    """One HTTP request, ``path`` absolute on the server (prefix included)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with text ``fields`` and one ``file`` part."""
    boundary = "bench" + secrets.token_hex(12)
    out = bytearray()
    for name, value in fields.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n").encode()
    out += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    out += data
    out += f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def path_of(url: str) -> str:
    """``http://host/x?y`` → ``/x?y``: links the fake signs are followed on the bench's host."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def file_id_in(body: Any) -> str | None:
    """The new file's id in an upload response (``id``, ``file_id`` or ``{"file": …}``)."""
    if isinstance(body, dict):
        for key in ("id", "file_id"):
            if isinstance(body.get(key), str):
                return str(body[key])
        if isinstance(body.get("file"), dict):
            return file_id_in(body["file"])
    return None


class Profile:
    """OpenAI's dialect; the other vendors override what differs."""

    name = "openai"
    # vision: OpenAI lets its owner download these (assistants files it does not)
    upload_fields: dict[str, str] = {"purpose": "vision"}

    def upload(self, prefix: str, data: bytes, filename: str = "bench.bin") -> Call:
        body, content_type = multipart(self.upload_fields, filename, data)
        return Call("POST", f"{prefix}/files", {**AUTH, "content-type": content_type}, body)

    def get(self, prefix: str, file_id: str) -> str:
        return f"{prefix}/files/{quote(file_id, safe='')}"

    def list_first(self, prefix: str) -> str:
        return f"{prefix}/files?limit={PAGE}"

    def list_deep(self, prefix: str, cursor: str, position: int) -> str:
        return f"{prefix}/files?limit={PAGE}&after={quote(cursor, safe='')}"

    def content(self, prefix: str, file_id: str, fetch: Any) -> str | None:
        """The path that serves the bytes; ``fetch(path) -> (status, json)`` for link vendors."""
        return f"{prefix}/files/{quote(file_id, safe='')}/content"


class ImpalaProfile(Profile):
    name = "impala"


class VlmRunProfile(Profile):
    """Purpose in the query, ``skip`` paging, content through the signed ``public_url``."""

    name = "vlmrun"
    upload_fields: dict[str, str] = {}

    def upload(self, prefix: str, data: bytes, filename: str = "bench.bin") -> Call:
        call = super().upload(prefix, data, filename)
        return Call(call.method, f"{prefix}/files?purpose=assistants", call.headers, call.body)

    def list_first(self, prefix: str) -> str:
        return f"{prefix}/files?skip=0&limit={PAGE}"

    def list_deep(self, prefix: str, cursor: str, position: int) -> str:
        return f"{prefix}/files?skip={position}&limit={PAGE}"

    def content(self, prefix: str, file_id: str, fetch: Any) -> str | None:
        status, body = fetch(self.get(prefix, file_id))
        url = body.get("public_url") if status == 200 and isinstance(body, dict) else None
        return path_of(url) if isinstance(url, str) and url else None


class OrqProfile(Profile):
    """JSON upload with base64 content, ``starting_after`` paging, ``download_url`` links."""

    name = "orq"

    def upload(self, prefix: str, data: bytes, filename: str = "bench.bin") -> Call:
        body = json.dumps({"filename": filename, "content": base64.b64encode(data).decode(),
                           "purpose": "FILE_PURPOSE_RETRIEVAL"}).encode()
        return Call("POST", f"{prefix}/files", {**AUTH, "content-type": "application/json"}, body)

    def list_deep(self, prefix: str, cursor: str, position: int) -> str:
        return f"{prefix}/files?limit={PAGE}&starting_after={quote(cursor, safe='')}"

    def content(self, prefix: str, file_id: str, fetch: Any) -> str | None:
        status, body = fetch(f"{prefix}/files/{quote(file_id, safe='')}/content")
        url = body.get("download_url") if status == 200 and isinstance(body, dict) else None
        return path_of(url) if isinstance(url, str) and url else None


class AnthropicProfile(Profile):
    """Multipart with only the file, ``after_id`` paging; no content: Anthropic answers 400 to
    downloading an upload (only files its tools make are downloadable), so there is no 2xx
    download of a bench upload to measure."""

    name = "anthropic"
    upload_fields: dict[str, str] = {}

    def list_deep(self, prefix: str, cursor: str, position: int) -> str:
        return f"{prefix}/files?limit={PAGE}&after_id={quote(cursor, safe='')}"


class GeminiProfile(Profile):
    """v1beta paths, ``pageSize``/``pageToken`` paging. Its upload is two requests (start,
    then the bytes to the session URL the start answers): ``upload`` is the start, and
    ``upload_file`` runs both to seed. Uploaded files do not download: no content path."""

    name = "gemini"
    version = "v1beta"

    def upload(self, prefix: str, data: bytes, filename: str = "bench.bin") -> Call:
        body = json.dumps({"file": {"mime_type": "application/octet-stream",
                                    "size_bytes": len(data)}}).encode()
        return Call("POST", f"{prefix}/upload/{self.version}/files", {
            **AUTH, "content-type": "application/json", "x-goog-upload-protocol": "resumable",
            "x-goog-upload-command": "start"}, body)

    def upload_file(self, send: Any, prefix: str, data: bytes) -> tuple[int, Any]:
        """Both requests; ``send(call) -> (status, json, headers)``."""
        status, _, headers = send(self.upload(prefix, data))
        if status != 200 or "x-goog-upload-url" not in headers:
            return status, None
        status, body, _ = send(Call("POST", path_of(headers["x-goog-upload-url"]), {
            "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0"}, data))
        if isinstance(body, dict) and isinstance(body.get("file"), dict):
            return status, {"id": str(body["file"]["name"]).removeprefix("files/")}
        return status, body

    def get(self, prefix: str, file_id: str) -> str:
        return f"{prefix}/{self.version}/files/{quote(file_id, safe='')}"

    def list_first(self, prefix: str) -> str:
        return f"{prefix}/{self.version}/files?pageSize={PAGE}"

    def list_deep(self, prefix: str, cursor: str, position: int) -> str:
        from fakefiles.vendors.gemini import encode_token

        return f"{prefix}/{self.version}/files?pageSize={PAGE}&pageToken={encode_token(cursor)}"

    def content(self, prefix: str, file_id: str, fetch: Any) -> str | None:
        return None


PROFILES: dict[str, Profile] = {
    p.name: p for p in (Profile(), ImpalaProfile(), VlmRunProfile(), OrqProfile(),
                        AnthropicProfile(), GeminiProfile())
}


def id_like(template: str, rng: random.Random, created_at: float) -> str:
    """A fresh id in the same format as ``template`` (UUID4, ``file_`` + ULID, ``file-`` + …)."""
    try:
        uuid.UUID(template)
        return ids.uuid4(rng)
    except ValueError:
        pass
    cut = max(template.rfind("-"), template.rfind("_")) + 1
    prefix, tail = template[:cut], template[cut:]
    if len(tail) == 26 and all(c in ids.CROCKFORD for c in tail):
        return prefix + ids.ulid(created_at, rng)
    alphabet = ids.BASE62 if tail.isalnum() else string.ascii_letters + string.digits
    return prefix + "".join(rng.choices(alphabet, k=max(len(tail), 16)))
