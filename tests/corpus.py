"""A corpus of bad input, replayed against every vendor by tests/test_bad_input.py.

Each row of ``CASES`` is one malformed (or merely odd) request, built for a vendor by a small
function of that vendor's :class:`Profile` (``None``: the case does not apply to it), and
what must come back:

* :class:`Refused` — the vendor's 4xx envelope, whose message (or ``param``/``loc``) names the
  problem; the store is untouched.
* :class:`Accepted` — odd but legal: a 2xx, then a check that the name round-trips exactly or
  that the listing is the same as without the oddity.

Requests are raw (``method``, target, header list, body bytes) so that duplicated headers,
dot segments and percent-escapes reach the server exactly as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BOUNDARY = "fakefilesCorpusBoundary"
KEY = "sk-corpus-0123456789"


@dataclass(frozen=True)
class Raw:
    method: str
    target: str  # path and query under the vendor's prefix, sent as written
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Refused:
    kind: str  # invalid | not_found | forbidden (the status follows from vendor and kind)
    mentions: str  # what the message, param or loc must name (case-insensitive)


@dataclass(frozen=True)
class Accepted:
    check: str  # "roundtrip:<filename>" | "same_listing" | "same_file" | "empty_listing"


Expect = Refused | Accepted


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes = b"hello corpus\n"
    filename: str | bytes | None = None  # bytes: written raw into the header
    content_type: str | None = "text/plain"


def multipart(parts: list[Part], boundary: str = BOUNDARY) -> bytes:
    out = b""
    for part in parts:
        disposition = f'form-data; name="{part.name}"'.encode()
        if part.filename is not None:
            name = part.filename if isinstance(part.filename, bytes) else part.filename.encode()
            disposition += b'; filename="' + name + b'"'
        out += f"--{boundary}\r\n".encode() + b"Content-Disposition: " + disposition + b"\r\n"
        if part.content_type and part.filename is not None:
            out += f"Content-Type: {part.content_type}\r\n".encode()
        out += b"\r\n" + part.data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


MULTIPART = ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
JSON = ("Content-Type", "application/json")


class RawJSON(bytes):
    """A value written into a JSON body as is (e.g. a lone surrogate escape)."""


def as_json(value: dict[str, Any]) -> bytes:
    raw = {k: v for k, v in value.items() if isinstance(v, RawJSON)}
    text = json.dumps({k: f"@{k}@" if k in raw else v for k, v in value.items()}).encode()
    for k, v in raw.items():
        text = text.replace(f'"@{k}@"'.encode(), v)
    return text


@dataclass(frozen=True)
class Profile:
    """What the corpus needs to know about a vendor's wire surface."""

    name: str
    prefix: str
    invalid_status: int  # OpenAI and orq: 400; the FastAPI servers: 422
    purpose_field: str | None  # multipart purpose field (VLM Run takes it in the query)
    purpose: str
    max_limit: int
    cursor: str | None  # after / starting_after; VLM Run pages by skip
    json_endpoint: tuple[str, str] | None  # a route that reads a JSON body
    upload_query: str = ""

    def upload(self, parts: list[Part] | None = None, *, body: bytes | None = None,
               headers: tuple[tuple[str, str], ...] = (MULTIPART,)) -> Raw:
        """POST /files as multipart; ``parts`` default: one good file and the purpose."""
        if body is None:
            body = multipart(self.form(Part("file", filename="corpus.txt"))
                             if parts is None else parts)
        return Raw("POST", "/files" + self.upload_query, headers, body)

    def form(self, *files: Part, purpose: str | None = None) -> list[Part]:
        fields = [Part(self.purpose_field, (purpose or self.purpose).encode(), None)] \
            if self.purpose_field else []
        return [*fields, *files]

    def named(self, filename: str | bytes, data: bytes | None = None) -> Raw:
        content = data if data is not None else b"corpus " + (
            filename if isinstance(filename, bytes) else filename.encode()) + b"\n"
        return self.upload(self.form(Part("file", content, filename)))

    def json_post(self, body: bytes, headers: tuple[tuple[str, str], ...] = (JSON,)) -> Raw | None:
        if self.json_endpoint is None:
            return None
        method, path = self.json_endpoint
        return Raw(method, path, headers, body)

    def json_fields(self, **fields: Any) -> Raw | None:
        """The vendor's JSON endpoint with otherwise valid fields, some replaced."""
        base: dict[str, dict[str, Any]] = {
            "openai": {"bytes": 5, "filename": "a.txt", "mime_type": "text/plain",
                       "purpose": "assistants"},
            "vlmrun": {"filename": "a.txt", "purpose": "assistants"},
            "orq": {"filename": "a.txt", "content": "aGVsbG8="},
        }
        if self.name not in base:
            return None
        return self.json_post(as_json({**base[self.name], **fields}))

    def listing(self, query: str) -> Raw:
        return Raw("GET", "/files?" + query)


