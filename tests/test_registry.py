"""The vendor registry: each registered vendor is declared once and everything else follows."""

from __future__ import annotations

import random

import pytest

from fakefiles import Fake, Settings, create_app, specs
from fakefiles.cli import OPTIONS
from fakefiles.fixtures import FixtureDocument
from fakefiles.vendors.registry import REGISTERED, VENDORS, bare_choices


@pytest.mark.parametrize("name", REGISTERED)
def test_each_vendor_declares_itself_once(name):
    info = VENDORS[name]
    assert info.name == name and info.prefix.startswith("/")
    vendor_class = info.http_class()
    assert vendor_class.info is info and vendor_class.name == name
    assert info.default_purpose in info.purposes
    assert set(info.generated_purposes) <= set(info.purposes)
    assert info.canonical_purpose(info.default_purpose) == info.default_purpose
    assert info.new_id(random.Random(1), 1_767_225_600)
    assert specs.document(name)["paths"]  # its OpenAPI document is there
    assert name in FixtureDocument.model_fields


def test_mounts_follow_the_registry_and_the_bare_prefix_settings():
    app = create_app(Settings(v1="impala", v2=None))
    mounts = [(prefix, vendor.name) for prefix, vendor in app.state.mounts]
    assert mounts == [*((info.prefix, name) for name, info in VENDORS.items()),
                      ("/v1", "impala")]


def test_bare_prefix_choices_come_from_the_vendors():
    assert bare_choices("/v1") == ("openai", "impala", "vlmrun")
    assert bare_choices("/v2") == ("orq",)
    choices = {o.flag: o.choices for o in OPTIONS}
    assert choices["--v1"] == ("openai", "impala", "vlmrun", "none")
    assert choices["--v2"] == ("orq", "none")


def test_the_404_hint_lists_only_mounted_prefixes():
    import httpx

    from fakefiles.inprocess import transport_for

    app = create_app(Settings(v1=None))
    with httpx.Client(transport=transport_for(httpx, app), base_url="http://t") as client:
        hint = client.get("/nowhere").json()["hint"]
    assert hint == ("fakefiles serves /openai/v1, /impala/v1, /vlmrun/v1, /orq/v2, "
                    "/anthropic/v1, /gemini, /v2 and /_fakefiles/")


def test_sdk_base_urls():
    fake = Fake()
    assert VENDORS["orq"].sdk_base_url("http://h", "/orq/v2") == "http://h/orq"
    assert VENDORS["orq"].sdk_base_url("http://h", "/v2") == "http://h"
    assert VENDORS["openai"].sdk_base_url("http://h", "/v1") == "http://h/v1"
    assert VENDORS["anthropic"].sdk_base_url("http://h", "/anthropic/v1") == "http://h/anthropic"
    assert VENDORS["gemini"].sdk_base_url("http://h", "/gemini") == "http://h/gemini"
    assert set(fake.vendors) == set(REGISTERED)


def test_journal_masks_key_query_parameters():
    from fakefiles.journal import masked_query

    assert masked_query("a=1&key=AIzaSyA-0123456789abcdef&b=2", frozenset({"key"})) == (
        "a=1&key=****cdef&b=2")
    assert masked_query("key", frozenset({"key"})) == "key"


def test_fault_file_ids_follow_the_vendor():
    assert VENDORS["vlmrun"].file_id("/files/hash/abc") == "abc"
    assert VENDORS["openai"].file_id("/files/file-a%2Fb/content") == "file-a/b"
    assert VENDORS["openai"].file_id("/uploads/upload_1/parts") == "upload_1"
    assert VENDORS["orq"].file_id("/health") is None
    assert VENDORS["gemini"].file_id("/v1beta/files/abc") == "abc"
    assert VENDORS["gemini"].file_id("/v1/files/abc:download") == "abc"
    assert VENDORS["gemini"].file_id("/download/v1/files/abc:download") == "abc"
    assert VENDORS["gemini"].file_id("/upload/v1beta/files") is None
