"""A raw-HTTP client for the four vendors' file calls, for the soak and kill -9 tests.

Each uploaded file names its own size and sha256 (``{tag}-{size}-{sha256}.bin``), so any
listing can be checked against what was really written, whoever uploaded it.
"""

from __future__ import annotations

import base64
import hashlib
import random
from typing import Any

import httpx

VENDORS = ("openai", "impala", "vlmrun", "orq")
PREFIX = {"openai": "/openai/v1", "impala": "/impala/v1", "vlmrun": "/vlmrun/v1",
          "orq": "/orq/v2"}


class UnexpectedResponse(AssertionError):
    pass


def content(tag: str, size: int, rng: random.Random) -> tuple[str, bytes]:
    """Unique bytes (VLM Run dedups by content) and a filename naming their size and hash."""
    head = f"{tag}\n".encode()  # the tag is unique, so the bytes are (size is at least this)
    body = head + rng.randbytes(max(0, size - len(head)))
    return f"{tag}-{len(body)}-{hashlib.sha256(body).hexdigest()}.bin", body


def declared(filename: str) -> tuple[int, str]:
    """(size, sha256) that :func:`content` put in a filename."""
    stem = filename.removesuffix(".bin")
    _, size, sha = stem.rsplit("-", 2)
    return int(size), sha


class FilesClient:
    """One connection pool; ``orq_key`` picks the orq project."""

    def __init__(self, base_url: str, key: str = "sk-test-0123456789abcdef",
                 orq_key: str = "orq-key", timeout: float = 10.0) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout)
        self.key, self.orq_key = key, orq_key

    def close(self) -> None:
        self.http.close()

    def request(self, vendor: str, method: str, path: str, ok: tuple[int, ...] = (200,),
                **kwargs: Any) -> httpx.Response:
        key = self.orq_key if vendor == "orq" else self.key
        response = self.http.request(method, PREFIX[vendor] + path,
                                     headers={"authorization": f"Bearer {key}"}, **kwargs)
        if response.status_code not in ok:
            raise UnexpectedResponse(f"{method} {vendor}{path}: {response.status_code} "
                                     f"{response.text[:300]}")
        return response

    def upload(self, vendor: str, filename: str, data: bytes) -> str:
        if vendor == "orq":
            body = {"filename": filename, "content": base64.b64encode(data).decode()}
            return str(self.request(vendor, "POST", "/files", json=body).json()["file"]["file_id"])
        # vision: a purpose OpenAI lets its owner download (assistants files it does not)
        form = {} if vendor == "vlmrun" else {"purpose": "vision"}
        ok = (201,) if vendor == "vlmrun" else (200,)
        response = self.request(vendor, "POST", "/files", ok=ok, data=form,
                                files={"file": (filename, data, "application/octet-stream")})
        return str(response.json()["id"])

    def retrieve(self, vendor: str, file_id: str) -> dict[str, Any] | None:
        """(filename, size) fields normalised, or None for a 404."""
        response = self.request(vendor, "GET", f"/files/{file_id}", ok=(200, 404))
        if response.status_code == 404:
            return None
        body = response.json()
        return normalised(vendor, body["file"] if vendor == "orq" else body)

    def download(self, vendor: str, file_id: str) -> bytes | None:
        """The file's bytes (through the signed link for VLM Run and orq), None for a 404."""
        if vendor in ("openai", "impala"):
            response = self.request(vendor, "GET", f"/files/{file_id}/content", ok=(200, 404))
        else:
            path = f"/files/{file_id}/content" if vendor == "orq" else f"/files/{file_id}"
            meta = self.request(vendor, "GET", path, ok=(200, 404))
            if meta.status_code == 404:
                return None
            url = meta.json()["download_url" if vendor == "orq" else "public_url"]
            response = self.http.get(url)
            if response.status_code not in (200, 404):
                raise UnexpectedResponse(f"GET {url}: {response.status_code} {response.text}")
        return None if response.status_code == 404 else response.content

    def delete(self, vendor: str, file_id: str) -> bool:
        """True when deleted now, False for a 404."""
        response = self.request(vendor, "DELETE", f"/files/{file_id}", ok=(200, 404))
        return response.status_code == 200

    def list_all(self, vendor: str) -> list[dict[str, Any]]:
        """Every file, page by page (newest first)."""
        if vendor in ("openai", "impala"):
            body = self.request(vendor, "GET", "/files", params={"limit": 10000}).json()
            assert not body["has_more"]
            return [normalised(vendor, item) for item in body["data"]]
        items: list[dict[str, Any]] = []
        while True:
            if vendor == "vlmrun":
                page = self.request(vendor, "GET", "/files",
                                    params={"skip": len(items), "limit": 1000}).json()
                items += [normalised(vendor, item) for item in page]
                if len(page) < 1000:
                    return items
            else:
                params: dict[str, Any] = {"limit": 200}
                if items:
                    params["starting_after"] = items[-1]["id"]
                body = self.request(vendor, "GET", "/files", params=params).json()
                items += [normalised(vendor, item) for item in body["data"]]
                if not body["has_more"]:
                    return items


def normalised(vendor: str, item: dict[str, Any]) -> dict[str, Any]:
    if vendor == "orq":
        return {"id": item["file_id"], "filename": item["file_name"],
                "size": int(item["bytes"]), "project_id": item["project_id"]}
    return {"id": item["id"], "filename": item["filename"], "size": item["bytes"]}
