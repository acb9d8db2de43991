"""Google Gemini Files API, declared (``/gemini``; the SDK appends ``/{v1,v1beta}/files…`` and
``/upload/{v}/files`` itself): what fixtures, settings and the pytest plugin need to know,
without the HTTP side (``gemini.py``). Wire note: ``docs/vendors/gemini.md``.

A file's ``purpose`` holds Gemini's ``source`` (``UPLOADED`` or ``GENERATED``). A fixture's
``gemini`` section is the usual ``{files, generate}`` plus, per file, ``source``, ``state``
(``ACTIVE``, ``PROCESSING`` or ``FAILED``) and ``display_name``, and for the whole section
``processing_seconds``: how long a new upload stays ``PROCESSING`` on the fake's clock.
"""

from __future__ import annotations

import importlib
import random
import string
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from ..store import FileRecord
from .info import FileEntry, FixtureModel, Generate, SectionBuilder, VendorFiles, VendorInfo

if TYPE_CHECKING:
    from ..pytest_plugin import FakeFiles

SOURCES = ("UPLOADED", "GENERATED")
STATES = ("PROCESSING", "ACTIVE", "FAILED")
TTL = 48 * 3600  # "Files are stored for 48 hours" (ai.google.dev/gemini-api/docs/files)
ID_ALPHABET = string.ascii_lowercase + string.digits
TEST_KEY = "AIza-fakefiles-test"


class GeminiFileEntry(FileEntry):
    source: Literal["UPLOADED", "GENERATED"] | None = None
    state: Literal["PROCESSING", "ACTIVE", "FAILED"] = "ACTIVE"
    display_name: str | None = Field(default=None, max_length=512)
    error_message: str | None = None  # FAILED files: the File's error.message


class GeminiFiles(FixtureModel):
    files: list[GeminiFileEntry] = Field(default_factory=list)
    generate: Generate | None = None
    # How long a new upload stays PROCESSING (fake clock); 0: ACTIVE at once.
    processing_seconds: float | None = Field(default=None, ge=0)


@dataclass(frozen=True)
class GeminiOptions:
    """A fixture section's vendor data (``Seed.vendor_data["gemini"]``)."""

    processing_seconds: float


class GeminiInfo(VendorInfo):
    name: ClassVar[str] = "gemini"
    title: ClassVar[str] = "Google Gemini"
    prefix: ClassVar[str] = "/gemini"
    http: ClassVar[str] = "fakefiles.vendors.gemini:Gemini"
    purposes: ClassVar[tuple[str, ...]] = SOURCES
    default_purpose: ClassVar[str] = "UPLOADED"
    generated_purposes: ClassVar[tuple[str, ...]] = ("UPLOADED",)
    fixture_section: ClassVar[type[BaseModel]] = GeminiFiles
    # Its section's processing_seconds is a setting, not things to count: no seed_kind.
    key_headers: ClassVar[tuple[str, ...]] = ("x-goog-api-key", "authorization")
    # ?key= is how REST users and browser links pass the key; upload_id is the bearer
    # credential of a resumable upload session (its bytes are sent without a key).
    key_params: ClassVar[tuple[str, ...]] = ("key", "upload_id")
    expose_headers: ClassVar[tuple[str, ...]] = (
        "x-goog-upload-url", "x-goog-upload-status", "x-goog-upload-chunk-granularity",
        "x-goog-upload-size-received",
    )

    def new_id(self, rng: random.Random, epoch_seconds: float) -> str:
        # [a-z0-9] only: the SDK cuts a file URI down to its id with the regex [a-z0-9]+
        # (_transformers.t_file_name), so a dash would truncate it.
        return "".join(rng.choice(ID_ALPHABET) for _ in range(12))

    def canonical_purpose(self, purpose: str) -> str | None:
        upper = purpose.upper()
        return upper if upper in SOURCES else None

    def purpose_problem(self, purpose: str) -> str:
        return f"{purpose!r} is not a Gemini file source ({', '.join(SOURCES)})"

    def file_id(self, subpath: str) -> str | None:
        """``/v1beta/files/<id>``, ``/v1/files/<id>:download``, ``/download/v1/files/<id>…``."""
        segments = subpath.strip("/").split("/")
        if segments and segments[0] == "download":
            segments = segments[1:]
        if len(segments) >= 3 and segments[1] == "files":
            return segments[2].split(":", 1)[0] or None
        return None

    def build_section(self, section: Any, build: SectionBuilder
                      ) -> tuple[list[FileRecord], list[Any]]:
        entries: list[GeminiFileEntry] = section.files
        plain = VendorFiles(
            files=[FileEntry(**entry.model_dump(include=set(FileEntry.model_fields)) | {
                "purpose": entry.source or entry.purpose}) for entry in entries],
            generate=section.generate,
        )
        records = build.files(self.name, plain, (self.name,), self.name, None)
        out = []
        for index, record in enumerate(records):
            entry = entries[index] if index < len(entries) else None
            extra: dict[str, Any] = {"state": entry.state if entry else "ACTIVE"}
            if entry is not None and entry.display_name is not None:
                extra["display_name"] = entry.display_name
            if entry is not None and entry.error_message is not None:
                extra["error_message"] = entry.error_message
            if entry is None or entry.created_at is None:
                # Made-up files are at most a day old: older ones would be past their 48 h.
                rng, _ = build.randomness((self.name, "created", index))
                record = replace(record, created_at=float(int(time.time()
                                                             - rng.uniform(0, 24 * 3600))))
            expires_at = record.expires_at
            if entry is None or entry.expires_at is None:
                expires_at = record.created_at + TTL
            out.append(replace(record, extra=extra, expires_at=expires_at))
        data = ([] if section.processing_seconds is None
                else [GeminiOptions(section.processing_seconds)])
        return out, data

    def generated_yaml(self, data: list[Any], files: list[str]) -> list[str]:
        return super().generated_yaml(data, [f.replace("purpose:", "source:") for f in files])

    # -- the pytest plugin's clients --------------------------------------------------------

    def client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """A real ``google.genai.Client`` on the fake (``api_version`` picks v1 or v1beta;
        the SDK's own default otherwise). In-process, both its httpx clients ride the app."""
        from google import genai

        options: Any = dict(kwargs.pop("http_options", None) or {})
        api_version = kwargs.pop("api_version", None)
        if api_version is not None:
            options["api_version"] = api_version
        options.setdefault("base_url", fakefiles.urls[self.name])
        if fakefiles.in_process:
            httpx_module = genai_httpx_module()
            options.setdefault("httpx_client",
                               httpx_module.Client(**fakefiles.httpx_kwargs(httpx_module)))
            options.setdefault("httpx_async_client", httpx_module.AsyncClient(
                **fakefiles.httpx_kwargs(httpx_module, is_async=True)))
        kwargs.setdefault("api_key", TEST_KEY)
        return genai.Client(http_options=options, **kwargs)

    def async_client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """The same client's async side, ``client.aio`` (``await aio.files.upload(...)``)."""
        return self.client(fakefiles, **kwargs).aio


def genai_httpx_module() -> Any:
    """google-genai 3.x runs on httpx2 (and falls back to httpx), 2.x on httpx."""
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return importlib.import_module("httpx")


INFO = GeminiInfo()
