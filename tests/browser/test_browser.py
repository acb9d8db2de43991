"""Offline frontend development: a page on another origin uses the fake through fetch (CORS).

page.html + page.js are served by a second tiny HTTP server on another port, opened in headless
Chromium with the fake's URL in the query string; the page writes what it saw as JSON into
``<pre id="result">``, which ``--dump-dom`` hands back. The README's browser example runs in the
same page, verbatim except for its base URL.

Chromium is Debian's ``chromium`` package. Without it the test skips, unless
FAKEFILES_REQUIRE_BROWSER=1 (set by ``make test-browser``, which installs it).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from fakefiles.fake import Fake
from fakefiles.journal import JournalEntry
from fakefiles.vendors.orq import derived_project
from tests.browser.readme_examples import readme_example
from tests.conftest import Live

HERE = Path(__file__).parent
PAYLOAD = bytes(range(256))  # what page.js uploads
README_BASE = '"http://localhost:8000"'  # the base URL literal in the README's example
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
    # Virtual time runs until the page is idle: it waits for every pending fetch.
    "--virtual-time-budget=30000",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = ("headless Chromium not installed (Debian package `chromium`; "
                  "`make test-browser` installs it when run as root)")
        if os.environ.get("FAKEFILES_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + ", and FAKEFILES_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return found


def readme_script(base_url: str) -> bytes:
    """The README's example as ``window.readmeExample()``, returning what it computed."""
    block, source = readme_example("browser.js")
    assert block.count(README_BASE) == 1, f"{source.name}: the example must set {README_BASE}"
    body = block.replace(README_BASE, json.dumps(base_url))
    return (
        "window.readmeExample = async () => {\n" + body
        + "return { uploaded, text, disposition, failedStatus: failed.status, error };\n};\n"
    ).encode()


class StaticSite:
    """The frontend's own origin: serves a few in-memory files on a free loopback port."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                body, content_type = files.get(path, (b"not found", "text/plain"))
                self.send_response(200 if path in files else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class PageRun:
    url: str  # the fake's
    result: dict[str, Any]  # what the page wrote into #result, plus "site": its own origin
    journal: list[JournalEntry]  # what the fake saw
    control: tuple[dict[str, Any], dict[str, Any]]  # control_state() before and after
    stored: set[str]  # the ids in the store afterwards


def control_state(fake: Fake) -> dict[str, Any]:
    """What the page's attacks on the control API must leave alone."""
    return {"leaked": fake.store.get("openai", "file-leak") is not None,
            "seeds": len(fake.seeds), "faults": len(fake.faults.rules()),
            "attacker valid": fake.key_is_valid("attacker"),
            "attacker projects": fake.vendors["orq"].projects_for("attacker")}


@pytest.fixture(scope="module")
def page_run(_live_session: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageRun]:
    """One Chromium run for the module (it is the slow part); the tests read its result."""
    browser = chromium()
    live = _live_session
    live.fake.reset()
    live.recorder.failures.clear()
    before = control_state(live.fake)
    tmp_path = tmp_path_factory.mktemp("chromium")
    files = {
        "/page.html": ((HERE / "page.html").read_bytes(), "text/html; charset=utf-8"),
        "/page.js": ((HERE / "page.js").read_bytes(), "text/javascript"),
        "/readme-example.js": (readme_script(live.url), "text/javascript"),
    }
    with StaticSite(files) as site:
        assert site.url != live.url  # another port: another origin, so every call is CORS
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                   "--dump-dom", f"{site.url}/page.html?base={live.url}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    match = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    assert done.returncode == 0 and match, f"chromium: {done.returncode}\n{done.stderr[-3000:]}"
    text = html.unescape(match.group(1))
    assert text.startswith("{"), f"the page did not finish: {text!r}"
    result = json.loads(text)
    result["site"] = site.url
    yield PageRun(live.url, result, live.fake.journal.entries(),
                  (before, control_state(live.fake)), {r.id for r in live.fake.store.records()})
    # Every JSON body the browser received matched the seeds' schemas.
    assert not live.recorder.failures, "\n".join(live.recorder.failures)


