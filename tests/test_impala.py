"""The impala.ai persona through the real ``openai`` SDK: the OpenAI dialect with impala's
differences (seed 001): ``expires_at`` always present, no ``status``, no ``evals``, FastAPI 422s,
``ErrorResponseModel`` 404s, no Uploads API."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import openai_client

pytestmark = pytest.mark.openai_sdk


def test_file_lifecycle_in_impala_shape(impala_sdk, http):
    created = impala_sdk.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    assert created.id.startswith("file-") and created.bytes == 3
    # Batch files expire after 30 days (docs.getimpala.ai, "Upload File"); others never.
    assert created.expires_at == created.created_at + 30 * 24 * 3600
    assert created.status is None
    raw = http.get(f"/impala/v1/files/{created.id}").json()
    assert raw == {"id": created.id, "object": "file", "bytes": 3,
                   "created_at": created.created_at, "expires_at": created.expires_at,
                   "filename": "a.jsonl", "purpose": "batch"}
    assert [f.id for f in impala_sdk.files.list()] == [created.id]
    assert impala_sdk.files.content(created.id).content == b"{}\n"
    assert impala_sdk.files.delete(created.id).deleted is True
    with pytest.raises(openai.NotFoundError) as err:
        impala_sdk.files.retrieve(created.id)
    assert err.value.type == "not_found_error"
    assert err.value.body["message"] == f"File not found: {created.id}"
    other = impala_sdk.files.create(file=("b.txt", b"x"), purpose="assistants")
    assert other.expires_at is None


def test_expires_after_is_read_from_bracketed_fields(impala_sdk):
    created = impala_sdk.files.create(file=("a.txt", b"x"), purpose="assistants",
                                      expires_after={"anchor": "created_at", "seconds": 7200})
    assert created.expires_at == created.created_at + 7200


def test_validation_errors_are_fastapi_422(impala_sdk, http):
    # evals is an upload purpose (docs.getimpala.ai, "Upload File"); the 422 texts are
    # pydantic's, as FastAPI writes them.
    assert impala_sdk.files.create(file=("e.txt", b"x"), purpose="evals").purpose == "evals"
    with pytest.raises(openai.UnprocessableEntityError) as err:
        impala_sdk.files.create(file=("a.txt", b"x"), purpose="training")
    item = err.value.body["detail"][0]
    assert set(item) == {"loc", "msg", "type"}
    assert item["loc"] == ["body", "purpose"] and err.value.type is None
    assert item["msg"] == ("Input should be 'assistants', 'batch', 'fine-tune', 'vision', "
                           "'user_data' or 'evals'")
    with pytest.raises(openai.UnprocessableEntityError) as err:
        impala_sdk.files.list(limit=20_000)
    assert err.value.body["detail"][0]["loc"] == ["query", "limit"]
    assert err.value.body["detail"][0]["msg"] == "Input should be less than or equal to 10000"
    with pytest.raises(openai.UnprocessableEntityError) as err:
        impala_sdk.files.list(order="random")
    assert err.value.body["detail"][0]["msg"] == "Input should be 'asc' or 'desc'"
    with pytest.raises(openai.UnprocessableEntityError):
        impala_sdk.files.list(purpose="evals")
    with pytest.raises(openai.UnprocessableEntityError):
        impala_sdk.files.list(order="random")
    missing = http.post("/impala/v1/files", data={"purpose": "assistants"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "file"]
    assert missing.json()["detail"][0]["type"] == "missing"
    assert missing.json()["detail"][0]["msg"] == "Field required"


def test_purpose_filter_uses_impala_enum(impala_sdk):
    a = impala_sdk.files.create(file=("a.txt", b"1"), purpose="user_data")
    impala_sdk.files.create(file=("b.txt", b"2"), purpose="vision")
    assert [f.id for f in impala_sdk.files.list(purpose="user_data")] == [a.id]
    assert list(impala_sdk.files.list(purpose="batch_output")) == []


def test_pagination_both_orders(impala_sdk, app):
    app.state.fake.clock.freeze(1_800_000_000)
    ids = [impala_sdk.files.create(file=(f"{i}.txt", b"x"), purpose="assistants").id
           for i in range(5)]
    assert [f.id for f in impala_sdk.files.list(limit=2)] == ids[::-1]
    assert [f.id for f in impala_sdk.files.list(limit=2, order="asc")] == ids


def test_no_uploads_api_and_separate_namespace(impala_sdk, openai_sdk):
    with pytest.raises(openai.NotFoundError):
        impala_sdk.uploads.create(bytes=1, filename="a", mime_type="text/plain",
                                  purpose="assistants")
    theirs = openai_sdk.files.create(file=("o.txt", b"o"), purpose="assistants")
    with pytest.raises(openai.NotFoundError):
        impala_sdk.files.retrieve(theirs.id)
    assert list(impala_sdk.files.list()) == []


def test_live_server(live):
    sdk = openai_client(f"{live.url}/impala/v1")
    created = sdk.files.create(file=("live.txt", b"impala"), purpose="vision")
    assert sdk.files.retrieve(created.id).purpose == "vision"
    assert sdk.files.content(created.id).content == b"impala"
