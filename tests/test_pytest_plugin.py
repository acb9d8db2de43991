"""The pytest plugin as a user meets it: small test files run by pytester, no conftest."""

from __future__ import annotations

import pytest

FIXTURE_YAML = """
openai:
  files:
    - id: file-fromini000000000000000
      filename: ini.txt
      purpose: vision
      content: from the ini file
"""

OTHER_YAML = """
openai:
  files:
    - id: file-frommarker000000000000
      filename: marker.txt
      purpose: assistants
      content: from the marker
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_readme_example_runs_as_written(pytester):
    pytester.makepyfile(test_readme="""
        def test_upload(fakefiles):                    # in-process: no port, no thread
            client = fakefiles.openai()                # a real openai.OpenAI wired to the fake
            f = client.files.create(file=("a.txt", b"hi"), purpose="assistants")
            assert fakefiles.requests(method="POST")[-1].status == 200

        def test_sidecar_style(fakefiles_server):      # uvicorn on a free port
            vlm = fakefiles_server.vlmrun()
            assert vlm.files.list() == []
    """)
    run(pytester).assert_outcomes(passed=2)


def test_each_test_starts_clean_and_helpers_work(pytester):
    pytester.makepyfile(test_state="""
        import openai, pytest, sys

        def test_a_dirties_everything(fakefiles):
            fakefiles.seed(openai={"files": [{"filename": "s.txt", "content": b"seeded",
                                              "purpose": "assistants"}]})
            client = fakefiles.openai()
            assert [f.filename for f in client.files.list()] == ["s.txt"]
            rule = fakefiles.fail(vendor="openai", status=503, times=1)
            with pytest.raises(openai.InternalServerError):
                client.files.list()
            assert rule.fired == 1
            fakefiles.clock.advance(3600)
            assert "vlmrun" not in sys.modules and "orq_ai_sdk" not in sys.modules

        def test_b_sees_none_of_it(fakefiles):
            assert fakefiles.requests() == []
            assert list(fakefiles.openai().files.list()) == []
            assert fakefiles.clock.is_real

        def test_c_server_shares_nothing_either(fakefiles_server):
            assert fakefiles_server.url.startswith("http://127.0.0.1:")
            assert list(fakefiles_server.openai().files.list()) == []
            orq = fakefiles_server.orq(api_key="k1")
            created = orq.files.create(filename="o.txt", content="aGk=")
            assert orq.files.get(file_id=created.file.file_id).file.bytes_ == "2"

        def test_d_reset_inside_a_test(fakefiles):
            client = fakefiles.openai()
            client.files.create(file=("x.txt", b"x"), purpose="assistants")
            fakefiles.reset()
            assert list(client.files.list()) == []
    """)
    run(pytester).assert_outcomes(passed=4)


def test_ini_and_marker_configuration(pytester):
    pytester.makefile(".yaml", ini_fixture=FIXTURE_YAML, marker_fixture=OTHER_YAML)
    pytester.makeini("[pytest]\nfakefiles_fixtures = ini_fixture.yaml\n")
    pytester.makepyfile(test_config="""
        import pytest

        def test_ini_fixtures(fakefiles):
            assert [f.id for f in fakefiles.files("openai")] == ["file-fromini000000000000000"]
            client = fakefiles.openai()
            content = client.files.content("file-fromini000000000000000").content
            assert content == b"from the ini file"

        @pytest.mark.fakefiles(fixtures=["marker_fixture.yaml"], auth="strict")
        def test_marker_overrides(fakefiles):
            assert [f.filename for f in fakefiles.files("openai")] == ["marker.txt"]
            import openai
            with pytest.raises(openai.AuthenticationError):
                fakefiles.openai(api_key="not-a-known-key").files.list()
    """)
    run(pytester).assert_outcomes(passed=2)


def test_xdist_workers_have_their_own_server(pytester):
    pytester.makepyfile(test_workers="""
        import os, pathlib, pytest

        @pytest.mark.parametrize("n", range(8))
        def test_isolated(fakefiles_server, n):
            client = fakefiles_server.openai()
            assert list(client.files.list()) == []
            client.files.create(file=(f"{n}.txt", b"x"), purpose="assistants")
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            out = pathlib.Path(os.environ["PORTS_DIR"]) / f"{worker}-{n}"
            out.write_text(fakefiles_server.url)
    """)
    ports_dir = pytester.mkdir("ports")
    pytester._monkeypatch.setenv("PORTS_DIR", str(ports_dir))
    run(pytester, "-n", "2").assert_outcomes(passed=8)
    by_worker: dict[str, set[str]] = {}
    for path in ports_dir.iterdir():
        by_worker.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    assert len(by_worker) == 2, by_worker
    urls = [next(iter(u)) for u in by_worker.values()]
    assert all(len(u) == 1 for u in by_worker.values())  # one server per worker session
    assert urls[0] != urls[1]


def test_raw_http_client_sends_a_key_and_the_admin_token(pytester):
    """``http()`` works against the default auth (a key) and a locked control API (the
    token); ``seed()`` runs in the test's process, so it may name keys and content_path."""
    pytester.makefile(".txt", local="local bytes")
    pytester.makepyfile(test_raw="""
        import pytest

        def test_default(fakefiles):
            with fakefiles.http() as http:
                assert http.get("/openai/v1/files").status_code == 200
                assert http.post("/_fakefiles/reset", json={}).status_code == 200
            with fakefiles.http(api_key=None) as anonymous:
                assert anonymous.get("/openai/v1/files").status_code == 401
                assert anonymous.get("/impala/v1/files").status_code == 200

        @pytest.mark.fakefiles(admin_token="t0k", auth="strict")
        def test_locked(fakefiles_server):
            fakefiles_server.seed(api_keys=["sk-fakefiles-test"], openai={"files": [
                {"id": "file-local", "filename": "l.txt", "purpose": "vision",
                 "content_path": "local.txt"}]})
            with fakefiles_server.http() as http:
                assert http.get("/_fakefiles/state").status_code == 200
                content = http.get("/openai/v1/files/file-local/content").content
                assert content == b"local bytes"
            with fakefiles_server.http() as http:
                del http.headers["x-fakefiles-admin-token"]
                assert http.get("/_fakefiles/state").status_code == 401
    """)
    run(pytester).assert_outcomes(passed=2)


def test_session_end_closes_the_fake_and_its_data_directory(pytester, tmp_path):
    from fakefiles import Fake, Settings

    data_dir = tmp_path / "data"
    pytester.makepyfile(test_data_dir=f"""
        import pytest

        @pytest.mark.fakefiles(data_dir={str(data_dir)!r})
        def test_uses_a_data_directory(fakefiles):
            client = fakefiles.openai()
            client.files.create(file=("kept.txt", b"kept"), purpose="assistants")
    """)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    # Same process: the directory's lock is free again only if the plugin closed the fake.
    again = Fake(Settings(data_dir=data_dir))
    try:
        assert [r.filename for r in again.store.records()] == ["kept.txt"]
    finally:
        again.close()