def test_page_on_another_origin_uses_every_route_it_needs(page_run: PageRun) -> None:
    result = page_run.result
    assert result["done"] and result["errors"] == {}, result["errors"]
    assert result["origin"] == result["site"] != page_run.url

    upload = result["openaiUpload"]
    assert upload["status"] == 200
    file = upload["body"]
    assert (file["object"], file["purpose"], file["bytes"], file["filename"]) == (
        "file", "vision", 256, "bytes.bin")
    assert result["openaiList"] == {"status": 200, "ids": [file["id"]]}

    # Binary bytes intact, and the exposed headers readable from JavaScript.
    content = result["openaiDownload"]
    assert content["status"] == 200 and content["matches"]
    assert base64.b64decode(content["base64"]) == PAYLOAD
    assert 'filename="bytes.bin"' in content["contentDisposition"]
    assert content["requestId"].startswith("req_")

    assert result["vlmrunUpload"]["status"] == 201
    vlm_file = result["vlmrunUpload"]["body"]
    assert (vlm_file["filename"], vlm_file["bytes"]) == ("scan.bin", 256)
    assert result["vlmrunGet"]["status"] == 200
    assert result["vlmrunGet"]["publicUrl"].startswith(f"{page_run.url}/_fakefiles/download/")
    public = result["vlmrunPublic"]  # fetched with no Authorization header at all
    assert public["status"] == 200 and public["matches"]
    assert base64.b64decode(public["base64"]) == PAYLOAD

    # An injected 503 in OpenAI's envelope, readable cross-origin.
    fault = result["fault"]
    assert fault["status"] == 503 and fault["requestId"].startswith("req_")
    assert set(fault["body"]) == {"error"}
    assert set(fault["body"]["error"]) >= {"message", "type", "param", "code"}

    # The server saw the browser's Origin on every request it journaled.
    entries = page_run.journal
    assert entries and {e.headers.get("origin") for e in entries} == {result["site"]}
    assert {e.fault_id for e in entries if e.status == 503} == {"header"}


def test_page_on_another_origin_cannot_drive_the_control_api(page_run: PageRun) -> None:
    """The issue-12 attacks from a real page: the simple requests reach the server (their
    answers hidden from the page) and are refused; the YAML one never passes its preflight;
    nothing is read, loaded, reset or granted."""
    hostile = page_run.result["hostile"]
    for name in ("leak", "grant"):
        assert hostile[name]["plain"] == {"type": "opaque", "status": 0}, hostile
        assert hostile[name]["form"] == {"type": "opaque", "status": 0}, hostile
        assert "Failed to fetch" in hostile[name]["yaml"]["error"], hostile
    assert hostile["reset"] == {"type": "opaque", "status": 0}
    assert "Failed to fetch" in hostile["readState"]["error"]  # no CORS: unreadable
    assert hostile["leakStatus"] == 404
    before, after = page_run.control
    assert after == before
    assert after["attacker projects"] == [derived_project("attacker")]
    assert not after["leaked"] and not after["attacker valid"]
    # The page's own uploads are still there: the no-cors reset changed nothing.
    assert page_run.result["openaiUpload"]["body"]["id"] in page_run.stored


def test_readme_browser_example_runs_verbatim(page_run: PageRun) -> None:
    assert "readme" not in page_run.result["errors"], page_run.result["errors"]
    readme = page_run.result["readme"]
    assert readme["uploaded"]["object"] == "file"
    assert readme["uploaded"]["filename"] == "hello.jsonl"
    assert readme["text"] == '{"hello": "from the browser"}\n'
    assert 'filename="hello.jsonl"' in readme["disposition"]
    assert readme["failedStatus"] == 503
    assert readme["error"]["error"]["message"]
