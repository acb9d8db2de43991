"""The Docker sidecar without a docker engine: the image's own ENTRYPOINT, ENV and HEALTHCHECK,
read from the Dockerfile, run here as a subprocess.

The image's ENV is used as is, except FAKEFILES_PORT (a free port) and FAKEFILES_FIXTURES
(/fixtures is the repo's fixtures/, as `COPY fixtures /fixtures` makes it). The compose.yaml
example and the README's docker examples are checked against the same Dockerfile.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from fakefiles.cli import ENVIRONMENT
from tests.browser.readme_examples import readme_example

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 20.0
# docker stop waits 10 s before SIGKILL; the fake must not need it (the stop itself takes
# well under a second, the rest is room for a busy 2-core CI machine).
STOP_TIMEOUT = 5.0


@dataclass
class Image:
    """What the Dockerfile says about the running container."""

    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    healthcheck_options: dict[str, str] = field(default_factory=dict)
    expose: list[str] = field(default_factory=list)
    user: str = "root"
    copies: list[tuple[list[str], str]] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if line.strip().startswith("#") or (not pending and not line.strip()):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).strip().partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends in a continuation line"
    return result


def exec_form(args: str, what: str) -> list[str]:
    """Exec (JSON) form only: a shell form would put /bin/sh between docker and the server."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), what
    return value


def parse_dockerfile(text: str) -> Image:
    image = Image()
    for keyword, args in instructions(text):
        if keyword == "ENV":
            for pair in shlex.split(args):
                name, sep, value = pair.partition("=")
                assert sep, f"ENV {pair}: use the NAME=value form"
                image.env[name] = value
        elif keyword == "ENTRYPOINT":
            image.entrypoint = exec_form(args, "ENTRYPOINT must be in exec form")
        elif keyword == "HEALTHCHECK":
            options, sep, command = args.partition(" CMD ")
            assert sep, "HEALTHCHECK needs a CMD"
            image.healthcheck = exec_form(command.strip(), "HEALTHCHECK CMD in exec form")
            for option in options.split():
                name, _, value = option.removeprefix("--").partition("=")
                image.healthcheck_options[name] = value
        elif keyword == "EXPOSE":
            image.expose += args.split()
        elif keyword == "USER":
            image.user = args
        elif keyword == "COPY":
            *sources, target = shlex.split(args)
            image.copies.append((sources, target))
    return image


@pytest.fixture(scope="module")
def image() -> Image:
    return parse_dockerfile((ROOT / "Dockerfile").read_text())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def host_path(container_path: str, image: Image) -> Path:
    """Where a path under a COPY target lives in this checkout."""
    path = PurePosixPath(container_path)
    for sources, target in image.copies:
        if len(sources) == 1 and path.is_relative_to(target):
            return ROOT / sources[0] / path.relative_to(target)
    raise AssertionError(f"{container_path} is not copied into the image")


def container_env(image: Image, port: int) -> dict[str, str]:
    """The image's ENV, nothing from the developer's FAKEFILES_* variables; PATH finds this
    venv's `fakefiles` and `python` as the image's PATH finds its own."""
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}
    env.update(image.env)
    env["FAKEFILES_PORT"] = str(port)
    env["FAKEFILES_FIXTURES"] = str(host_path(image.env["FAKEFILES_FIXTURES"], image))
    return env


def run_healthcheck(command: list[str], env: dict[str, str]) -> int:
    return subprocess.run(command, env=env, capture_output=True, timeout=10, check=False).returncode


