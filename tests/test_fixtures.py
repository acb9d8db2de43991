"""Fixtures: validation messages that name file, line and field; all-or-nothing loading;
generated content valid for its type and agreeing with its metadata; reproducibility; and the
default set visible through every vendor's list route."""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import openai
import pytest

from fakefiles import Fake
from fakefiles.fixtures import (
    FixtureError,
    generate_fixture,
    load_fixture_file,
    load_fixture_text,
)
from fakefiles.store import DuplicateId, FileRecord

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "fixtures" / "default.yaml"
OPENAI_ID = re.compile(r"^file-[0-9A-Za-z]{24}$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ULID = "[0-9A-HJKMNP-TV-Z]{26}"


def error_for(tmp_path: Path, text: str) -> FixtureError:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(FixtureError) as caught:
        load_fixture_file(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:")
    return caught.value


# -- validation messages ---------------------------------------------------------------------

BAD = [
    pytest.param(
        "openai:\n  files:\n    - filename: a.txt\n      colour: red\n",
        4, "openai.files[0].colour", "unknown key (expected one of: id, filename, purpose,",
        id="unknown-key"),
    pytest.param(
        "seed: 1\nimpala:\n  file: []\n", 3, "impala.file",
        "unknown key (expected one of: files, generate)", id="unknown-section-key"),
    pytest.param(
        "vlmrun:\n  files:\n    - filename: 12\n", 3, "vlmrun.files[0].filename",
        "input should be a valid string (got 12)", id="wrong-type"),
    pytest.param(
        "openai:\n  generate: {count: many}\n", 2, "openai.generate.count",
        "input should be a valid integer, unable to parse string as an integer (got 'many')",
        id="wrong-type-count"),
    pytest.param(
        "openai:\n  files:\n    - {filename: a.txt, created_at: yesterday}\n", 3,
        "openai.files[0].created_at", "input should be a valid datetime", id="bad-timestamp"),
    pytest.param(
        "openai:\n  files:\n    - {filename: a.txt}\n    - {filename: b.txt, purpose: evals2}\n",
        4, "openai.files[1].purpose", "'evals2' is not a purpose openai accepts (assistants, "
        "batch, fine-tune, vision, user_data, evals, assistants_output, batch_output, "
        "fine-tune-results)", id="bad-purpose-openai"),
    pytest.param(
        "impala:\n  files:\n    - {filename: a.jsonl, purpose: evals}\n", 3,
        "impala.files[0].purpose", "'evals' is not a purpose impala accepts (assistants, "
        "assistants_output, batch, batch_output, fine-tune, fine-tune-results, vision, "
        "user_data)", id="bad-purpose-impala"),
    pytest.param(
        "vlmrun:\n  files:\n    - {filename: a.txt, purpose: user_data}\n", 3,
        "vlmrun.files[0].purpose", "'user_data' is not a purpose vlmrun accepts (fine-tune, "
        "assistants, assistants_output, batch, batch_output, vision, datasets)",
        id="bad-purpose-vlmrun"),
    pytest.param(
        "orq:\n  projects:\n    - files:\n        - {filename: a.txt,\n"
        "           purpose: FILE_PURPOSE_UNSPECIFIED}\n", 5,
        "orq.projects[0].files[0].purpose", "'FILE_PURPOSE_UNSPECIFIED' is not a purpose orq "
        "accepts (FILE_PURPOSE_RETRIEVAL, FILE_PURPOSE_KNOWLEDGE_DATASOURCE, "
        "FILE_PURPOSE_BATCH, FILE_PURPOSE_CODE_INTERPRETER)", id="bad-purpose-orq"),
    pytest.param(
        "openai:\n  generate: {count: 2, purpose: nope}\n", 2, "openai.generate.purpose",
        "'nope' is not a purpose openai accepts", id="bad-purpose-generate"),
    pytest.param(
        "openai:\n  files:\n    - {id: file-x, filename: a.txt}\n"
        "    - {id: file-x, filename: b.txt}\n", 4, "openai.files[1].id",
        "duplicate id 'file-x' (also at openai.files[0])", id="duplicate-id"),
    pytest.param(
        "openai:\n  files:\n    - {id: shared, filename: a.txt}\nvlmrun:\n  files:\n"
        "    - filename: b.txt\n      id: shared\n", 7, "vlmrun.files[0].id",
        "duplicate id 'shared' (also at openai.files[0])", id="duplicate-id-across-vendors"),
    pytest.param(
        "orq:\n  projects:\n    - project_id: proj_a\n    - project_id: proj_a\n", 4,
        "orq.projects[1].project_id", "duplicate project id 'proj_a' (also at orq.projects[0])",
        id="duplicate-project"),
    pytest.param(
        "openai:\n  files:\n    - filename: a.txt\n      content_path: missing.txt\n", 4,
        "openai.files[0].content_path", "cannot read ", id="missing-content-path"),
    pytest.param(
        "openai:\n  files:\n    - filename: a.txt\n      content: hi\n      size: 10\n", 5,
        "openai.files[0].size", "give one of content, content_base64, content_path or size, "
        "not both content and size", id="two-content-sources"),
    pytest.param(
        "openai:\n  files:\n    - {filename: a.txt, content_base64: '!!!'}\n", 3,
        "openai.files[0].content_base64", "not valid base64", id="bad-base64"),
    pytest.param(
        "openai:\n  files:\n    - {id: a/b, filename: a.txt}\n", 3, "openai.files[0].id",
        "an id must be non-empty and contain no '/' or NUL", id="bad-id"),
    pytest.param(
        "openai:\n  files:\n    - {purpose: batch}\n", 3, "openai.files[0].filename",
        "required, but missing", id="missing-field"),
    pytest.param(
        "openai:\n  files:\n    - filename: a\n      filename: b\n", 4,
        "openai.files[0].filename", "duplicate key", id="duplicate-key"),
    pytest.param(
        "api_keys: [k]\nfaults:\n  - {vendor: openai}\n", 3, "faults[0]",
        "a fault needs at least one of status, reset or delay_ms", id="bad-fault"),
    pytest.param(
        "faults:\n  - {vendor: azure, status: 500}\n", 2, "faults[0].vendor",
        "input should be 'openai', 'impala', 'vlmrun', 'orq', 'anthropic' or 'gemini' "
        "(got 'azure')",
        id="bad-fault-vendor"),
    pytest.param("- a\n- b\n", 1, "(top level)", "expected a mapping (keys: seed, openai,",
                 id="not-a-mapping"),
]


@pytest.mark.parametrize(("text", "line", "field", "message"), BAD)
def test_each_mistake_names_file_line_and_field(tmp_path, text, line, field, message):
    err = error_for(tmp_path, text)
    assert str(err).startswith(f"{tmp_path / 'x.yaml'}:{line}: {field}: {message}")
    assert (err.source, err.line, err.field) == (str(tmp_path / "x.yaml"), line, field)


def test_bad_yaml_syntax_names_the_line(tmp_path):
    err = error_for(tmp_path, "seed: 1\nopenai:\n  files: [\n    - filename\n")
    assert str(err) == (f"{tmp_path / 'x.yaml'}:4: invalid YAML: while parsing a flow node "
                        "expected the node content, but found '-'")


def test_several_mistakes_report_the_first_and_count_the_rest(tmp_path):
    err = error_for(tmp_path, "openai:\n  files:\n    - {filename: 1, size: big, x: 2}\n")
    assert str(err).endswith("openai.files[0].filename: input should be a valid string "
                             "(got 1) (and 2 more)")


def test_unreadable_file_and_non_utf8(tmp_path):
    with pytest.raises(FixtureError, match=r"nope\.yaml: cannot read the file: No such file"):
        load_fixture_file(tmp_path / "nope.yaml")
    (tmp_path / "latin.yaml").write_bytes(b"openai: {files: [{filename: caf\xe9.txt}]}\n")
    with pytest.raises(FixtureError, match=r"latin\.yaml: not UTF-8 text \(byte 31\)"):
        load_fixture_file(tmp_path / "latin.yaml")


def test_json_text_with_tabs_is_accepted_and_located():
    text = json.dumps({"impala": {"files": [{"filename": "a.txt", "purpose": "bogus"}]}},
                      indent="\t")
    with pytest.raises(FixtureError) as caught:
        load_fixture_text(text, source="posted.json")
    assert str(caught.value).startswith("posted.json:6: impala.files[0].purpose: 'bogus'")
    ok = json.dumps({"impala": {"files": [{"filename": "a.txt", "content": "hi"}]}}, indent="\t")
    assert load_fixture_text(ok).records[0].blob.read() == b"hi"


def test_alias_bombs_and_deep_nesting_are_refused_quickly():
    pairs = zip("abcdefgh", "bcdefghi", strict=True)
    bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in pairs
    )
    with pytest.raises(FixtureError, match=r"^<fixtures>:1: a: unknown key"):
        load_fixture_text(bomb)
    with pytest.raises(FixtureError, match=r"^<fixtures>: nested too deeply$"):
        load_fixture_text("a: " + "[" * 5000 + "]" * 5000)


# -- all or nothing --------------------------------------------------------------------------


def test_nothing_is_half_loaded(fake):
    fake.load(load_fixture_text("openai: {files: [{id: file-keep, filename: k.txt, "
                                "content: kept}]}", source="first.yaml"))
    before = sorted((r.namespace, r.id, r.sha256) for r in fake.store.records())
    bad = "openai:\n  files:\n    - {filename: ok.txt}\n    - {filename: b.txt, purpose: x}\n"
    with pytest.raises(FixtureError):
        fake.load(load_fixture_text(bad))
    clash = load_fixture_text("impala: {files: [{filename: new.txt}]}\n"
                              "openai: {files: [{id: file-keep, filename: again.txt}]}")
    with pytest.raises(DuplicateId):
        fake.load(clash)
    assert sorted((r.namespace, r.id, r.sha256) for r in fake.store.records()) == before
    fake.reset()  # a refused seed is not re-applied by reset either
    assert sorted((r.namespace, r.id, r.sha256) for r in fake.store.records()) == before


# -- what gets made --------------------------------------------------------------------------


def check_pdf(data: bytes) -> None:
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    xref_at = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[xref_at:].startswith(b"xref\n0 6\n")
    entries = data[xref_at:].split(b"\n")[3:8]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj\n" % number)
    match = re.search(rb"/Length (\d+) >>\nstream\n", data)
    assert match is not None
    length = int(match.group(1))
    stream_at = data.index(b"stream\n") + len(b"stream\n")
    assert data[stream_at + length:].startswith(b"\nendstream")


def check_png(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    at, chunks, idat = 8, [], b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC on {kind!r}"
        chunks.append(kind)
        idat += body if kind == b"IDAT" else b""
        at += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and at == len(data)
    width, height = struct.unpack(">II", data[16:24])
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    return width, height


def check_type(record: FileRecord) -> None:
    data = record.blob.read()
    name = record.filename
    if name.endswith(".pdf"):
        check_pdf(data)
    elif name.endswith(".png"):
        check_png(data)
    elif name.endswith(".jsonl"):
        rows = [json.loads(line) for line in data.decode().splitlines()]
        assert rows and all(isinstance(row, dict) for row in rows)
    elif name.endswith(".json"):
        assert isinstance(json.loads(data), dict)
    else:
        assert data.decode("utf-8").strip()


def check_metadata(record: FileRecord) -> None:
    data = record.blob.read()
    assert record.size == len(data)
    assert record.md5 == hashlib.md5(data).hexdigest()
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_generated_content_is_valid_and_agrees_with_its_metadata():
    text = "seed: 5\n" + "".join(
        f"{vendor}:\n  generate: {{count: 25}}\n" for vendor in ("openai", "impala", "vlmrun")
    ) + "orq: {projects: [{generate: {count: 25}}]}\n"
    records = load_fixture_text(text, source="gen.yaml").records
    assert len(records) == 100
    kinds = {r.filename.rsplit(".", 1)[1] for r in records}
    assert {"pdf", "png", "jsonl", "csv"} <= kinds
    for record in records:
        check_metadata(record)
        check_type(record)
        assert record.content_type != "application/octet-stream"


@pytest.mark.parametrize("size", [600, 777, 1000, 4096, 20_000])
@pytest.mark.parametrize("name", ["a.pdf", "b.png", "c.jsonl", "d.json", "e.csv", "f.md",
                                  "g.txt"])
def test_size_pads_to_exactly_that_many_bytes_and_stays_valid(name, size):
    text = f"seed: 3\nvlmrun: {{files: [{{filename: {name}, purpose: batch, size: {size}}}]}}"
    (record,) = load_fixture_text(text).records
    assert record.size == size
    check_metadata(record)
    check_type(record)


def test_sizes_below_the_smallest_valid_file_are_still_exact():
    text = "openai: {files: [{filename: a.pdf, size: 10}, {filename: b.png, size: 0}]}"
    assert [r.size for r in load_fixture_text(text).records] == [10, 0]


def test_content_sources(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.md").write_bytes(b"# notes\n")
    (tmp_path / "f.yaml").write_text(
        "openai:\n  files:\n"
        "    - {filename: a.txt, content: \"h\\u00e9\"}\n"
        "    - {filename: b.bin, content_base64: \"AAEC\\n/w==\"}\n"
        "    - {filename: c.md, content_path: data/notes.md}\n"
    )
    records = load_fixture_file(tmp_path / "f.yaml").records
    assert [r.blob.read() for r in records] == ["hé".encode(), b"\x00\x01\x02\xff", b"# notes\n"]
    assert [r.content_type for r in records] == [
        "text/plain", "application/octet-stream", "text/markdown"
    ]


def test_timestamps_in_every_accepted_form():
    text = """
openai:
  files:
    - {filename: a.txt, created_at: 2026-01-01T00:00:00Z, expires_at: 2026-01-02T00:00:00Z}
    - {filename: b.txt, created_at: "2026-01-01T01:00:00+01:00"}
    - {filename: c.txt, created_at: 1767225600}
    - {filename: d.txt, created_at: 2026-01-01}
    - {filename: e.txt, created_at: "2026-01-01T00:00:00"}
"""
    records = load_fixture_text(text).records
    assert {r.created_at for r in records} == {1_767_225_600.0}
    assert records[0].expires_at == 1_767_225_600.0 + 86_400
    assert all(r.expires_at is None for r in records[1:])


def test_ids_purposes_and_projects_in_each_vendors_format():
    text = """
seed: 9
openai: {files: [{filename: a.txt}]}
impala: {files: [{filename: a.txt}]}
vlmrun: {files: [{filename: a.txt}]}
orq:
  projects:
    - api_keys: [k1]
      files: [{filename: a.txt, purpose: code_interpreter}, {filename: b.txt, purpose: Batch}]
"""
    seed = load_fixture_text(text)
    by_ns = {r.namespace: r for r in seed.records}
    assert OPENAI_ID.match(by_ns["openai"].id) and OPENAI_ID.match(by_ns["impala"].id)
    assert UUID4.match(by_ns["vlmrun"].id)
    (project,) = seed.vendor_data["orq"]
    assert re.fullmatch(f"proj_{ULID}", project.project_id) and project.api_keys == ["k1"]
    orq = [r for r in seed.records if r.namespace == f"orq/{project.project_id}"]
    assert [r.purpose for r in orq] == ["FILE_PURPOSE_CODE_INTERPRETER", "FILE_PURPOSE_BATCH"]
    assert all(re.fullmatch(f"file_{ULID}", r.id) and r.owner == project.project_id
               for r in orq)
    assert [r.purpose for r in seed.records[:3]] == ["assistants"] * 3  # each vendor's default


def snapshot(records: list[FileRecord]) -> list[tuple[Any, ...]]:
    return [(r.namespace, r.id, r.filename, r.purpose, r.content_type, r.sha256, r.owner)
            for r in records]


def test_same_file_and_seed_give_identical_bytes_and_ids(tmp_path):
    first, second = load_fixture_file(DEFAULT), load_fixture_file(DEFAULT)
    assert snapshot(first.records) == snapshot(second.records)
    assert [r.blob.read() for r in first.records] == [r.blob.read() for r in second.records]
    assert first.vendor_data == second.vendor_data
    other = tmp_path / "default.yaml"
    other.write_text(DEFAULT.read_text().replace("seed: 1234", "seed: 4321"))
    for dest in ("data/refund-policy.md", "data/faq.md"):
        (tmp_path / dest).parent.mkdir(exist_ok=True)
        (tmp_path / dest).write_bytes((DEFAULT.parent / dest).read_bytes())
    reseeded = {r.id for r in load_fixture_file(other).records}
    assert "file-invoice2026" in reseeded  # explicit ids stay; made-up ones change
    explicit = set(re.findall(r"id: (\S+)", DEFAULT.read_text())) - {
        "proj_01JGRTKM006CW62Y816HKPP6V9", "proj_01JH88ZY00RA3J472E00ZSJCFE"}
    assert len(explicit) == 11 and reseeded & {r.id for r in first.records} == explicit


def test_without_a_seed_the_same_text_loads_twice(fake):
    text = "openai: {files: [{filename: a.txt}], generate: {count: 3}}"
    fake.load(load_fixture_text(text))
    fake.load(load_fixture_text(text))
    assert len(list(fake.store.records("openai"))) == 8
    seeded = "seed: 1\n" + text
    assert snapshot(load_fixture_text(seeded).records) == snapshot(
        load_fixture_text(seeded, seed=2).records  # the file's own seed wins
    )


def test_generate_fixture_output_loads_and_is_reproducible():
    for vendor in ("openai", "impala", "vlmrun", "orq", "anthropic"):
        text = generate_fixture(vendor, 7, seed=11)
        assert text == generate_fixture(vendor, 7, seed=11)
        seed = load_fixture_text(text, source="generated.yaml")
        assert len(seed.records) == 7
        assert [r.id for r in seed.records] == re.findall(r'\{id: "([^"]+)"', text)
    batch = load_fixture_text(generate_fixture("orq", 3, seed=1, purpose="batch"))
    assert {r.purpose for r in batch.records} == {"FILE_PURPOSE_BATCH"}
    with pytest.raises(FixtureError, match="^<generate>: purpose: 'evals' is not a purpose "
                       "impala accepts"):
        generate_fixture("impala", 1, seed=1, purpose="evals")


def test_faults_and_keys_from_a_fixture(fake):
    seed = load_fixture_file(ROOT / "fixtures" / "faults.yaml")
    fake.load(seed)
    assert [(r.spec.vendor, r.spec.status) for r in fake.faults.rules()] == [
        ("openai", 500), ("orq", 429), ("vlmrun", None)
    ]
    fake.load(load_fixture_text("api_keys: [sk-from-fixture]"))
    assert fake.key_is_valid("sk-from-fixture")


# -- the default set -------------------------------------------------------------------------


def test_every_shipped_fixture_validates_and_the_default_is_small():
    for path in sorted((ROOT / "fixtures").glob("*.yaml")):
        load_fixture_file(path)
    records = load_fixture_file(DEFAULT).records
    assert sum(r.size for r in records) < 1024 * 1024
    for record in records:
        check_metadata(record)
        check_type(record)


@pytest.fixture
def seeded(fake: Fake) -> dict[str, list[FileRecord]]:
    fake.load(load_fixture_file(DEFAULT))
    by_ns: dict[str, list[FileRecord]] = {}
    for record in fake.store.records():
        by_ns.setdefault(record.namespace, []).append(record)
    assert len(by_ns) == 7  # openai, impala, vlmrun, two orq projects, anthropic and gemini
    return by_ns


def test_default_fixtures_list_through_every_vendor(seeded, http):
    for vendor in ("openai", "impala"):
        listed = http.get(f"/{vendor}/v1/files").json()["data"]
        assert {f["id"] for f in listed} == {r.id for r in seeded[vendor]}
    listed = http.get("/vlmrun/v1/files", params={"limit": 1000}).json()
    assert {f["id"] for f in listed} == {r.id for r in seeded["vlmrun"]}
    for key in ("orq-key-a", "orq-key-b"):
        listed = http.get("/orq/v2/files", params={"limit": 200},
                          headers={"authorization": f"Bearer {key}"}).json()["data"]
        (project,) = {f["project_id"] for f in listed}
        assert {f["file_id"] for f in listed} == {r.id for r in seeded[f"orq/{project}"]}
        assert project == {"orq-key-a": "proj_01JGRTKM006CW62Y816HKPP6V9",
                           "orq-key-b": "proj_01JH88ZY00RA3J472E00ZSJCFE"}[key]
    listed = http.get("/anthropic/v1/files", params={"limit": 1000}).json()["data"]
    assert {f["id"] for f in listed} == {r.id for r in seeded["anthropic"]}
    # The files "made by code execution" download; the uploaded-looking ones do not.
    downloadable = {f["filename"] for f in listed if f["downloadable"]}
    assert downloadable == {"revenue-chart.png", "cleaned-data.csv"}
    chart = http.get("/anthropic/v1/files/file_011CPMxVD3fHLUhvTqtsQA5w/content")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    report = http.get("/anthropic/v1/files/file_011CNha8iCJcU1wXNR6q4V8w/content")
    assert report.status_code == 400


def test_default_fixtures_through_the_openai_sdk(seeded, openai_sdk):
    files = list(openai_sdk.files.list())
    assert {f.id for f in files} == {r.id for r in seeded["openai"]}
    invoice = openai_sdk.files.retrieve("file-invoice2026")
    assert (invoice.filename, invoice.bytes, invoice.created_at) == (
        "invoice-2026-001.pdf", 2048, 1_767_605_400
    )
    # Both are assistants files, which OpenAI does not hand back: the bytes are in the store.
    stored = {r.id: r for r in seeded["openai"]}
    policy = stored["file-refundpolicy"].blob.read()
    assert policy == (ROOT / "fixtures" / "data" / "refund-policy.md").read_bytes()
    assert stored["file-invoice2026"].blob.read().startswith(b"%PDF-")
    with pytest.raises(openai.BadRequestError):
        openai_sdk.files.content("file-invoice2026")


# -- made-up data cached between runs (fakefiles/madeup.py) ----------------------------------

LOAD_DEFAULT = """
import json, sys
from fakefiles.fixtures import load_fixture_file
seed = load_fixture_file(sys.argv[1])
print(json.dumps({"faker": "faker" in sys.modules, "records": sorted(
    (r.id, r.filename, r.blob.md5) for r in seed.records)}))
"""


def load_in_a_process(cache: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", LOAD_DEFAULT, str(DEFAULT)], capture_output=True, text=True,
        timeout=60, check=True, env={**os.environ, "FAKEFILES_CACHE_DIR": str(cache)},
    )
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def test_a_seeded_fixture_is_made_up_once_then_loads_without_faker(tmp_path):
    first = load_in_a_process(tmp_path)
    assert first["faker"] and len(list(tmp_path.glob("fixture-*.json"))) == 1
    again = load_in_a_process(tmp_path)
    assert not again["faker"] and again["records"] == first["records"]
    for cached in tmp_path.glob("fixture-*.json"):
        cached.write_text('{"format": 1, "values": {"openai.files[3]:content": ["b", "%%"]}}')
    assert load_in_a_process(tmp_path)["records"] == first["records"]  # a bad cache: made anew
    (tmp_path / "a-file").write_text("")  # a cache that cannot be written: made anew, no error
    assert load_in_a_process(tmp_path / "a-file" / "cache")["records"] == first["records"]


def test_unseeded_fixtures_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKEFILES_CACHE_DIR", str(tmp_path))
    load_fixture_text("openai: {files: [{filename: a.md}], generate: {count: 2}}")
    assert list(tmp_path.iterdir()) == []
    load_fixture_text("seed: 3\nopenai: {files: [{filename: a.bin}, {filename: b.png}]}")
    assert list(tmp_path.iterdir()) == []  # bytes and images need no Faker: nothing to keep
