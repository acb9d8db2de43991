"""``--data-dir``: files survive a restart (through the real SDKs), ``kill -9`` in a loop loses
no acknowledged upload and shows no half-written file, and a bad directory stops the start
with one clear line."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from hashlib import sha256
from pathlib import Path
from typing import Any

import httpx
import pytest
from orq_ai_sdk import Orq
from vlmrun.client import VLMRun

from fakefiles import Fake, Settings, cli, create_app
from fakefiles.fixtures import load_fixture_text
from fakefiles.inprocess import transport_for
from fakefiles.persist import DataDirError
from fakefiles.server import LiveServer
from tests.conftest import IN_PROCESS, RAW_AUTH, openai_client
from tests.files_client import FilesClient, UnexpectedResponse, content, declared

ROOT = Path(__file__).resolve().parents[1]
BIG = 1024 * 1024 + 17  # past the spool threshold: a file-backed blob
KILL_LOOPS = int(os.environ.get("FAKEFILES_KILL_LOOPS", "15"))


def snapshot(fake: Fake) -> list[tuple[Any, ...]]:
    """Everything a restart must keep, per file (seq aside: it is renumbered in order)."""
    return sorted(
        (r.namespace, r.id, r.filename, r.purpose, r.created_at, r.content_type, r.expires_at,
         r.owner, r.extra, r.size, r.sha256, r.md5)
        for r in fake.store.records()
    )


@contextmanager
def running(data_dir: Path, **settings: Any) -> Iterator[tuple[Fake, str]]:
    """A Fake on ``data_dir`` behind a live server; closed (the directory released) after."""
    fake = Fake(Settings(data_dir=data_dir, **settings))
    server = LiveServer(create_app(fake=fake)).start()
    try:
        yield fake, server.url
    finally:
        server.stop()
        fake.close()


def orq_sdk(url: str, key: str) -> Orq:
    return Orq(api_key=key, server_url=f"{url}/orq")


def test_restart_keeps_files_metadata_and_projects(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    big = random.Random(1).randbytes(BIG)
    with running(data_dir) as (fake, url):
        assert fake.store.hook is not None and not fake.resumed
        openai = openai_client(f"{url}/openai/v1")
        small = openai.files.create(file=("notes.txt", b"hello"), purpose="vision")
        large = openai.files.create(file=("big.bin", big), purpose="vision")
        batch = openai.files.create(file=("b.jsonl", b"{}\n"), purpose="batch")  # expires_at
        gone = openai.files.create(file=("gone.txt", b"bye"), purpose="assistants")
        openai.files.delete(gone.id)
        impala = openai_client(f"{url}/impala/v1").files.create(file=("i.txt", b"imp"),
                                                                purpose="vision")
        vlm = VLMRun(api_key="vlm-key", base_url=f"{url}/vlmrun/v1", max_retries=0)
        pdf = tmp_path / "scan.pdf"
        pdf.write_bytes(b"%PDF-1.4 scan")
        vlm_file = vlm.files.upload(pdf)
        orq_a, orq_b = orq_sdk(url, "key-a"), orq_sdk(url, "key-b")
        in_a = orq_a.files.create(filename="a.md", content=base64.b64encode(b"A").decode()).file
        orq_a.files.update(file_id=in_a.file_id, file_name="renamed.md")
        in_b = orq_b.files.create(filename="b.md", content=base64.b64encode(b"B").decode()).file
        link = orq_a.files.get_content(file_id_or_path=in_a.file_id).download_url
        before = snapshot(fake)
        listed = [f.id for f in openai.files.list()]
    assert len(before) == 7

    with running(data_dir) as (fake, url):
        assert fake.resumed
        assert snapshot(fake) == before
        openai = openai_client(f"{url}/openai/v1")
        assert [f.id for f in openai.files.list()] == listed  # same order too
        assert openai.files.content(small.id).content == b"hello"
        assert openai.files.content(large.id).content == big
        assert openai.files.retrieve(batch.id).expires_at == batch.expires_at
        assert openai.files.retrieve(large.id) == large
        with pytest.raises(Exception, match="No such File"):
            openai.files.retrieve(gone.id)
        impala_sdk = openai_client(f"{url}/impala/v1")
        assert impala_sdk.files.content(impala.id).content == b"imp"
        vlm = VLMRun(api_key="vlm-key", base_url=f"{url}/vlmrun/v1", max_retries=0)
        assert vlm.files.get(vlm_file.id).bytes == vlm_file.bytes
        assert vlm.files.get_cached_file(pdf).id == vlm_file.id  # md5 index rebuilt
        orq_a, orq_b = orq_sdk(url, "key-a"), orq_sdk(url, "key-b")
        assert [f.file_id for f in orq_a.files.list().data] == [in_a.file_id]
        assert orq_a.files.get(file_id=in_a.file_id).file.file_name == "renamed.md"
        assert [f.file_id for f in orq_b.files.list().data] == [in_b.file_id]
        assert orq_b.files.list(project_id=None).data[0].project_id == in_b.project_id
        # A link minted before the restart still opens: the signing key is in the directory.
        assert httpx.get(link.replace(link.split("/_fakefiles")[0], url)).content == b"A"
        record = fake.store.get("openai", large.id)
        assert record is not None and record.blob.data is None and record.blob.path
        assert Path(record.blob.path).parent == data_dir / "blobs"


def test_reset_clears_the_directory_and_puts_the_fixtures_back(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    seed = load_fixture_text(
        "openai:\n  files:\n    - {id: file-seeded, filename: s.txt, purpose: assistants, "
        "content: seeded}\n", source="seed.yaml")
    fake = Fake(Settings(data_dir=data_dir))
    fake.load(seed)
    http = httpx.Client(transport=transport_for(httpx, create_app(fake=fake)),
                        base_url=IN_PROCESS, headers=RAW_AUTH)
    http.delete("/openai/v1/files/file-seeded").raise_for_status()
    http.post("/openai/v1/files", data={"purpose": "assistants"},
              files={"file": ("mine.txt", b"mine")}).raise_for_status()
    fake.close()

    # A resumed directory keeps its own state: the seeded file stays deleted (the CLI loads
    # fixtures with records=not resumed), and loading the seed raises no duplicate id.
    fake = Fake(Settings(data_dir=data_dir))
    fake.load(seed, records=not fake.resumed)
    assert [r.filename for r in fake.store.records()] == ["mine.txt"]
    fake.reset()
    assert [r.id for r in fake.store.records()] == ["file-seeded"]
    assert sorted(p.name for p in (data_dir / "blobs").iterdir()) == [
        sha256(b"seeded").hexdigest()]
    fake.close()
    fake = Fake(Settings(data_dir=data_dir))  # the reset itself was persisted
    assert [r.id for r in fake.store.records()] == ["file-seeded"]
    fake.close()


def test_expired_and_deleted_content_leaves_the_disk(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    fake = Fake(Settings(data_dir=data_dir))
    openai = openai_client(f"{IN_PROCESS}/openai/v1", create_app(fake=fake))
    batch = openai.files.create(file=("b.jsonl", b"{}\n"), purpose="batch")  # 30 days
    kept = openai.files.create(file=("k.txt", b"kept"), purpose="assistants")
    twin = openai.files.create(file=("twin.txt", b"kept"), purpose="assistants")
    openai.files.delete(twin.id)  # its content is still used by `kept`
    assert (data_dir / "blobs" / sha256(b"kept").hexdigest()).exists()
    fake.clock.advance(31 * 24 * 3600)
    assert [f.id for f in openai.files.list()] == [kept.id]
    assert not (data_dir / "blobs" / sha256(b"{}\n").hexdigest()).exists()
    fake.close()
    fake = Fake(Settings(data_dir=data_dir))
    assert [r.id for r in fake.store.records()] == [kept.id] != [batch.id]
    assert len((data_dir / "metadata.log").read_text().splitlines()) == 1  # compacted
    fake.close()


def test_no_data_dir_means_no_hook() -> None:
    assert Fake(Settings()).store.hook is None


# -- recovering from a crash, and refusing what cannot be used ------------------------------


def logged_dir(tmp_path: Path, files: int = 3) -> Path:
    data_dir = tmp_path / "data"
    fake = Fake(Settings(data_dir=data_dir))
    http = httpx.Client(transport=transport_for(httpx, create_app(fake=fake)),
                        base_url=IN_PROCESS, headers=RAW_AUTH)
    for n in range(files):
        http.post("/openai/v1/files", data={"purpose": "assistants"},
                  files={"file": (f"f{n}.txt", f"content {n}".encode())}).raise_for_status()
    fake.close()
    return data_dir


def test_torn_last_line_is_ignored_and_compacted_away(tmp_path: Path) -> None:
    data_dir = logged_dir(tmp_path)
    log = data_dir / "metadata.log"
    with log.open("ab") as handle:
        handle.write(b'{"op":"put","ns":"openai","id":"file-torn","filen')  # kill -9 mid-write
    fake = Fake(Settings(data_dir=data_dir))
    assert sorted(r.filename for r in fake.store.records()) == ["f0.txt", "f1.txt", "f2.txt"]
    fake.close()
    assert b"file-torn" not in log.read_bytes() and log.read_bytes().endswith(b"\n")


def test_event_whose_content_is_missing_or_damaged_is_skipped(tmp_path: Path) -> None:
    data_dir = logged_dir(tmp_path)
    (data_dir / "blobs" / sha256(b"content 1").hexdigest()).unlink()
    (data_dir / "blobs" / sha256(b"content 2").hexdigest()).write_bytes(b"content X")
    fake = Fake(Settings(data_dir=data_dir))
    assert [r.filename for r in fake.store.records()] == ["f0.txt"]
    fake.close()
    assert len(list((data_dir / "blobs").iterdir())) == 1  # the damaged one was collected


def test_a_first_start_killed_early_is_not_a_foreign_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "lock").touch()  # killed after taking the lock, before writing the marker
    fake = Fake(Settings(data_dir=data_dir))
    assert not fake.resumed
    fake.close()


def serve_error(capsys: pytest.CaptureFixture[str], data_dir: Path | str) -> str:
    """``fakefiles serve --data-dir`` must stop with status 2 and exactly one line."""
    status = cli.main(["serve", "--port", "0", "--data-dir", str(data_dir)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_corrupted_middle_line_is_a_clear_error(tmp_path: Path, capsys: Any) -> None:
    data_dir = logged_dir(tmp_path)
    log = data_dir / "metadata.log"
    lines = log.read_bytes().splitlines(keepends=True)
    for bad in (b'{"op":"delete","ns":["x"],"id":"y"}\n', b'[1, 2]\n', b'{"op":"put", garbage\n'):
        lines[1] = bad
        log.write_bytes(b"".join(lines))
        err = serve_error(capsys, data_dir)
        assert "metadata.log line 2 is corrupted" in err
    with pytest.raises(DataDirError, match="line 2"):  # and the directory is not left locked
        Fake(Settings(data_dir=data_dir))


def test_foreign_and_odd_directories_are_refused(tmp_path: Path, capsys: Any) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"meow")
    assert "not a fakefiles data directory" in serve_error(capsys, foreign)
    assert (foreign / "cat.jpg").read_bytes() == b"meow" and len(list(foreign.iterdir())) == 1

    newer = logged_dir(tmp_path)
    (newer / "fakefiles.json").write_text(json.dumps({"format": "fakefiles-data",
                                                      "version": 99}))
    assert "format version 99" in serve_error(capsys, newer)

    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert "not a directory" in serve_error(capsys, a_file)
    assert "cannot create it" in serve_error(capsys, a_file / "sub")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_directory_is_refused(tmp_path: Path, capsys: Any) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        assert "not writable" in serve_error(capsys, locked)
    finally:
        locked.chmod(0o700)


def test_a_second_server_on_the_same_directory_is_refused(tmp_path: Path, capsys: Any) -> None:
    data_dir = tmp_path / "data"
    first = Fake(Settings(data_dir=data_dir))
    try:
        assert "in use by another fakefiles process" in serve_error(capsys, data_dir)
    finally:
        first.close()
    Fake(Settings(data_dir=data_dir)).close()  # released: usable again


# -- kill -9 while a client uploads ---------------------------------------------------------


FIXTURE = """\
openai:
  files:
    - {id: file-seeded, filename: seeded.png, purpose: vision, content: seeded}  # downloadable
