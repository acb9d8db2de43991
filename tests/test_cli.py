"""The ``fakefiles`` command: validate, generate, flags and their environment variables, and
``serve`` as a real process (configured by environment, stopped by SIGTERM)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fakefiles import cli
from fakefiles.fixtures import load_fixture_file
from tests.conftest import openai_client

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "fixtures" / "default.yaml"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """The developer's own FAKEFILES_* variables must not leak into these tests."""
    for _, env, _ in cli.ENVIRONMENT:
        monkeypatch.delenv(env, raising=False)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fakefiles", *args], capture_output=True,
                          text=True, timeout=30, env=env, check=False)


# -- validate and generate -------------------------------------------------------------------


def test_validate_accepts_the_shipped_fixtures(capsys):
    files = sorted(str(p) for p in (ROOT / "fixtures").glob("*.yaml"))
    assert cli.main(["validate", *files]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(files)
    assert out[0].startswith("ok: 73 files, 2 orq projects, 0 faults, 1 api keys (")
    assert all(line.startswith("ok: ") for line in out)


def test_validate_reports_each_bad_file_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("openai:\n  files:\n    - {filename: a.txt, purpose: evals2}\n")
    assert cli.main(["validate", str(DEFAULT), str(bad), str(tmp_path / "none.yaml")]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("ok: 73 files")
    assert captured.err.splitlines() == [
        f"{bad}:3: openai.files[0].purpose: 'evals2' is not a purpose openai accepts "
        "(assistants, batch, fine-tune, vision, user_data, evals, assistants_output, "
        "batch_output, fine-tune-results)",
        f"{tmp_path / 'none.yaml'}: cannot read the file: No such file or directory",
    ]


def test_validate_finds_ids_shared_between_files(capsys):
    assert cli.main(["validate", str(DEFAULT), str(DEFAULT)]) == 1
    assert capsys.readouterr().err == (
        f"{DEFAULT}: openai: file-invoice2026 is already stored (an earlier file has this id)\n"
    )


@pytest.mark.parametrize("vendor", ["openai", "impala", "vlmrun", "orq", "anthropic"])
def test_generate_prints_a_set_that_validates(tmp_path, capsys, vendor):
    assert cli.main(["generate", "--vendor", vendor, "--count", "5", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "generated.yaml"
    path.write_text(text)
    assert cli.main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith("ok: 5 files")
    assert len(load_fixture_file(path).records) == 5
    assert cli.main(["generate", "--vendor", vendor, "--count", "5", "--seed", "3"]) == 0
    assert capsys.readouterr().out == text


def test_generate_with_a_purpose_and_bad_input(capsys):
    assert cli.main(["generate", "--vendor", "openai", "--count", "3", "--purpose",
                     "batch"]) == 0
    assert capsys.readouterr().out.count('purpose: "batch"') == 3
    assert cli.main(["generate", "--vendor", "vlmrun", "--purpose", "user_data"]) == 2
    assert capsys.readouterr().err == (
        "fakefiles: error: --purpose: 'user_data' is not a purpose vlmrun accepts (fine-tune, "
        "assistants, assistants_output, batch, batch_output, vision, datasets)\n"
    )
    assert cli.main(["generate", "--vendor", "orq", "--count", "-1"]) == 2
    assert capsys.readouterr().err == "fakefiles: error: --count: -1 is not between 0 and 10000\n"


# -- flags, variables, help ------------------------------------------------------------------


def test_help_explains_every_flag_and_variable(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["serve", "--help"])
    assert exit_.value.code == 0
    serve_help = " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    top_help = capsys.readouterr().out
    for flag, env, help_text in cli.ENVIRONMENT:
        assert flag in serve_help and env in serve_help
        assert help_text in serve_help.replace(f" [env {env}]", "")
        assert re.search(rf"^  {flag} +{env}$", top_help, re.M)
    flags = [flag for flag, _, _ in cli.ENVIRONMENT]
    assert len(set(flags)) == len(flags) == 20
    assert all(env.startswith("FAKEFILES_") for _, env, _ in cli.ENVIRONMENT)


def test_readme_lists_every_variable():
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md is not written yet")
    text = readme.read_text()
    missing = [env for _, env, _ in cli.ENVIRONMENT if env not in text]
    assert not missing, f"README.md does not mention {missing}"


def test_flags_win_over_variables_and_lists_split():
    parser = cli.build_parser()
    environ = {
        "FAKEFILES_PORT": "9100", "FAKEFILES_HOST": "0.0.0.0",
        "FAKEFILES_FIXTURES": f"a.yaml,b.yaml{os.pathsep}c.yaml",
        "FAKEFILES_API_KEYS": "k1, k2", "FAKEFILES_CORS_ORIGINS": "http://localhost:3000",
        "FAKEFILES_V1": "none", "FAKEFILES_AUTH": "strict", "FAKEFILES_SEED": "7",
        "FAKEFILES_BODY_TIMEOUT": "2.5", "FAKEFILES_ACCESS_LOG": "yes",
        "FAKEFILES_LOG_LEVEL": "debug", "FAKEFILES_JOURNAL_SIZE": "5",
        "FAKEFILES_MAX_UPLOAD_BYTES": "1000", "FAKEFILES_V2": "orq",
    }
    environ |= {"FAKEFILES_LOOP": "asyncio", "FAKEFILES_HTTP": "h11"}
    settings, runtime = cli.settings_from(
        parser.parse_args(["serve", "--port", "9200", "--api-key", "k3", "--http", "httptools"]),
        environ,
    )
    assert (settings.port, settings.host, settings.api_keys) == (9200, "0.0.0.0", ["k3"])
    assert [str(p) for p in settings.fixtures] == ["a.yaml", "b.yaml", "c.yaml"]
    assert settings.cors_origins == ["http://localhost:3000"]  # ':' does not split origins
    assert (settings.v1, settings.v2, settings.auth, settings.seed) == (None, "orq", "strict", 7)
    assert (settings.body_timeout, settings.journal_size, settings.max_upload_bytes) == (
        2.5, 5, 1000
    )
    assert runtime == cli.Runtime("debug", True, "asyncio", "httptools")
    defaults, runtime = cli.settings_from(parser.parse_args(["serve"]), {})
    assert (defaults.port, defaults.v1, defaults.fixtures) == (8000, "openai", [])
    assert runtime == cli.Runtime("info", False, "auto", "auto")
    assert (defaults.auth, defaults.control_origins, defaults.admin_token,
            defaults.allow_fixture_keys) == ("permissive", [], None, False)


def test_control_plane_settings_from_flags_and_variables():
    parser = cli.build_parser()
    environ = {"FAKEFILES_CONTROL_ORIGINS": "http://localhost:5173, http://127.0.0.1:5173",
               "FAKEFILES_ADMIN_TOKEN": "from-env", "FAKEFILES_ALLOW_FIXTURE_KEYS": "1",
               "FAKEFILES_AUTH": "none"}
    settings, _ = cli.settings_from(parser.parse_args(["serve"]), environ)
    assert settings.control_origins == ["http://localhost:5173", "http://127.0.0.1:5173"]
    assert (settings.admin_token, settings.allow_fixture_keys, settings.auth) == (
        "from-env", True, "none")
    flags = ["serve", "--admin-token", "t0k", "--allow-fixture-keys", "--control-origin",
             "http://a.test", "--auth", "strict"]
    settings, _ = cli.settings_from(parser.parse_args(flags), environ)
    assert (settings.admin_token, settings.allow_fixture_keys, settings.auth) == (
        "t0k", True, "strict")
    assert settings.control_origins == ["http://a.test"]


@pytest.mark.parametrize(("environ", "message"), [
    ({"FAKEFILES_PORT": "eighty"}, "FAKEFILES_PORT: invalid value 'eighty'"),
    ({"FAKEFILES_PORT": "70000"}, "FAKEFILES_PORT: Input should be less than or equal to "
                                  "65535 (got 70000)"),
    ({"FAKEFILES_V1": "orq"}, "FAKEFILES_V1: 'orq' is not one of openai, impala, vlmrun, none"),
    ({"FAKEFILES_ACCESS_LOG": "maybe"}, "FAKEFILES_ACCESS_LOG: invalid value 'maybe'"),
])
def test_bad_variables_are_one_line(environ, message):
    with pytest.raises(cli.CliError, match=f"^{re.escape(message)}$"):
        cli.settings_from(cli.build_parser().parse_args(["serve"]), environ)


def test_bad_flag_exits_2_with_one_line():
    result = run("serve", "--port", "eighty")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("fakefiles serve: error: argument --port: invalid int value: "
                             "'eighty' (see fakefiles serve --help)\n")
    result = run("serve", "--v1", "azure")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "invalid choice: 'azure'" in result.stderr
    result = run()
    assert result.returncode == 2
    assert result.stderr == ("fakefiles: error: choose a command: serve, validate, generate "
                             "or verify (see fakefiles --help)\n")


def test_serve_refuses_bad_fixtures_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("openai:\n  files:\n    - {filename: a.txt, colour: red}\n")
    assert cli.main(["serve", "--fixtures", str(bad), "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        f"{bad}:3: openai.files[0].colour: unknown key (expected one of: id, filename, purpose, "
        "content, content_base64, content_path, size, content_type, created_at, expires_at)\n"
    )
    assert cli.main(["serve", "--fixtures", str(tmp_path / "gone.yaml")]) == 2
    assert capsys.readouterr().err == (
        f"{tmp_path / 'gone.yaml'}: cannot read the file: No such file or directory\n"
    )
    assert cli.main(["serve", "--fixtures", str(DEFAULT), "--fixtures", str(DEFAULT)]) == 2
    assert capsys.readouterr().err == (
        f"fakefiles: error: {DEFAULT}: openai: file-invoice2026 is already stored "
        "(an earlier fixture file has this id)\n"
    )


def test_serve_reports_a_port_in_use(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 1
    assert re.fullmatch(rf"fakefiles: error: cannot listen on 127\.0\.0\.1:{port}: .+\n",
                        capsys.readouterr().err)


# -- serve as a process ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_from_environment_answers_and_stops_on_sigterm():
    port = free_port()
    env = {**os.environ, "FAKEFILES_PORT": str(port), "FAKEFILES_FIXTURES": str(DEFAULT),
           "FAKEFILES_LOG_LEVEL": "warning"}
    process = subprocess.Popen([sys.executable, "-m", "fakefiles", "serve"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(8)]
        origin = f"http://127.0.0.1:{port}"
        assert banner[0] == f"fakefiles 0.1.0 on {origin} (73 files; auth permissive)\n"
        assert f"  openai: {origin}/openai/v1\n" in banner
        assert f"  orq: server_url={origin}/orq\n" in banner
        client = openai_client(f"{origin}/openai/v1")
        assert httpx.get(f"{origin}/_fakefiles/health").json()["status"] == "ok"
        ids = {f.id for f in client.files.list()}
        assert "file-invoice2026" in ids and len(ids) == 18
        client.close()
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        # Well under docker's 10 s before SIGKILL, with room for a busy 2-core CI machine.
        assert time.monotonic() - started < 5
        assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# -- one settings source: the CLI, create_app and the plugin agree --------------------------


def test_create_app_loads_the_fixtures_its_settings_name() -> None:
    from fakefiles import Settings, create_app

    app = create_app(Settings(fixtures=[DEFAULT]))
    assert app.state.fake.store.get("openai", "file-invoice2026") is not None


def test_create_app_reads_the_same_variables_as_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    from fakefiles import Settings, create_app

    monkeypatch.setenv("FAKEFILES_FIXTURES", str(DEFAULT))
    monkeypatch.setenv("FAKEFILES_AUTH", "strict")
    monkeypatch.setenv("FAKEFILES_API_KEYS", "k1, k2")
    monkeypatch.setenv("FAKEFILES_V1", "none")
    app = create_app()
    settings = app.state.fake.settings
    assert (settings.auth, settings.api_keys, settings.v1) == ("strict", ["k1", "k2"], None)
    assert app.state.fake.store.get("openai", "file-invoice2026") is not None
    assert Settings().auth == "permissive"  # an explicit Settings reads no environment
    assert Settings.from_env(auth="permissive").auth == "permissive"  # given fields win
    monkeypatch.setenv("FAKEFILES_PORT", "eighty")
    with pytest.raises(cli.CliError, match="FAKEFILES_PORT: invalid value 'eighty'"):
        create_app()


def test_the_plugin_reads_the_same_variables_as_serve(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_env="""
        def test_env_fixtures_and_auth(fakefiles):
            assert fakefiles.fake.settings.auth == "strict"
            assert "file-invoice2026" in [f.id for f in fakefiles.files("openai")]
    """)
    pytester._monkeypatch.setenv("FAKEFILES_FIXTURES", str(DEFAULT))
    pytester._monkeypatch.setenv("FAKEFILES_AUTH", "strict")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
