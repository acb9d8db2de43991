"""Fixture files: YAML (or JSON) that seeds the fake with files, orq projects, faults and keys.

::

    seed: 1234                        # the same file gives the same bytes and ids every run
    openai:
      files:
        - {id: file-invoice2026, filename: invoice.pdf, purpose: assistants, size: 2048}
      generate: {count: 20, purpose: batch}
      uploads:                        # Uploads API sessions: pending, completed or cancelled
        - {id: upload_abc123, filename: t.jsonl, purpose: fine-tune, bytes: 18,
           parts: [{id: part_def456, content: "{}\\n"}]}
    orq:
      projects:
        - {project_id: proj_01J…, api_keys: [orq-key-a], files: […]}
    faults: [{vendor: openai, method: POST, path: /files, status: 500, times: 1}]
    api_keys: [sk-test]

A file's content is one of ``content``, ``content_base64``, ``content_path`` (relative to
the fixture file; refused in text loaded with ``content_paths=False``, as the control API
does) or ``size``; with none or ``size``, content fitting the extension is made up
(:mod:`fakefiles.samples`). A mistake raises :class:`FixtureError` with one line naming
the file, the line and the field; a file either loads whole or not at all.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import secrets
import threading
import time
import types
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, Field, ValidationError, create_model

from .blobs import blob_from_bytes
from .fake import Seed
from .faults import FaultSpec
from .madeup import MadeUp
from .samples import content_type_for, make_content, needs_words, plausible_filename
from .store import FileRecord
from .vendors.info import ID_EPOCH, RECENT, FileEntry, FixtureModel, VendorFiles
from .vendors.registry import VENDORS
from .yamlnodes import DuplicateKey, Loc, compose, field_path, line_of

if TYPE_CHECKING:  # imported when a fixture first makes something up (_faker), not before
    from faker import Faker


class FixtureError(Exception):
    """A fixture that cannot be loaded; the message is one line: ``file:line: field: why``.

    ``source``, ``line`` and ``field`` (``openai.files[2].purpose``) are also attributes, for
    callers that render errors their own way (the control API); each may be None.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(" ".join(message.splitlines()))
        self.source, self.line, self.field = source, line, field


class FixtureRefused(FixtureError):
    """A valid fixture asking for what its sender may not have: a ``content_path`` (the
    server's files) or keys, when loaded with ``content_paths=False`` or ``keys=False``."""


def _error(source: str, line: int | None, field: str | None, why: str,
           kind: type[FixtureError] = FixtureError) -> FixtureError:
    where = source + (f":{line}" if line is not None else "")
    return kind(f"{where}: {field + ': ' if field else ''}{why}",
                source=source, line=line, field=field)


# -- the format ------------------------------------------------------------------------------


# The document: ``seed``, one section per vendor (its declared schema), ``faults``, ``api_keys``.
FixtureDocument: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "FixtureDocument", __base__=FixtureModel,
    seed=(int | None, None),
    **{name: (info.fixture_section | None, None) for name, info in VENDORS.items()},
    faults=(list[FaultSpec], Field(default_factory=list)),
    api_keys=(list[str], Field(default_factory=list)),
)


# -- loading ---------------------------------------------------------------------------------


