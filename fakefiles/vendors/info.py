"""What a vendor declares: :class:`VendorInfo`, and the fixture section most vendors use.

Each vendor's ``<name>_info.py`` holds one ``INFO`` instance of a :class:`VendorInfo`
subclass. Everything here is declarative and imports no HTTP library: the fixtures layer, the
CLI and the settings read it without loading Starlette. The vendor's HTTP side (a
:class:`~fakefiles.vendors.base.Vendor` subclass) is named by ``http`` and imported only when
a :class:`~fakefiles.fake.Fake` is built.
"""

from __future__ import annotations

import importlib
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..mediatypes import is_media_type
from ..store import FileRecord, FileStore
from ..yamlnodes import Loc

if TYPE_CHECKING:
    from ..pytest_plugin import FakeFiles
    from .base import Vendor

RECENT = 90 * 24 * 3600  # made-up created_at values fall within the last 90 days
ID_EPOCH = 1_767_225_600  # 2026-01-01: ULIDs made up from a seed encode a fixed time
MAX_SIZE = 64 * 1024 * 1024  # largest made-up (``size:``) fixture file


# -- the fixture section every vendor without special ideas uses ------------------------------


class FixtureModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def loose_id(value: str | None) -> str | None:
    if value is not None and (not value or "/" in value or "\x00" in value):
        raise ValueError("an id must be non-empty and contain no '/' or NUL")
    return value


class FileEntry(FixtureModel):
    id: str | None = None
    filename: str = Field(min_length=1, max_length=1024)
    purpose: str | None = None
    content: str | None = None
    content_base64: str | None = None
    content_path: str | None = None
    size: int | None = Field(default=None, ge=0, le=MAX_SIZE)
    content_type: str | None = None
    created_at: datetime | None = None  # ISO-8601 string, YAML timestamp or epoch seconds
    expires_at: datetime | None = None

    _check_id = field_validator("id")(loose_id)

    @field_validator("content_type")
    @classmethod
    def _header_safe(cls, value: str | None) -> str | None:
        if value is not None and not is_media_type(value):  # downloads send it as a header
            raise ValueError("a content type must be printable ASCII such as 'text/plain', "
                             "with no line breaks")
        return value


class Generate(FixtureModel):
    count: int = Field(ge=0, le=10_000)
    purpose: str | None = None


class VendorFiles(FixtureModel):
    """``{files: [...], generate: {...}}``: a vendor's fixture section."""

    files: list[FileEntry] = Field(default_factory=list)
    generate: Generate | None = None


class SectionBuilder(Protocol):
    """What :mod:`fakefiles.fixtures` offers a vendor building its section."""

    def files(self, vendor: str, section: VendorFiles, loc: Loc, namespace: str,
              owner: str | None) -> list[FileRecord]:
        """The records of one ``{files, generate}`` block, stored under ``namespace``."""
        ...

    def randomness(self, loc: Loc) -> tuple[random.Random, Any]:
        """(a Random, the entry's Faker made on first use) seeded for the entry at ``loc``."""
        ...

    def fail(self, loc: Loc, message: str) -> Exception:
        """The FixtureError to raise for ``loc`` (file, line and field filled in)."""
        ...


# -- the declaration ------------------------------------------------------------------------


