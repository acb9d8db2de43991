from __future__ import annotations

import openai
import pytest

from tests.conftest import openai_client


def test_create_list_retrieve_content_delete(openai_sdk):
    f = openai_sdk.files.create(file=("a.txt", b"hello"), purpose="assistants")
    assert f.id.startswith("file-") and f.bytes == 5 and f.status == "processed"
    assert [x.id for x in openai_sdk.files.list()] == [f.id]
    assert openai_sdk.files.retrieve(f.id).filename == "a.txt"
    assert openai_sdk.files.content(f.id).content == b"hello"
    assert openai_sdk.files.delete(f.id).deleted is True
    with pytest.raises(openai.NotFoundError) as err:
        openai_sdk.files.retrieve(f.id)
    assert err.value.body["message"] == f"No such File object: {f.id}"


def test_live_server(live):
    client = openai_client(f"{live.url}/v1")
    f = client.files.create(file=("b.jsonl", b"{}\n"), purpose="batch")
    assert client.files.retrieve(f.id).expires_at == f.created_at + 30 * 24 * 3600