def load_fixture_file(path: str | Path, *, seed: int | None = None) -> Seed:
    """A fixture file as a Seed; ``seed`` is used when the file sets none."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        why = f"cannot read the file: {exc.strerror or exc}"
        raise _error(str(path), None, None, why) from None
    except UnicodeDecodeError as exc:
        raise _error(str(path), None, None, f"not UTF-8 text (byte {exc.start})") from None
    return load_fixture_text(text, source=str(path), base_dir=path.parent, seed=seed)


def load_fixture_text(
    text: str, source: str = "<fixtures>", base_dir: str | Path | None = None,
    *, seed: int | None = None, content_paths: bool = True, keys: bool = True,
) -> Seed:
    """YAML or JSON text as a Seed; relative ``content_path`` values resolve in ``base_dir``
    (the current directory when None).

    ``content_paths=False`` refuses ``content_path`` and ``keys=False`` refuses ``api_keys``
    (top level and orq projects') with :class:`FixtureRefused`: for text whose sender may
    neither read this machine's files nor grant access (the control API).
    """
    data, root = _parse(text, source)
    try:
        document: Any = FixtureDocument.model_validate({} if data is None else data)
    except ValidationError as exc:
        error = exc.errors()[0]
        more = len(exc.errors()) - 1
        message = _pydantic_message(error) + (f" (and {more} more)" if more else "")
        loc = tuple(error["loc"])
        raise _error(source, line_of(root, loc), field_path(loc), message) from None
    builder = _Builder(source, root, Path(base_dir) if base_dir is not None else None,
                       document.seed if document.seed is not None else seed, text,
                       content_paths)
    if not keys:
        builder.refuse_keys(document)
    with _FAKER_LOCK:
        built = builder.build(document)
        builder.made.save()
        return built


def _parse(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    try:
        return compose(text)
    except DuplicateKey as exc:
        raise _error(source, exc.line, field_path(exc.loc), "duplicate key") from None
    except RecursionError:
        raise _error(source, None, None, "nested too deeply") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        why = " ".join(f"{exc.context or ''} {exc.problem or ''}".split())
        raise _error(source, None if mark is None else mark.line + 1, None,
                     f"invalid YAML: {why}") from None
    except yaml.YAMLError as exc:
        raise _error(source, None, None, f"invalid YAML: {' '.join(str(exc).split())}") from None


def _pydantic_message(error: Any) -> str:
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = _fields_at(error["loc"][:-1])
        return "unknown key" + (f" (expected one of: {', '.join(allowed)})" if allowed else "")
    if kind == "missing":
        return "required, but missing"
    if kind == "model_type":
        allowed = _fields_at(error["loc"])
        got = type(error["input"]).__name__
        return f"expected a mapping (keys: {', '.join(allowed)}), got {got}"
    value = error.get("input")
    if isinstance(value, (str, int, float, bool)) or value is None:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return f"{message[:1].lower()}{message[1:]} (got {shown})"
    return message[:1].lower() + message[1:]


def _fields_at(loc: Loc) -> list[str]:
    """The keys the model at ``loc`` accepts, to suggest them for an unknown key."""
    current: Any = FixtureDocument
    for part in (p for p in loc if isinstance(p, str)):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
        while get_origin(current) in (Union, types.UnionType, list):
            current = next(a for a in get_args(current) if a is not type(None))
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


# Faker takes ~0.1 s to import and more to build, so it is made on first use (fixtures whose
# files all have content never need it) and one instance serves every load; it is re-seeded
# per file entry, under a lock, so loads on two threads cannot interleave its state.
_FAKER_LOCK = threading.Lock()
_FAKER: list[Faker] = []


def _faker() -> Faker:
    if not _FAKER:
        from faker import Faker

        _FAKER.append(Faker("en_US"))
    return _FAKER[0]


class _Randomness:
    """One entry's Faker, seeded from the entry's key, made when first used."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._faker: Faker | None = None

    @property
    def faker(self) -> Faker:
        if self._faker is None:
            self._faker = _faker()
            self._faker.seed_instance(self.key)
        return self._faker


class _Builder:
    """Turns a validated document into records; checks what needs the whole file."""

    def __init__(self, source: str, root: yaml.Node | None, base_dir: Path | None,
                 seed: int | None, text: str, content_paths: bool = True) -> None:
        self.source, self.root, self.base_dir = source, root, base_dir
        # With a seed, made-up data depends on it and the file's name (so two files with the
        # same seed do not make the same ids); without one it differs on every load, so the
        # same text can be loaded twice (control API, pytest seed()) without clashing ids.
        self.salt = f"{Path(source).name}:{seed}" if seed is not None else secrets.token_hex(8)
        # Faker's part (names, text) of a seeded file is the same every run: cached.
        self.made = MadeUp(self.salt if seed is not None else None, text)
        self.seeded = seed is not None
        self.now = time.time()
        self.ids: dict[str, str] = {}  # id -> the field that first used it
        self.content_paths = content_paths

    def fail(self, loc: Loc, message: str,
             kind: type[FixtureError] = FixtureError) -> FixtureError:
        return _error(self.source, line_of(self.root, loc), field_path(loc), message, kind)

    def refuse_keys(self, document: Any) -> None:
        why = ("fixtures sent over HTTP cannot add API keys (start fakefiles with "
               "--allow-fixture-keys to allow it)")
        if document.api_keys:
            raise self.fail(("api_keys",), why, FixtureRefused)
        for name, info in VENDORS.items():
            section = getattr(document, name)
            loc = None if section is None else info.granted_keys(section)
            if loc is not None:
                raise self.fail(loc, why, FixtureRefused)

    def randomness(self, loc: Loc) -> tuple[random.Random, _Randomness]:
        """A random source per entry, so editing one entry leaves the others' data alone, and
        its Faker (made and seeded only if the entry needs words)."""
        key = f"{self.salt}:{field_path(loc)}"
        return random.Random(key), _Randomness(key)

    def fault(self, spec: FaultSpec, index: int) -> FaultSpec:
        """A seeded file seeds each flaky rule too: the same file, the same fault pattern."""
        if not self.seeded or spec.seed is not None or spec.probability >= 1.0:
            return spec
        rng, _ = self.randomness(("faults", index))
        return spec.model_copy(update={"seed": rng.getrandbits(63)})

    def build(self, document: Any) -> Seed:
        seed = Seed(source=self.source, faults=[self.fault(spec, index) for index, spec
                                                in enumerate(document.faults)],
                    api_keys=list(document.api_keys))
        for name, info in VENDORS.items():
            section = getattr(document, name)
            if section is not None:
                records, data = info.build_section(section, self)
                seed.records += records
                if data:
                    seed.vendor_data.setdefault(name, []).extend(data)
        return seed

    def files(self, vendor: str, section: VendorFiles, loc: Loc,
              namespace: str, owner: str | None) -> list[FileRecord]:
        """The records of one ``{files, generate}`` block (SectionBuilder, vendors/info.py)."""
        records = [
            self.file(vendor, entry, (*loc, "files", index), namespace, owner)
            for index, entry in enumerate(section.files)
        ]
        if section.generate is not None:
            gen_loc = (*loc, "generate")
            purpose = None
            if section.generate.purpose is not None:
                purpose = self.purpose(vendor, section.generate.purpose, (*gen_loc, "purpose"))
            for index in range(section.generate.count):
                rng, faker = self.randomness((*gen_loc, index))
                chosen = purpose or rng.choice(VENDORS[vendor].generated_purposes)
                entry = FileEntry(filename=self.made_up_name((*gen_loc, index), chosen, faker),
                                  purpose=chosen)
                records.append(self.file(vendor, entry, (*gen_loc, index), namespace, owner,
                                         (rng, faker)))
        return records

    def made_up_name(self, loc: Loc, purpose: str, faker: _Randomness) -> str:
        # Drawn from its own source, so a cached name leaves the entry's other random draws
        # (id, date) where they were.
        return self.made.text(f"{field_path(loc)}:filename", lambda: plausible_filename(
            purpose, faker.faker, random.Random(f"{faker.key}:filename"),
        ))

    def file(self, vendor: str, entry: FileEntry, loc: Loc, namespace: str,
             owner: str | None, randomness: tuple[random.Random, _Randomness] | None = None,
             ) -> FileRecord:
        rng, faker = randomness or self.randomness(loc)
        purpose = self.purpose(vendor, entry.purpose or VENDORS[vendor].default_purpose,
                               (*loc, "purpose"))
        offset = rng.uniform(0, RECENT)  # drawn first, so ids do not shift with other fields
        created_at = (float(int(self.now - offset)) if entry.created_at is None
                      else _epoch(entry.created_at))
        file_id = entry.id
        while file_id is None or (entry.id is None and file_id in self.ids):
            file_id = VENDORS[vendor].new_id(rng, ID_EPOCH - offset if entry.created_at is None
                             else _epoch(entry.created_at))
        if file_id in self.ids:
            raise self.fail((*loc, "id"), f"duplicate id '{file_id}' "
                            f"(also at {self.ids[file_id]})")
        self.ids[file_id] = field_path(loc)
        return FileRecord(
            id=file_id, namespace=namespace, filename=entry.filename, purpose=purpose,
            created_at=created_at, blob=blob_from_bytes(self.content(entry, loc, purpose,
                                                                     rng, faker)),
            content_type=entry.content_type or content_type_for(entry.filename),
            expires_at=None if entry.expires_at is None else _epoch(entry.expires_at),
            owner=owner,
        )

    def purpose(self, vendor: str, purpose: str, loc: Loc) -> str:
        info = VENDORS[vendor]
        canonical = info.canonical_purpose(purpose)
        if canonical is None:
            raise self.fail(loc, info.purpose_problem(purpose))
        return canonical

    def content(self, entry: FileEntry, loc: Loc, purpose: str,
                rng: random.Random, faker: _Randomness) -> bytes:
        sources = [k for k in ("content", "content_base64", "content_path", "size")
                   if getattr(entry, k) is not None]
        if len(sources) > 1:
            raise self.fail((*loc, sources[1]), f"give one of content, content_base64, "
                            f"content_path or size, not both {sources[0]} and {sources[1]}")
        if entry.content is not None:
            return entry.content.encode("utf-8")
        if entry.content_base64 is not None:
            try:
                return base64.b64decode("".join(entry.content_base64.split()), validate=True)
            except (binascii.Error, ValueError):
                raise self.fail((*loc, "content_base64"), "not valid base64") from None
        if entry.content_path is not None:
            if not self.content_paths:
                raise self.fail((*loc, "content_path"), "fixtures sent over HTTP cannot read "
                                "the server's files; use content or content_base64",
                                FixtureRefused)
            path = Path(entry.content_path)
            if not path.is_absolute():
                path = (self.base_dir or Path.cwd()) / path
            try:
                return path.read_bytes()
            except OSError as exc:
                raise self.fail((*loc, "content_path"),
                                f"cannot read {path}: {exc.strerror or exc}") from None
        def make() -> bytes:
            return make_content(entry.filename, purpose, lambda: faker.faker, rng, entry.size)

        if not needs_words(entry.filename):  # random bytes or a PNG: cheap, and no Faker
            return make()
        return self.made.data(f"{field_path(loc)}:content", make)


def generate_fixture(vendor: str, count: int, seed: int, purpose: str | None = None) -> str:
    """A fixture (YAML text) of ``count`` made-up files with explicit ids, for editing.

    Dates are left out, so each load dates the files within the last 90 days and the text
    is the same for the same arguments.
    """
    info = VENDORS.get(vendor)
    if info is None:
        raise _error("<generate>", None, "vendor",
                     f"{vendor!r} is not one of {', '.join(VENDORS)}")
    if purpose is not None and info.canonical_purpose(purpose) is None:
        raise _error("<generate>", None, "purpose", info.purpose_problem(purpose))
    block = {"count": count, **({} if purpose is None else {"purpose": purpose})}
    document = {vendor: info.generated_section(block, seed)}
    loaded = load_fixture_text(yaml.safe_dump(document), source="<generate>", seed=seed)
    files = [
        "{" + ", ".join(f"{key}: {json.dumps(value)}" for key, value in (
            ("id", r.id), ("filename", r.filename), ("purpose", r.purpose), ("size", r.size),
        )) + "}"
        for r in loaded.records
    ]
    lines = [f"# fakefiles generate --vendor {vendor} --count {count} --seed {seed}"
             + (f" --purpose {purpose}" if purpose else ""), f"seed: {seed}", f"{vendor}:",
             *info.generated_yaml(loaded.vendor_data.get(vendor, []), files)]
    return "\n".join(lines) + "\n"


def _epoch(value: datetime) -> float:
    if value.tzinfo is None:  # a timestamp without a zone is UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()
