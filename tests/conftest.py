"""Shared fixtures: the app in-process and behind a live uvicorn server, both wrapped in a
:class:`~tests.contracts.ContractRecorder` so every JSON body any test receives is checked
against the seeds' schemas, and real SDK clients wired to each."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakefiles import Fake, Settings, create_app
from fakefiles.inprocess import transport_for
from fakefiles.pytest_plugin import openai_httpx_module
from fakefiles.server import LiveServer
from tests.contracts import ContractRecorder

IN_PROCESS = "http://fakefiles.test"
RAW_KEY = "sk-raw-test-0123456789"
RAW_AUTH = {"authorization": f"Bearer {RAW_KEY}"}  # any non-empty key passes default auth
JSON_TYPE = {"content-type": "application/json"}  # control POST/DELETE need it, body or not


def pytest_configure(config: pytest.Config) -> None:
    """Made-up fixture data is cached on disk (fakefiles/madeup.py): every run starts with an
    empty cache of its own, never the developer's."""
    folder = tempfile.mkdtemp(prefix="fakefiles-cache-")
    os.environ["FAKEFILES_CACHE_DIR"] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


@pytest.fixture
def fake() -> Fake:
    return Fake(Settings())


@pytest.fixture
def app(fake: Fake) -> Iterator[ContractRecorder]:
    recorder = ContractRecorder(create_app(fake=fake))
    yield recorder
    assert not recorder.failures, "\n".join(recorder.failures)


@pytest.fixture
def http(app: ContractRecorder) -> Iterator[httpx.Client]:
    """A plain httpx client on the in-process app (for raw-HTTP tests), with a key: every
    vendor but impala answers 401 without one."""
    with httpx.Client(transport=transport_for(httpx, app), base_url=IN_PROCESS,
                      headers=RAW_AUTH) as client:
        yield client


def openai_client(base_url: str, app: Any | None = None, **kwargs: Any) -> Any:
    import openai

    if app is not None:
        httpx_module = openai_httpx_module()
        kwargs["http_client"] = httpx_module.Client(transport=transport_for(httpx_module, app))
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("api_key", "sk-test-0123456789abcdef")
    return openai.OpenAI(base_url=base_url, **kwargs)


@pytest.fixture
def openai_sdk(app: ContractRecorder) -> Any:
    return openai_client(f"{IN_PROCESS}/openai/v1", app)


@pytest.fixture
def impala_sdk(app: ContractRecorder) -> Any:
    return openai_client(f"{IN_PROCESS}/impala/v1", app)


class Live:
    """A live server shared by the session; state and recorder are reset per test."""

    def __init__(self) -> None:
        self.fake = Fake(Settings())
        self.recorder = ContractRecorder(create_app(fake=self.fake))
        self.server = LiveServer(self.recorder).start()
        self.url = self.server.url


@pytest.fixture(scope="session")
def _live_session() -> Iterator[Live]:
    live = Live()
    yield live
    live.server.stop()


@pytest.fixture
def live(_live_session: Live) -> Iterator[Live]:
    _live_session.fake.reset()
    _live_session.recorder.failures.clear()
    yield _live_session
    failures = list(_live_session.recorder.failures)
    assert not failures, "\n".join(failures)