orq:
  projects:
    - {project_id: proj_01J0000000000000000000000A, api_keys: [orq-key],
       files: [{filename: seeded.md, content: seeded}]}
"""


def serve_command(data_dir: Path, log: Path) -> list[str]:
    fixture = log.with_name("fixture.yaml")
    fixture.write_text(FIXTURE)
    return [sys.executable, "-m", "fakefiles", "serve", "--port", "0", "--data-dir",
            str(data_dir), "--fixtures", str(fixture), "--log-level", "warning"]


class Server:
    """``fakefiles serve --data-dir --fixtures`` in a subprocess (the fixture's files are put
    on the first start only: later starts resume the directory)."""

    def __init__(self, data_dir: Path, log: Path, crash_at: str | None = None) -> None:
        self.stderr = log.open("ab")
        self.proc = subprocess.Popen(
            serve_command(data_dir, log), stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            cwd=ROOT, env={**os.environ, "FAKEFILES_CRASH_AT": crash_at or ""},
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()  # the banner's first line names the origin
        assert " on http://" in first, f"no banner: {first!r}; see {log}"
        self.url = first.split(" on ")[1].split()[0]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self.stderr.close()


class Uploader(threading.Thread):
    """Uploads (and now and then deletes) until the server dies; remembers what was acked."""

    def __init__(self, url: str, name: str, seed: int) -> None:
        super().__init__(daemon=True)
        self.client = FilesClient(url, timeout=5.0)
        self.tag, self.rng = name, random.Random(seed)
        self.acked: dict[tuple[str, str], tuple[int, str]] = {}  # (vendor, id) -> size, sha
        self.deleted: set[tuple[str, str]] = set()
        self.deleting: tuple[str, str] | None = None  # a delete the kill left unanswered

    def run(self) -> None:
        vendors = ("openai", "vlmrun", "orq")
        n = 0
        try:
            while True:
                n += 1
                vendor = vendors[n % 3]
                size = BIG if n % 25 == 0 else self.rng.randint(1, 8192)
                filename, data = content(f"kill-{self.tag}-{n}", size, self.rng)
                file_id = self.client.upload(vendor, filename, data)
                self.acked[(vendor, file_id)] = declared(filename)
                if n % 7 == 0:
                    self.deleting = self.rng.choice(sorted(set(self.acked) - self.deleted))
                    if self.client.delete(*self.deleting):
                        self.deleted.add(self.deleting)
                    self.deleting = None
        except (httpx.TransportError, UnexpectedResponse):
            pass  # the server was killed (an UnexpectedResponse would show up as lost files)
        finally:
            self.client.close()


def test_kill_9_in_a_loop_loses_no_acknowledged_upload(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    acked: dict[tuple[str, str], tuple[int, str]] = {}
    deleted: set[tuple[str, str]] = set()
    unsure: set[tuple[str, str]] = set()  # deletes without an answer: either outcome is fine
    verified: set[tuple[str, str]] = set()
    rng = random.Random(9)
    started = time.monotonic()
    for loop in range(KILL_LOOPS + 1):
        server = Server(data_dir, log)
        client = FilesClient(server.url)
        try:
            verified = check_survivors(client, acked, deleted, unsure, verified,
                                       full=loop == KILL_LOOPS)
        finally:
            client.close()
        if loop == KILL_LOOPS:
            server.kill()
            break
        uploaders = [Uploader(server.url, f"l{loop}u{i}", rng.randrange(1 << 30)) for i in range(3)]
        for uploader in uploaders:
            uploader.start()
        time.sleep(rng.uniform(0.1, 0.4))
        server.kill()
        for uploader in uploaders:
            uploader.join(timeout=10)
            acked.update(uploader.acked)
            deleted |= uploader.deleted
            if uploader.deleting is not None:
                unsure.add(uploader.deleting)
    survivors = set(acked) - deleted
    print(f"\nkill -9: {KILL_LOOPS} loops survived, {len(acked)} acknowledged uploads, "
          f"{len(deleted)} deletes, {len(survivors)} files checked by sha256 "
          f"in {time.monotonic() - started:.1f} s")
    # The uploads really ran (a loose bound: a busy 2-core CI machine serves far fewer).
    assert len(acked) > KILL_LOOPS * 4
    assert "Traceback" not in log.read_text()


def check_survivors(
    client: FilesClient, acked: dict[tuple[str, str], tuple[int, str]],
    deleted: set[tuple[str, str]], unsure: set[tuple[str, str]],
    verified: set[tuple[str, str]], full: bool,
) -> set[tuple[str, str]]:
    """Every acked, not deleted upload is there with its bytes; every listed file is whole."""
    listed: dict[tuple[str, str], dict[str, Any]] = {}
    for vendor in ("openai", "vlmrun", "orq"):
        for item in client.list_all(vendor):
            listed[(vendor, item["id"])] = item
    deleted |= {key for key in unsure if key not in listed}  # that delete did happen
    unsure.clear()
    for key in set(acked) - deleted:
        assert key in listed, f"acknowledged upload lost: {key}"
    for key in deleted:
        assert key not in listed, f"acknowledged delete undone: {key}"
    seeded = sorted(i["filename"] for i in listed.values() if not i["filename"].startswith("k"))
    assert seeded == ["seeded.md", "seeded.png"]  # put once, on the first start, and kept
    now_verified = set()
    for key, item in listed.items():
        if not item["filename"].startswith("kill-"):
            continue
        size, digest = declared(item["filename"])
        assert item["size"] == size, f"half-written file listed: {key} {item}"
        if full or key not in verified:
            data = client.download(*key)
            assert data is not None and sha256(data).hexdigest() == digest, f"corrupted: {key}"
        now_verified.add(key)
    return now_verified


# -- kill -9 at each step of seeding and reset (FAKEFILES_CRASH_AT, persist.crash_point) ---


def stored(server: Server) -> dict[str, bytes]:
    """filename -> content of every file the server lists (all vendors)."""
    client = FilesClient(server.url)
    try:
        return {item["filename"]: client.download(vendor, item["id"]) or b""
                for vendor in ("openai", "vlmrun", "orq") for item in client.list_all(vendor)}
    finally:
        client.close()


def test_a_first_seeding_killed_half_way_seeds_again(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    crashed = subprocess.run(serve_command(data_dir, log), cwd=ROOT, capture_output=True,
                             env={**os.environ, "FAKEFILES_CRASH_AT": "seeding"}, timeout=60)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    server = Server(data_dir, log)
    try:
        assert stored(server) == {"seeded.png": b"seeded", "seeded.md": b"seeded"}
    finally:
        server.kill()


@pytest.mark.parametrize("point, after", [
    ("reset-content-written", "before"), ("reset-log-written", "before"),
    ("reset-log-renamed", "after"),
])
def test_a_reset_killed_at_any_step_leaves_the_old_state_or_the_new(
    tmp_path: Path, point: str, after: str
) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "server.log"
    server = Server(data_dir, log)
    client = FilesClient(server.url)
    client.upload("openai", "mine.txt", b"mine")
    client.close()
    before = stored(server)
    server.kill()
    assert sorted(before) == ["mine.txt", "seeded.md", "seeded.png"]

    server = Server(data_dir, log, crash_at=point)
    try:
        with pytest.raises(httpx.TransportError):
            httpx.post(f"{server.url}/_fakefiles/reset", json={}, timeout=30)
        assert server.proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        server.kill()

    server = Server(data_dir, log)
    try:
        state = stored(server)
    finally:
        server.kill()
    fixtures_only = {k: v for k, v in before.items() if k != "mine.txt"}
    assert state == (before if after == "before" else fixtures_only)


def test_a_reset_that_fails_half_way_keeps_the_old_state(tmp_path: Path,
                                                         monkeypatch: Any) -> None:
    from fakefiles import persist

    data_dir = tmp_path / "data"
    seed = load_fixture_text(
        "openai:\n  files:\n    - {id: file-seeded, filename: s.txt, purpose: assistants, "
        "content: seeded}\n", source="seed.yaml")
    fake = Fake(Settings(data_dir=data_dir))
    fake.load(seed)
    fake.store.put(replace(next(fake.store.records()), id="file-mine", filename="mine.txt"))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    # The disk fails (as a crash would stop it) while the reset puts the fixtures back.
    monkeypatch.setattr(persist.DataDir, "_write_file", broken)
    monkeypatch.setattr(persist.DataDir, "_write_blob", broken)
    with pytest.raises(OSError):
        fake.reset()
    monkeypatch.undo()
    assert sorted(r.filename for r in fake.store.records()) == ["mine.txt", "s.txt"]
    fake.close()
    fake = Fake(Settings(data_dir=data_dir))
    fake.load(seed, records=not fake.resumed)
    assert sorted(r.filename for r in fake.store.records()) == ["mine.txt", "s.txt"]
    fake.close()


# -- large uploads: spooled into the directory, slow disk work off the event loop -------------


def test_uploads_spool_into_the_data_directory_and_disk_work_stays_off_the_loop(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import asyncio
    import tempfile

    from fakefiles import persist
    from fakefiles.blobs import Blob
    from fakefiles.persist import DataDir

    spool_dirs: list[Any] = []
    on_the_loop: list[str] = []
    real_mkstemp, real_chunks = tempfile.mkstemp, Blob.chunks
    real_write_blob = DataDir._write_blob
    real_fsync_file = getattr(persist, "_fsync_file", None)

    def loop_running(what: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        on_the_loop.append(what)

    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        spool_dirs.append(kwargs.get("dir"))
        return real_mkstemp(*args, **kwargs)

    def write_blob(self: DataDir, blob: Blob, path: Path) -> None:
        loop_running("DataDir._write_blob")
        real_write_blob(self, blob, path)

    def fsync_file(path: str) -> None:
        loop_running("persist._fsync_file")
        assert real_fsync_file is not None
        real_fsync_file(path)

    def chunks(self: Blob, *args: Any) -> Iterator[bytes]:
        loop_running("Blob.chunks")  # copying or reassembling content
        yield from real_chunks(self, *args)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(DataDir, "_write_blob", write_blob)
    monkeypatch.setattr(persist, "_fsync_file", fsync_file, raising=False)
    monkeypatch.setattr(Blob, "chunks", chunks)
    data_dir = tmp_path / "data"
    big = random.Random(4).randbytes(BIG)
    with running(data_dir) as (fake, url):
        client = FilesClient(url)
        for vendor in ("openai", "vlmrun", "orq"):
            file_id = client.upload(vendor, f"big-{vendor}.bin", big)
            assert client.download(vendor, file_id) == big
        client.close()
        with httpx.Client(base_url=f"{url}/openai/v1", timeout=30,
                          headers={"Authorization": "Bearer sk-test-spool"}) as http:
            upload = http.post("/uploads", json={"bytes": 2 * BIG, "filename": "parts.png",
                                                 "mime_type": "image/png",  # downloadable
                                                 "purpose": "vision"}).json()
            part_ids = [http.post(f"/uploads/{upload['id']}/parts",
                                  files={"data": ("p", big)}).json()["id"] for _ in range(2)]
            done = http.post(f"/uploads/{upload['id']}/complete",
                             json={"part_ids": part_ids}).json()
            assert done["status"] == "completed"
            assert http.get(f"/files/{done['file']['id']}/content").content == big + big
        assert len(list((data_dir / "blobs").iterdir())) == 2  # big, and big twice
    assert on_the_loop == []
    assert spool_dirs and {Path(d) for d in spool_dirs} == {data_dir / "tmp"}
