"""OpenAI, declared (``/openai/v1``, bare ``/v1``): what fixtures, settings and the pytest
plugin need to know, without the HTTP side (``openai.py``)."""

from __future__ import annotations

import base64
import binascii
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator

from .. import ids
from ..blobs import blob_from_bytes
from ..mediatypes import guess_content_type
from ..store import FileRecord
from ..yamlnodes import Loc
from .info import FixtureModel, SectionBuilder, VendorFiles, VendorInfo, loose_id, sdk_client

if TYPE_CHECKING:
    from ..pytest_plugin import FakeFiles

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
# Fixtures may hold what a vendor's system writes too (outputs, results), not only uploads.
FIXTURE_PURPOSES = (*UPLOAD_PURPOSES, "assistants_output", "batch_output", "fine-tune-results")
TEST_KEY = "sk-fakefiles-test"
UPLOAD_TTL = 3600  # an Upload expires an hour after it is created


# -- fixtures: files, and Uploads API sessions ------------------------------------------------


class PartEntry(FixtureModel):
    id: str | None = None
    content: str | None = None
    content_base64: str | None = None

    _check_id = field_validator("id")(loose_id)


class UploadEntry(FixtureModel):
    """An Upload as its API left it: ``pending`` (parts added, not completed), ``completed``
    (its file is stored too, under ``file_id``) or ``cancelled``. OpenAI's own SDK tests
    address uploads and parts by fixed ids (``upload_abc123``)."""

    id: str | None = None
    filename: str = Field(min_length=1, max_length=1024)
    purpose: str = "assistants"
    mime_type: str | None = None
    bytes: int | None = Field(default=None, ge=1)
    status: Literal["pending", "completed", "cancelled"] = "pending"
    parts: list[PartEntry] = Field(default_factory=list)
    file_id: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None

    _check_id = field_validator("id", "file_id")(loose_id)


class OpenAIFiles(VendorFiles):
    uploads: list[UploadEntry] = Field(default_factory=list)


@dataclass
class SeededUpload:
    """A fixture's Upload, as ``OpenAI.load`` restores it on every reset."""

    id: str
    filename: str
    purpose: str
    size: int  # the Upload's declared ``bytes``
    mime_type: str
    created_at: float
    expires_at: float
    status: str
    parts: list[tuple[str, bytes]]  # (part id, bytes) of a pending upload
    file_id: str | None


class OpenAIInfo(VendorInfo):
    name: ClassVar[str] = "openai"
    title: ClassVar[str] = "OpenAI"
    prefix: ClassVar[str] = "/openai/v1"
    bare_prefix: ClassVar[str | None] = "/v1"
    http: ClassVar[str] = "fakefiles.vendors.openai:OpenAI"
    purposes: ClassVar[tuple[str, ...]] = FIXTURE_PURPOSES
    default_purpose: ClassVar[str] = "assistants"
    generated_purposes: ClassVar[tuple[str, ...]] = UPLOAD_PURPOSES
    fixture_section: ClassVar[type[FixtureModel]] = OpenAIFiles
    seed_kind: ClassVar[str | None] = "uploads"

    def build_section(self, section: Any, build: SectionBuilder
                      ) -> tuple[list[FileRecord], list[Any]]:
        records = build.files(self.name, section, (self.name,), self.name, None)
        uploads: list[SeededUpload] = []
        seen: set[str] = set()
        for index, entry in enumerate(getattr(section, "uploads", [])):
            loc: Loc = (self.name, "uploads", index)
            upload, made = self.seeded_upload(entry, loc, build, seen)
            uploads.append(upload)
            records += made
        return records, uploads

    def seeded_upload(self, entry: UploadEntry, loc: Loc, build: SectionBuilder,
                      seen: set[str]) -> tuple[SeededUpload, list[FileRecord]]:
        """One Upload, and the file it made when completed."""
        rng, _ = build.randomness(loc)

        def fresh(candidate: str, where: Loc) -> str:
            if candidate in seen:
                raise build.fail(where, f"duplicate id '{candidate}'")
            seen.add(candidate)
            return candidate

        purpose = self.canonical_purpose(entry.purpose)
        if purpose is None:
            raise build.fail((*loc, "purpose"), self.purpose_problem(entry.purpose))
        upload_id = fresh(entry.id or ids.openai_style("upload_", rng), (*loc, "id"))
        parts = []
        for index, part in enumerate(entry.parts):
            part_loc = (*loc, "parts", index)
            part_id = fresh(part.id or ids.openai_style("part_", rng), (*part_loc, "id"))
            parts.append((part_id, part_bytes(part, part_loc, build)))
        total = sum(len(data) for _, data in parts)
        size = entry.bytes if entry.bytes is not None else total
        if entry.status == "completed" and size != total:
            raise build.fail((*loc, "bytes"), f"a completed upload's parts add up to its "
                             f"bytes: {total} != {size}")
        if size < 1:
            raise build.fail((*loc, "bytes"), "give bytes, or parts with content")
        created_at = time.time() if entry.created_at is None else entry.created_at.timestamp()
        expires_at = (created_at + UPLOAD_TTL if entry.expires_at is None
                      else entry.expires_at.timestamp())
        mime_type = entry.mime_type or guess_content_type(entry.filename)
        file_id = None
        made: list[FileRecord] = []
        if entry.status == "completed":
            file_id = fresh(entry.file_id or ids.openai_style("file-", rng), (*loc, "file_id"))
            made.append(FileRecord(
                id=file_id, namespace=self.name, filename=entry.filename, purpose=purpose,
                created_at=created_at, blob=blob_from_bytes(b"".join(d for _, d in parts)),
                content_type=mime_type,
            ))
        upload = SeededUpload(
            id=upload_id, filename=entry.filename, purpose=purpose, size=size,
            mime_type=mime_type, created_at=created_at, expires_at=expires_at,
            status=entry.status, parts=parts if entry.status == "pending" else [],
            file_id=file_id,
        )
        return upload, made

    def new_id(self, rng: random.Random, epoch_seconds: float) -> str:
        return ids.openai_style("file-", rng)

    def client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """A real ``openai.OpenAI`` on this vendor's base URL."""
        import openai

        from ..pytest_plugin import openai_httpx_module

        return sdk_client(fakefiles, openai.OpenAI, openai_httpx_module(),
                          fakefiles.urls[self.name], TEST_KEY, kwargs)

    def async_client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """A real ``openai.AsyncOpenAI`` on this vendor's base URL."""
        import openai

        from ..pytest_plugin import openai_httpx_module

        return sdk_client(fakefiles, openai.AsyncOpenAI, openai_httpx_module(),
                          fakefiles.urls[self.name], TEST_KEY, kwargs, is_async=True)


INFO = OpenAIInfo()


def part_bytes(part: PartEntry, loc: Loc, build: SectionBuilder) -> bytes:
    if part.content is not None and part.content_base64 is not None:
        raise build.fail((*loc, "content_base64"), "give content or content_base64, not both")
    if part.content_base64 is not None:
        try:
            return base64.b64decode("".join(part.content_base64.split()), validate=True)
        except (binascii.Error, ValueError):
            raise build.fail((*loc, "content_base64"), "not valid base64") from None
    return (part.content or "").encode("utf-8")
