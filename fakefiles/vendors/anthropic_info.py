"""Anthropic, declared (``/anthropic/v1``; its SDK appends ``/v1`` itself, so its base URL is
``{origin}/anthropic``). HTTP side: ``anthropic.py``; wire note: ``docs/vendors/anthropic.md``.

Anthropic's files have no purpose. What they do have is ``downloadable``: only files the
service made itself (code execution, skills) may be downloaded, uploads may not. A fixture
says so per file with ``downloadable: true``; the record keeps it in ``extra``.
"""

from __future__ import annotations

import dataclasses
import random
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field

from ..store import FileRecord
from .info import (
    FileEntry,
    FixtureModel,
    Generate,
    SectionBuilder,
    VendorFiles,
    VendorInfo,
    sdk_client,
)

if TYPE_CHECKING:
    from ..pytest_plugin import FakeFiles

# Anthropic has no purposes; the store needs one, and this one never reaches the wire.
PURPOSE = "file"
# Ids as the docs show them: "file_011CNha8iCJcU1wXNR6q4V8w" (file_ + 011C + 20 base-58).
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
TEST_KEY = "sk-ant-fakefiles-test"


def new_file_id(rng: random.Random | None = None) -> str:
    return "file_011C" + "".join((rng or random.SystemRandom()).choices(BASE58, k=20))


class AnthropicFileEntry(FileEntry):
    downloadable: bool = False  # true: as if made by code execution or a skill


class AnthropicFiles(FixtureModel):
    """``{files: [...], generate: {...}}`` where a file may say ``downloadable: true``."""

    files: list[AnthropicFileEntry] = Field(default_factory=list)
    generate: Generate | None = None


class AnthropicInfo(VendorInfo):
    name: ClassVar[str] = "anthropic"
    title: ClassVar[str] = "Anthropic"
    prefix: ClassVar[str] = "/anthropic/v1"
    sdk_appends: ClassVar[str] = "/v1"
    http: ClassVar[str] = "fakefiles.vendors.anthropic:Anthropic"
    purposes: ClassVar[tuple[str, ...]] = (PURPOSE,)
    default_purpose: ClassVar[str] = PURPOSE
    generated_purposes: ClassVar[tuple[str, ...]] = (PURPOSE,)
    fixture_section: ClassVar[type[BaseModel]] = AnthropicFiles
    # 0.x sends its key as X-Api-Key, 2.x as Authorization: Bearer; the journal masks both.
    key_headers: ClassVar[tuple[str, ...]] = ("x-api-key", "authorization")
    # The SDK reads the request id from "request-id" (docs "Request ID"); x-request-id is the
    # one every fakefiles vendor sends.
    id_headers: ClassVar[tuple[str, ...]] = ("x-request-id", "request-id")

    def new_id(self, rng: random.Random, epoch_seconds: float) -> str:
        return new_file_id(rng)

    def build_section(self, section: Any, build: SectionBuilder
                      ) -> tuple[list[FileRecord], list[Any]]:
        plain = VendorFiles(files=[FileEntry(**entry.model_dump(exclude={"downloadable"}))
                                   for entry in section.files], generate=section.generate)
        records = build.files(self.name, plain, (self.name,), self.name, None)
        # build.files returns the listed files first, in order, then the generated ones.
        for index, entry in enumerate(section.files):
            if entry.downloadable:
                records[index] = dataclasses.replace(
                    records[index], extra={**records[index].extra, "downloadable": True})
        return records, []

    def client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """A real ``anthropic.Anthropic`` on this vendor's base URL (0.x on httpx, 2.x on
        httpx2: the transport is built on whichever the SDK imports)."""
        import anthropic

        return sdk_client(fakefiles, anthropic.Anthropic, anthropic_httpx_module(),
                          fakefiles.urls[self.name], TEST_KEY, kwargs)

    def async_client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """A real ``anthropic.AsyncAnthropic``; in-process on the plugin's async transport."""
        import anthropic

        return sdk_client(fakefiles, anthropic.AsyncAnthropic, anthropic_httpx_module(),
                          fakefiles.urls[self.name], TEST_KEY, kwargs, is_async=True)


def anthropic_httpx_module() -> Any:
    """anthropic 0.x/1.x are built on httpx, 2.x on httpx2: use whichever this one imports."""
    from anthropic import _base_client

    return getattr(_base_client, "httpx2", None) or getattr(_base_client, "httpx")  # noqa: B009


INFO = AnthropicInfo()