PROFILES = {
    "openai": Profile("openai", "/openai/v1", 400, "purpose", "assistants", 10_000, "after",
                      ("POST", "/uploads")),
    "impala": Profile("impala", "/impala/v1", 422, "purpose", "assistants", 10_000, "after",
                      None),
    "vlmrun": Profile("vlmrun", "/vlmrun/v1", 422, None, "assistants", 1000, None,
                      ("POST", "/files/presigned-url"), upload_query="?purpose=assistants"),
    "orq": Profile("orq", "/orq/v2", 400, "purpose", "retrieval", 200, "starting_after",
                   ("POST", "/files")),
}

# -- the table ---------------------------------------------------------------------------

Build = Callable[[Profile, str], Raw | None]  # (vendor, a stored file's id) -> request


@dataclass(frozen=True)
class Case:
    name: str
    build: Build
    expect: Expect | Callable[[Profile], Expect]

    def expectation(self, vendor: Profile) -> Expect:
        return self.expect(vendor) if callable(self.expect) else self.expect


def only(*vendors: str) -> Callable[[Build], Build]:
    def wrap(build: Build) -> Build:
        return lambda v, f: build(v, f) if v.name in vendors else None
    return wrap


def not_multipart(v: Profile) -> str:
    return "body.file" if v.name == "impala" else "multipart"


def cursor_refused(v: Profile) -> Expect:
    """An id that is not there: orq refuses it; OpenAI's list (and impala's) ends, an empty
    page (see OpenAI.list_files)."""
    if v.name in ("openai", "impala"):
        return Accepted("empty_listing")
    return Refused("invalid", v.cursor or "")


def good_form(v: Profile) -> bytes:
    return multipart(v.form(Part("file", b"some bytes\n", "corpus.txt")))


LONG = "n" * 10_000
UNICODE_NAME = "résumé 文件 😀 naïve.txt"
RTL_NAME = "\u202eexe.txt \u05de\u05e1\u05de\u05da \u0645\u0644\u0641.txt"
OTHER_KEY = ("Authorization", "Bearer sk-corpus-other-key")

