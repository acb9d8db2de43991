"""orq.ai, declared (``/orq/v2``, bare ``/v2``; its SDK appends ``/v2`` itself), with its one
idea the other vendors lack: **projects**. HTTP side: ``orq.py``.

A fixture's ``orq`` section lists projects, each with its API keys and files; a project is the
store namespace ``orq/{project_id}``, and a key sees only its projects' files.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from .. import ids
from ..store import FileRecord, FileStore
from ..yamlnodes import Loc, field_path
from .info import ID_EPOCH, RECENT, FixtureModel, SectionBuilder, VendorFiles, VendorInfo, loose_id

if TYPE_CHECKING:
    from ..pytest_plugin import FakeFiles

# The purposes orq-ai-sdk 4.17.13 accepts in a response. We follow the SDK, not seed 002:
# the seed's enum has FILE_PURPOSE_UNSPECIFIED (which the SDK rejects, so we never emit it)
# and lacks FILE_PURPOSE_CODE_INTERPRETER (which the SDK knows, so we accept and return it).
PURPOSES = (
    "FILE_PURPOSE_RETRIEVAL",
    "FILE_PURPOSE_KNOWLEDGE_DATASOURCE",
    "FILE_PURPOSE_BATCH",
    "FILE_PURPOSE_CODE_INTERPRETER",
)
DEFAULT_PURPOSE = "FILE_PURPOSE_RETRIEVAL"  # docs: "defaults to retrieval when omitted"
NAMESPACE_PREFIX = "orq/"


def canonical_purpose(raw: str) -> str | None:
    """``FILE_PURPOSE_*`` or its alias (``retrieval``…), any case; None if neither."""
    name = raw.strip().upper()
    for candidate in (name, "FILE_PURPOSE_" + name):
        if candidate in PURPOSES:
            return candidate
    return None


def namespace_for(project_id: str) -> str:
    return NAMESPACE_PREFIX + project_id


@dataclass
class OrqProject:
    """A project from a fixture: its id and the API keys that reach it."""

    project_id: str
    api_keys: list[str] = field(default_factory=list)


class OrqProjectEntry(VendorFiles):
    project_id: str | None = None
    api_keys: list[str] = Field(default_factory=list)

    _check_id = field_validator("project_id")(loose_id)


class OrqFiles(FixtureModel):
    projects: list[OrqProjectEntry] = Field(default_factory=list)


class OrqInfo(VendorInfo):
    name: ClassVar[str] = "orq"
    title: ClassVar[str] = "orq.ai"
    prefix: ClassVar[str] = "/orq/v2"
    bare_prefix: ClassVar[str | None] = "/v2"
    sdk_appends: ClassVar[str] = "/v2"
    sdk_url_param: ClassVar[str | None] = "server_url"
    http: ClassVar[str] = "fakefiles.vendors.orq:Orq"
    purposes: ClassVar[tuple[str, ...]] = PURPOSES
    default_purpose: ClassVar[str] = DEFAULT_PURPOSE
    generated_purposes: ClassVar[tuple[str, ...]] = PURPOSES
    fixture_section: ClassVar[type[BaseModel]] = OrqFiles
    seed_kind: ClassVar[str | None] = "projects"

    def new_id(self, rng: random.Random, epoch_seconds: float) -> str:
        return "file_" + ids.ulid(epoch_seconds, rng)

    def canonical_purpose(self, purpose: str) -> str | None:
        return canonical_purpose(purpose)

    def build_section(self, section: Any, build: SectionBuilder
                      ) -> tuple[list[FileRecord], list[Any]]:
        records: list[FileRecord] = []
        projects: list[OrqProject] = []
        seen: dict[str, Loc] = {}
        for index, entry in enumerate(section.projects):
            loc: Loc = ("orq", "projects", index)
            project_id = entry.project_id
            if project_id is None:
                rng, _ = build.randomness((*loc, "project_id"))
                project_id = "proj_" + ids.ulid(ID_EPOCH - rng.randrange(RECENT), rng)
            if project_id in seen:
                raise build.fail((*loc, "project_id"), f"duplicate project id '{project_id}' "
                                 f"(also at {field_path(seen[project_id])})")
            seen[project_id] = loc
            projects.append(OrqProject(project_id, list(entry.api_keys)))
            records += build.files(self.name, entry, loc, namespace_for(project_id), project_id)
        return records, projects

    def granted_keys(self, section: Any) -> Loc | None:
        for index, entry in enumerate(section.projects):
            if entry.api_keys:
                return ("orq", "projects", index, "api_keys")
        return None

    def generated_section(self, block: dict[str, Any], seed: int) -> dict[str, Any]:
        return {"projects": [{"api_keys": [f"orq-key-{seed}"], "generate": block}]}

    def generated_yaml(self, data: list[Any], files: list[str]) -> list[str]:
        project = data[0]
        return ["  projects:", f"    - project_id: {json.dumps(project.project_id)}",
                f"      api_keys: {json.dumps(project.api_keys)}",
                "      files:" + ("" if files else " []"),
                *(f"        - {line}" for line in files)]

    def state(self, store: FileStore) -> dict[str, Any]:
        """Files and bytes in all, and per project."""
        projects = {}
        for namespace in store.namespaces():
            if namespace.startswith(NAMESPACE_PREFIX):
                files, size = store.count(namespace)
                projects[namespace.removeprefix(NAMESPACE_PREFIX)] = {"files": files,
                                                                     "bytes": size}
        return {
            "files": sum(p["files"] for p in projects.values()),
            "bytes": sum(p["bytes"] for p in projects.values()),
            "projects": projects,
        }

    def client(self, fakefiles: FakeFiles, api_key: str = "orq-fakefiles-test",
               **kwargs: Any) -> Any:
        """A real ``orq_ai_sdk.Orq``; its project follows from ``api_key``."""
        import httpx
        from orq_ai_sdk import Orq

        if fakefiles.in_process:
            kwargs.setdefault("client", httpx.Client(**fakefiles.httpx_kwargs(httpx)))
        return Orq(api_key=api_key, server_url=fakefiles.urls[self.name], **kwargs)


INFO = OrqInfo()