@dataclass
class Container:
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    url: str
    log: Path  # the server's stdout and stderr (a file: a full pipe would block the server)
    healthy_after: float = 0.0

    def get(self, path: str) -> tuple[int, Any]:
        request = urllib.request.Request(self.url + path,
                                         headers={"Authorization": "Bearer sk-docker"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)

    def stop(self) -> str:
        """Kill it if still running; what it printed."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        return self.log.read_text(errors="replace")


def start(image: Image, tmp_path: Path) -> Container:
    """Run the ENTRYPOINT as docker would, and wait until the HEALTHCHECK passes."""
    port = free_port()
    env = container_env(image, port)
    assert run_healthcheck(image.healthcheck, env) != 0, "healthy before the server started"
    started = time.monotonic()
    log = tmp_path / "container.log"
    with log.open("wb") as out:
        process = subprocess.Popen(image.entrypoint, env=env, cwd=tmp_path,
                                   stdout=out, stderr=subprocess.STDOUT)
    container = Container(process, env, f"http://127.0.0.1:{port}", log)
    while run_healthcheck(image.healthcheck, env) != 0:
        if process.poll() is not None or time.monotonic() - started > START_TIMEOUT:
            raise AssertionError(f"never healthy:\n{container.stop()}")
        time.sleep(0.05)
    container.healthy_after = time.monotonic() - started
    return container


@pytest.fixture(scope="module")
def container(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """One running entrypoint for the tests that only read from it."""
    running = start(image, tmp_path_factory.mktemp("container"))
    yield running
    running.stop()


def test_dockerfile_is_a_conventional_sidecar_image(image: Image) -> None:
    assert image.entrypoint == ["fakefiles", "serve"]
    assert image.user not in ("root", "0", "") and not image.user.startswith(("root:", "0:"))
    assert image.expose == [image.env["FAKEFILES_PORT"]] == ["8000"]
    assert image.env["FAKEFILES_HOST"] == "0.0.0.0"  # reachable from other containers
    assert image.env["FAKEFILES_FIXTURES"] == "/fixtures/default.yaml"
    assert host_path(image.env["FAKEFILES_FIXTURES"], image).is_file()
    assert any("/_fakefiles/health" in part for part in image.healthcheck)
    assert image.healthcheck[0] == "python"  # slim images have no curl
    assert {"interval", "timeout", "start-period", "retries"} <= set(image.healthcheck_options)
    # Each FAKEFILES_* variable the image sets is one `fakefiles serve` reads.
    read = {env for _, env, _ in ENVIRONMENT}
    assert {name for name in image.env if name.startswith("FAKEFILES_")} <= read


def test_docker_build_context_has_every_copied_path(image: Image) -> None:
    """`docker build .` works unchanged: each COPY source exists and .dockerignore keeps it."""
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]

    def ignored(path: str) -> bool:
        verdict = False  # the last matching rule wins, as in docker
        for rule in rules:
            pattern = rule.removeprefix("!").removeprefix("**/")
            if fnmatchcase(path, pattern) or fnmatchcase(path.rsplit("/", 1)[-1], pattern):
                verdict = not rule.startswith("!")
        return verdict

    for sources, _ in image.copies:
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: missing from the repo"
            assert not ignored(source), f"COPY {source}: excluded by .dockerignore"
    assert ignored(".venv") and ignored(".git") and ignored("tests")


def test_entrypoint_gets_healthy_and_serves_every_vendor(container: Container) -> None:
    assert container.healthy_after < 10
    status, health = container.get("/_fakefiles/health")
    assert (status, health) == (200, {"status": "ok"})
    status, files = container.get("/openai/v1/files")
    assert status == 200 and files["object"] == "list"
    assert files["data"], "the image's default fixtures seed some OpenAI files"
    assert container.get("/impala/v1/files")[0] == 200
    status, vlm_files = container.get("/vlmrun/v1/files")
    assert status == 200 and isinstance(vlm_files, list)
    status, orq_files = container.get("/orq/v2/files")
    assert status == 200 and orq_files["object"] == "list"


def test_sigterm_stops_the_entrypoint_before_docker_would_kill_it(
    image: Image, tmp_path: Path
) -> None:
    container = start(image, tmp_path)
    try:
        container.get("/openai/v1/files")  # a connection was served before the stop
        sent = time.monotonic()
        container.process.send_signal(signal.SIGTERM)
        code = container.process.wait(timeout=10)
        took = time.monotonic() - sent
    finally:
        log = container.stop()
    assert took < STOP_TIMEOUT, f"SIGTERM to exit took {took:.2f} s"
    assert code == 0, log


# -- compose.yaml and the README -------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_runs_the_sidecar_next_to_an_app(compose: dict[str, Any], image: Image) -> None:
    fake, app = compose["services"]["fakefiles"], compose["services"]["app"]
    assert fake["build"] == "."
    assert f"8000:{image.expose[0]}" in fake["ports"]
    health = " ".join(fake["healthcheck"]["test"])
    assert f"127.0.0.1:{image.expose[0]}/_fakefiles/health" in health
    mounts = {volume.split(":")[1] for volume in fake["volumes"]}
    fixtures = fake["environment"]["FAKEFILES_FIXTURES"]
    assert fixtures == image.env["FAKEFILES_FIXTURES"]
    assert str(PurePosixPath(fixtures).parent) in mounts
    assert set(fake["environment"]) <= {env for _, env, _ in ENVIRONMENT}
    assert app["depends_on"]["fakefiles"]["condition"] == "service_healthy"
    assert app["environment"]["OPENAI_BASE_URL"] == f"http://fakefiles:{image.expose[0]}/openai/v1"


def test_compose_healthcheck_and_app_work_against_the_entrypoint(
    compose: dict[str, Any], container: Container
) -> None:
    """The compose commands, run here; only the service's address becomes the free port."""
    port = container.url.rsplit(":", 1)[1]
    fake, app = compose["services"]["fakefiles"], compose["services"]["app"]
    kind, *health = fake["healthcheck"]["test"]
    assert kind == "CMD"
    health = [part.replace(":8000/", f":{port}/") for part in health]
    assert run_healthcheck(health, container.env) == 0

    env = {"PATH": container.env["PATH"], **app["environment"]}
    env["OPENAI_BASE_URL"] = env["OPENAI_BASE_URL"].replace("fakefiles:8000", f"127.0.0.1:{port}")
    done = subprocess.run(app["command"], env=env, capture_output=True, text=True, timeout=20,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("app: ") and "files in the fake" in done.stdout


def test_readme_compose_example_is_compose_yaml() -> None:
    block, source = readme_example("compose.yaml")
    assert block == (ROOT / "compose.yaml").read_text(), f"{source.name} and compose.yaml differ"


def test_readme_docker_run_example_matches_the_image(image: Image) -> None:
    block, source = readme_example("docker-run")
    commands = [shlex.split(line) for line in block.splitlines() if line.strip()]
    build = next(c for c in commands if c[:2] == ["docker", "build"])
    run = next(c for c in commands if c[:2] == ["docker", "run"])
    tag = build[build.index("-t") + 1]
    assert build[-1] == "." and run[-1] == tag, f"{source.name}: build and run another image"
    published = run[run.index("-p") + 1]
    assert published.rsplit(":", 1)[1] in image.expose
    mount = run[run.index("-v") + 1].split(":")
    assert mount[1] == str(PurePosixPath(image.env["FAKEFILES_FIXTURES"]).parent)
