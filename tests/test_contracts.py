"""The contract checker itself: it must reject bodies that break the seeds' schemas."""

from __future__ import annotations

from tests.contracts import schema_name, violations

GOOD_OPENAI = {"id": "file-x", "object": "file", "bytes": 1, "created_at": 1,
               "filename": "a", "purpose": "assistants", "status": "processed"}


def test_openai_file_schema_from_seed_004():
    assert violations("GET", "/openai/v1/files/file-x", 200, GOOD_OPENAI) == []
    assert violations("GET", "/openai/v1/files/file-x", 200, {**GOOD_OPENAI, "bytes": "1"})
    no_status = {k: v for k, v in GOOD_OPENAI.items() if k != "status"}
    assert violations("GET", "/v1/files/file-x", 200, no_status)
    assert violations("GET", "/v1/files/file-x", 200, {**GOOD_OPENAI, "expires_at": None})


def test_impala_schema_from_seed_001():
    body = {k: v for k, v in GOOD_OPENAI.items() if k != "status"} | {"expires_at": None}
    assert violations("GET", "/impala/v1/files/file-x", 200, body) == []
    assert violations("GET", "/impala/v1/files/file-x", 200, {**body, "purpose": "training"})
    # evals: an upload purpose (docs.getimpala.ai) the seed's response enum lacks
    assert violations("GET", "/impala/v1/files/file-x", 200, {**body, "purpose": "evals"}) == []
    without_expiry = {k: v for k, v in body.items() if k != "expires_at"}
    assert violations("GET", "/impala/v1/files/file-x", 200, without_expiry)
    assert violations("GET", "/impala/v1/files", 422, {"detail": "not a list"})


def test_vlmrun_and_orq_schemas_from_seeds_000_and_002():
    vlm = {"id": "u", "filename": "a", "bytes": 1, "purpose": "vision",
           "created_at": "2026-01-01T00:00:00Z", "object": "file", "public_url": None}
    assert violations("GET", "/vlmrun/v1/files/u", 200, vlm) == []
    assert violations("GET", "/vlmrun/v1/files/u", 200, {**vlm, "purpose": "batch_output"})
    assert violations("GET", "/vlmrun/v1/files", 200, vlm)  # must be a bare array
    orq = {"file_id": "file_1", "purpose": "FILE_PURPOSE_RETRIEVAL", "file_name": "a",
           "bytes": "1", "created_at": "2026-01-01T00:00:00.000Z", "project_id": "proj_1"}
    assert violations("GET", "/orq/v2/files/file_1", 200, {"file": orq}) == []
    assert violations("GET", "/orq/v2/files/file_1", 200, {"file": {**orq, "bytes": 1}})
    # Valid for seed 002 but rejected by the SDK: checked too.
    unspecified = {"file": {**orq, "purpose": "FILE_PURPOSE_UNSPECIFIED"}}
    assert violations("GET", "/v2/files/file_1", 200, unspecified)


def test_schema_routing():
    assert schema_name("GET", "/openai/v1/files/x/content", 200) is None
    assert schema_name("DELETE", "/v1/files/x", 200) == "openai.deleted"
    assert schema_name("GET", "/orq/v2/files", 200) == "orq.list"
    assert schema_name("GET", "/_fakefiles/state", 200) is None