class VendorInfo:
    """One vendor, declared. Subclasses set the class attributes; the methods have defaults
    for a vendor whose files live in one namespace named after it."""

    name: ClassVar[str]  # store namespace, fixture section, ``vendor`` in faults and journal
    title: ClassVar[str]  # for people: "OpenAI"
    prefix: ClassVar[str]  # its mount: "/openai/v1"
    # "/v1" or "/v2": the bare prefix it may answer (Settings.v1 / v2, --v1 / --v2), or None.
    bare_prefix: ClassVar[str | None] = None
    sdk_appends: ClassVar[str] = ""  # what its SDK appends to its base URL itself ("/v2")
    sdk_url_param: ClassVar[str | None] = None  # the SDK's URL argument if not a base URL
    http: ClassVar[str]  # its HTTP side, "module:Class": "fakefiles.vendors.openai:OpenAI"
    purposes: ClassVar[tuple[str, ...]]  # what a fixture's file may have (canonical)
    default_purpose: ClassVar[str]  # a fixture file's purpose when it names none
    generated_purposes: ClassVar[tuple[str, ...]]  # what ``generate`` picks from
    fixture_section: ClassVar[type[BaseModel]] = VendorFiles  # its YAML section's schema
    # Vendor data besides files its section adds to a Seed (orq: "projects"), or None.
    seed_kind: ClassVar[str | None] = None
    key_headers: ClassVar[tuple[str, ...]] = ("authorization",)  # masked in the journal
    key_params: ClassVar[tuple[str, ...]] = ()  # query parameters holding a key (masked too)
    # Response headers carrying the request id (the SDK reads it) and headers a browser
    # page must be able to read (CORS expose), besides the ones every vendor has.
    id_headers: ClassVar[tuple[str, ...]] = ("x-request-id",)
    expose_headers: ClassVar[tuple[str, ...]] = ()
    # Words in /files/<word>/<id> paths (VLM Run's /files/hash/…) that are not file ids.
    file_path_words: ClassVar[frozenset[str]] = frozenset()

    def http_class(self) -> type[Vendor]:
        module, _, attribute = self.http.partition(":")
        vendor_class: type[Vendor] = getattr(importlib.import_module(module), attribute)
        return vendor_class

    def file_id(self, subpath: str) -> str | None:
        """The file (or upload) id a path under its prefix names, for fault rules that match
        on ``file_id``: ``/files/<id>…``, ``/uploads/<id>…``, ``/files/<word>/<id>``."""
        segments = subpath.strip("/").split("/")
        if len(segments) >= 2 and segments[0] in ("files", "uploads"):
            candidate = segments[1]
            if candidate in self.file_path_words and len(segments) >= 3:
                candidate = segments[2]
            return unquote(candidate)
        return None

    def sdk_base_url(self, origin: str, prefix: str) -> str:
        """Where to point its SDK when mounted at ``prefix``."""
        return origin + prefix.removesuffix(self.sdk_appends)

    # -- fixtures ---------------------------------------------------------------------------

    def new_id(self, rng: random.Random, epoch_seconds: float) -> str:
        """A made-up file id in the vendor's format."""
        raise NotImplementedError

    def canonical_purpose(self, purpose: str) -> str | None:
        """The purpose as stored, or None when the vendor does not accept it."""
        return purpose if purpose in self.purposes else None

    def purpose_problem(self, purpose: str) -> str:
        return f"{purpose!r} is not a purpose {self.name} accepts ({', '.join(self.purposes)})"

    def build_section(self, section: Any, build: SectionBuilder
                      ) -> tuple[list[FileRecord], list[Any]]:
        """(records, vendor data for the Seed) of its validated fixture section."""
        return build.files(self.name, section, (self.name,), self.name, None), []

    def granted_keys(self, section: Any) -> Loc | None:
        """Where its validated section gives API keys access (orq: a project's ``api_keys``),
        or None: fixtures sent to the control API may not, unless the operator allows it."""
        return None

    def generated_section(self, block: dict[str, Any], seed: int) -> dict[str, Any]:
        """The section ``fakefiles generate`` loads to make ``block``'s files."""
        return {"generate": block}

    def generated_yaml(self, data: list[Any], files: list[str]) -> list[str]:
        """The lines under ``<name>:`` that ``fakefiles generate`` prints (``files``: one
        flow mapping per file; ``data``: the vendor data the section made)."""
        return ["  files:" + ("" if files else " []"), *(f"    - {line}" for line in files)]

    # -- the running fake -------------------------------------------------------------------

    def state(self, store: FileStore) -> dict[str, Any]:
        """Its entry in the control API's ``GET /state``."""
        files, size = store.count(self.name)
        return {"files": files, "bytes": size}

    def client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """Its real SDK client on the fake (``FakeFiles.client(name)``)."""
        raise TypeError(f"fakefiles has no {self.title} SDK client")

    def async_client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        raise TypeError(f"fakefiles has no async {self.title} SDK client")


def sdk_client(fakefiles: FakeFiles, client_class: Any, httpx_module: Any, base_url: str,
               api_key: str, kwargs: dict[str, Any], *, is_async: bool = False) -> Any:
    """A client of a Stainless-generated SDK (openai, anthropic) for the plugin: in-process,
    on a transport built with the SDK's own httpx module (httpx or httpx2); a test key and no
    retries unless the test gives its own."""
    if fakefiles.in_process:
        client_type = httpx_module.AsyncClient if is_async else httpx_module.Client
        kwargs.setdefault("http_client",
                          client_type(**fakefiles.httpx_kwargs(httpx_module, is_async=is_async)))
    kwargs.setdefault("api_key", api_key)
    kwargs.setdefault("max_retries", 0)
    return client_class(base_url=base_url, **kwargs)