CASES: list[Case] = [
    # -- multipart framing ------------------------------------------------------------------
    Case("multipart truncated before the closing boundary",
         lambda v, f: v.upload(body=good_form(v)[:-12]), Refused("invalid", "multipart")),
    Case("multipart content type without a boundary",
         lambda v, f: v.upload(body=good_form(v),
                               headers=(("Content-Type", "multipart/form-data"),)),
         Refused("invalid", "boundary")),
    Case("multipart body with another boundary than the header's",
         lambda v, f: v.upload(body=multipart(v.form(Part("file", filename="a.txt")), "Other")),
         Refused("invalid", "multipart")),
    Case("multipart with an empty body",
         lambda v, f: v.upload(body=b""), Refused("invalid", "multipart")),
    Case("multipart part without Content-Disposition",
         lambda v, f: v.upload(body=f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n"
                               f"--{BOUNDARY}--\r\n".encode()),
         Refused("invalid", "content-disposition")),
    Case("multipart header line that is not a header",
         lambda v, f: v.upload(body=f"--{BOUNDARY}\r\nno colon here\r\n\r\nx\r\n"
                               f"--{BOUNDARY}--\r\n".encode()),
         Refused("invalid", "multipart")),
    Case("missing file part",
         lambda v, f: v.upload(v.form()) if v.purpose_field else v.upload([Part("other", b"x")]),
         Refused("invalid", "file")),
    Case("duplicated file part",
         lambda v, f: v.upload(v.form(Part("file", b"1", "a.txt"), Part("file", b"2", "b.txt"))),
         Refused("invalid", "file")),
    Case("file sent as a text field",
         lambda v, f: v.upload(v.form(Part("file", b"not a file", None))),
         Refused("invalid", "file")),
    Case("duplicated purpose field",
         only("openai", "impala")(lambda v, f: v.upload(
             [*v.form(), *v.form(Part("file", b"x", "a.txt"), purpose="vision")])),
         Refused("invalid", "purpose")),
    Case("purpose not in the enum",
         lambda v, f: (Raw("POST", "/files?purpose=nope", (MULTIPART,),
                           multipart([Part("file", b"x", "a.txt")])) if v.name == "vlmrun" else
                       v.upload(v.form(Part("file", b"x", "a.txt"), purpose="nope"))),
         Refused("invalid", "purpose")),
    Case("0-byte file", lambda v, f: v.named("empty.txt", b""), Refused("invalid", "empty")),
    Case("filename of 2 000 characters", lambda v, f: v.named("n" * 2000),
         Refused("invalid", "1024")),
    Case("filename of 10 000 characters", lambda v, f: v.named(LONG),
         Refused("invalid", "1024")),
    # impala is FastAPI: a missing or nameless file part is pydantic's "Field required" at
    # body.file, whatever else is wrong with the request.
    Case("empty filename", lambda v, f: v.named(""),
         lambda v: Refused("invalid", "body.file" if v.name == "impala" else "filename")),
    Case("NUL byte in the filename", lambda v, f: v.named(b"evil\x00.txt"),
         Refused("invalid", "NUL")),
    Case("unicode filename", lambda v, f: v.named(UNICODE_NAME),
         Accepted("roundtrip:" + UNICODE_NAME)),
    Case("right-to-left filename", lambda v, f: v.named(RTL_NAME),
         Accepted("roundtrip:" + RTL_NAME)),
    Case("../ in the filename (a name, never a path)", lambda v, f: v.named("../../etc/passwd"),
         Accepted("roundtrip:../../etc/passwd")),
    # -- content types and headers ----------------------------------------------------------
    Case("JSON sent to the multipart upload",
         lambda v, f: None if v.name == "orq" else v.upload(body=b'{"purpose": "assistants"}',
                                                           headers=(JSON,)),
         lambda v: Refused("invalid", not_multipart(v))),
    Case("upload without a Content-Type",
         lambda v, f: v.upload(body=good_form(v), headers=()),
         lambda v: Refused("invalid", "JSON" if v.name == "orq" else not_multipart(v))),
    Case("text/plain upload",
         lambda v, f: v.upload(body=b"hello", headers=(("Content-Type", "text/plain"),)),
         lambda v: Refused("invalid", "JSON" if v.name == "orq" else not_multipart(v))),
    Case("duplicated Content-Type: JSON first, then multipart",
         lambda v, f: v.upload(body=good_form(v), headers=(JSON, MULTIPART)),
         lambda v: Refused("invalid", "JSON" if v.name == "orq" else not_multipart(v))),
    Case("malformed X-Fakefiles-Fault header",
         lambda v, f: Raw("GET", "/files", (("X-Fakefiles-Fault", "status=abc"),)),
         Refused("invalid", "X-Fakefiles-Fault")),
    Case("duplicated Authorization header (the first one counts)",
         lambda v, f: Raw("GET", "/files", (OTHER_KEY,)), Accepted("same_listing")),
    # -- JSON bodies ------------------------------------------------------------------------
    Case("invalid JSON", lambda v, f: v.json_post(b'{"filename": '), Refused("invalid", "JSON")),
    Case("JSON that is not UTF-8", lambda v, f: v.json_post(b'{"filename": "\xff\xfe"}'),
         Refused("invalid", "JSON")),
    Case("JSON nested 100 000 deep", lambda v, f: v.json_post(b"[" * 100_000 + b"]" * 100_000),
         Refused("invalid", "JSON")),
    Case("JSON array instead of an object", lambda v, f: v.json_post(b"[1, 2]"),
         Refused("invalid", "object")),
    Case("multipart sent to a JSON route",
         lambda v, f: None if v.name == "orq" else v.json_post(good_form(v), (MULTIPART,)),
         Refused("invalid", "JSON")),
    Case("filename of 2 MiB in JSON", lambda v, f: v.json_fields(filename="x" * 2 * 1024 * 1024),
         Refused("invalid", "1024")),
    Case("lone surrogate in a JSON filename",
         lambda v, f: v.json_fields(filename=RawJSON(b'"\\ud800.txt"')),
         Refused("invalid", "filename")),
    Case("NUL in a JSON filename", lambda v, f: v.json_fields(filename="a\u0000b.txt"),
         Refused("invalid", "NUL")),
    Case("filename of the wrong type", lambda v, f: v.json_fields(filename=5),
         Refused("invalid", "filename")),
    Case("bytes that is not an integer", only("openai")(lambda v, f: v.json_fields(bytes="ten")),
         Refused("invalid", "bytes")),
    Case("negative expiration", only("vlmrun")(lambda v, f: v.json_fields(expiration=-5)),
         Refused("invalid", "expiration")),
    # -- orq's base64 -----------------------------------------------------------------------
    Case("content with characters outside base64",
         only("orq")(lambda v, f: v.json_fields(content="!!!!")), Refused("invalid", "base64")),
    # protobuf JSON takes bytes unpadded and in the URL-safe alphabet ("ProtoJSON Format"),
    # but not a lone character past a group of four, nor both alphabets at once.
    Case("content with a dangling base64 character",
         only("orq")(lambda v, f: v.json_fields(content="aGkaG")), Refused("invalid", "base64")),
    Case("content in both base64 alphabets",
         only("orq")(lambda v, f: v.json_fields(content="-_+/")), Refused("invalid", "base64")),
    Case("empty content", only("orq")(lambda v, f: v.json_fields(content="")),
         Refused("invalid", "content")),
    Case("content that is a number", only("orq")(lambda v, f: v.json_fields(content=123)),
         Refused("invalid", "content")),
    Case("rename to an empty name",
         only("orq")(lambda v, f: Raw("PATCH", f"/files/{f}", (JSON,), b'{"file_name": ""}')),
         Refused("invalid", "filename")),
    Case("rename with a NUL byte",
         only("orq")(lambda v, f: Raw("PATCH", f"/files/{f}", (JSON,),
                                      as_json({"file_name": "a\u0000b"}))),
         Refused("invalid", "NUL")),
    Case("rename with invalid JSON",
         only("orq")(lambda v, f: Raw("PATCH", f"/files/{f}", (JSON,), b"{")),
         Refused("invalid", "JSON")),
    # -- ids in paths -----------------------------------------------------------------------
    Case("../ in an id", lambda v, f: Raw("GET", "/files/../../etc/passwd"),
         Refused("not_found", "../../etc/passwd")),
    Case("encoded ../ in an id", lambda v, f: Raw("GET", "/files/%2e%2e%2f%2e%2e%2fsecret"),
         Refused("not_found", "../../secret")),
    Case("delete with ../ in the id", lambda v, f: Raw("DELETE", f"/files/../{f}"),
         Refused("not_found", "../{id}")),
    Case("NUL byte in an id", lambda v, f: Raw("GET", f"/files/{f}%00"),
         Refused("not_found", "{id}\x00")),
    Case("delete with a NUL byte in the id", lambda v, f: Raw("DELETE", f"/files/{f}%00"),
         Refused("not_found", "{id}\x00")),
    Case("id with slashes", lambda v, f: Raw("GET", "/files/a/b/c"),
         Refused("not_found", "a/b/c")),
    Case("id with an encoded slash", lambda v, f: Raw("DELETE", f"/files/{f}%2Fx"),
         Refused("not_found", "{id}/x")),
    Case("double-encoded id", lambda v, f: Raw("GET", "/files/%252e%252e"),
         Refused("not_found", "%2e%2e")),
    Case("invalid percent-escape in an id", lambda v, f: Raw("GET", "/files/%zz%"),
         Refused("not_found", "%zz")),
    Case("id of 10 000 characters", lambda v, f: Raw("GET", "/files/" + LONG),
         Refused("not_found", "nnnnnnnnnn")),
    Case("a stored id, every character percent-encoded",
         lambda v, f: Raw("GET", "/files/" + "".join(f"%{b:02X}" for b in f.encode())),
         Accepted("same_file")),
    Case("content of an id with ../",
         lambda v, f: None if v.name == "vlmrun" else Raw("GET", "/files/..%2F..%2Fx/content"),
         Refused("not_found", "../../x")),
    Case("upload id with ../",
         lambda v, f: {"openai": Raw("POST", "/uploads/..%2Fx/cancel"),
                       "vlmrun": Raw("GET", "/files/verify-upload/..")}.get(v.name),
         Refused("not_found", "..")),
    Case("presigned PUT with a wrong signature",
         only("vlmrun")(lambda v, f: Raw("PUT", f"/files/upload/{f}?expires=9999999999&"
                                            "signature=%E2%80%AE%00", (), b"bytes")),
         Refused("forbidden", "signature")),
    Case("presigned PUT without expires",
         only("vlmrun")(lambda v, f: Raw("PUT", f"/files/upload/{f}?signature=abc", (), b"x")),
         Refused("forbidden", "signature")),
    # -- list parameters --------------------------------------------------------------------
    Case("negative limit", lambda v, f: v.listing("limit=-1"), Refused("invalid", "limit")),
    Case("zero limit", lambda v, f: v.listing("limit=0"), Refused("invalid", "limit")),
    Case("huge limit", lambda v, f: v.listing("limit=" + "9" * 40), Refused("invalid", "limit")),
    Case("limit just over the maximum", lambda v, f: v.listing(f"limit={v.max_limit + 1}"),
         Refused("invalid", "limit")),
    Case("non-numeric limit", lambda v, f: v.listing("limit=ten"), Refused("invalid", "limit")),
    Case("fractional limit", lambda v, f: v.listing("limit=1.5"), Refused("invalid", "limit")),
    Case("empty limit (the default)", lambda v, f: v.listing("limit="),
         Accepted("same_listing")),
    Case("negative skip", only("vlmrun")(lambda v, f: v.listing("skip=-1")),
         Refused("invalid", "skip")),
    Case("non-numeric skip", only("vlmrun")(lambda v, f: v.listing("skip=%00")),
         Refused("invalid", "skip")),
    Case("huge skip", only("vlmrun")(lambda v, f: v.listing("skip=" + "9" * 40)),
         Refused("invalid", "skip")),
    Case("unknown cursor",
         lambda v, f: v.listing(f"{v.cursor}=file-doesnotexist") if v.cursor else None,
         cursor_refused),
    Case("../ as a cursor",
         lambda v, f: v.listing(f"{v.cursor}=..%2F..%2F{f}") if v.cursor else None,
         cursor_refused),
    Case("negative cursor",
         lambda v, f: v.listing(f"{v.cursor}=-1") if v.cursor else None,
         cursor_refused),
    Case("cursor of 10 000 characters",
         lambda v, f: v.listing(f"{v.cursor}={LONG}") if v.cursor else None,
         cursor_refused),
    Case("both cursors", only("orq")(lambda v, f: v.listing(
        f"starting_after={f}&ending_before={f}")), Refused("invalid", "starting_after")),
    Case("order that is neither asc nor desc",
         only("openai", "impala")(lambda v, f: v.listing("order=sideways")),
         Refused("invalid", "order")),
    Case("generate_public_url that is not a boolean",
         only("vlmrun")(lambda v, f: Raw("GET", f"/files/{f}?generate_public_url=maybe")),
         Refused("invalid", "generate_public_url")),
    Case("project the key may not use",
         only("orq")(lambda v, f: v.listing("project_id=proj_someone_else")),
         Refused("forbidden", "project")),
    Case("unknown query keys are ignored",
         lambda v, f: v.listing("foo=bar&__proto__=1&limit%5B%5D=x&%00=%00"),
         Accepted("same_listing")),
]
