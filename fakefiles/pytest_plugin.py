"""pytest plugin: the ``fakefiles`` and ``fakefiles_server`` fixtures (``pytest11`` entry point).

    def test_upload(fakefiles):                 # in-process: no port, no thread
        client = fakefiles.openai()             # a real openai.OpenAI wired to the fake
        client.files.create(file=("a.txt", b"hi"), purpose="assistants")
        assert fakefiles.requests(method="POST")[-1].status == 200

    def test_sidecar_style(fakefiles_server):   # uvicorn on a free port (vlmrun needs a socket)
        vlm = fakefiles_server.vlmrun()

One fake per configuration is built once per session (per xdist worker) and reset before
every test: back to the configured fixtures, no faults, an empty journal, real time. The
live server is started once per session and shares that fake.

Configuration: ``fakefiles_fixtures`` in pytest.ini / pyproject (paths, one per line), and
``@pytest.mark.fakefiles(fixtures=[...], **settings)`` per test (any ``Settings`` field, e.g.
``auth="strict"``). SDKs are imported only when a test asks for their client.

This module imports nothing heavy at load time: it is loaded by every pytest run in an
environment where fakefiles is installed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .clock import Clock
    from .fake import Fake
    from .faults import FaultRule
    from .journal import JournalEntry
    from .server import LiveServer
    from .store import FileRecord

IN_PROCESS_ORIGIN = "http://fakefiles.test"  # security.IN_PROCESS_HOST: a name of the fake
RAW_KEY = "sk-fakefiles-test"  # what http() sends: every vendor but impala wants a key
MARKER = "fakefiles"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "fakefiles_fixtures", type="paths", default=[],
        help="fakefiles: YAML fixture files every test starts from (one per line)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixtures=[...], **settings): fixture files and Settings fields for the "
        "fakefiles / fakefiles_server fixtures of this test",
    )


class FakeFiles:
    """What a test gets: base URLs, ready SDK clients, and seed / fail / requests / clock."""

    def __init__(self, fake: Fake, app: Any, live: _LiveHolder, *, in_process: bool) -> None:
        self.fake = fake
        self.app = app
        self._live = live
        self.in_process = in_process

    # -- where things are ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The origin: ``http://fakefiles.test`` in-process, ``http://127.0.0.1:PORT`` live."""
        return IN_PROCESS_ORIGIN if self.in_process else self._live.server().url

    @property
    def urls(self) -> dict[str, str]:
        """Base URL per SDK, by vendor name (orq's SDK appends /v2 itself)."""
        return self._urls(self.url)

    @property
    def live_urls(self) -> dict[str, str]:
        """``urls`` on the live server (started on first use), for SDKs that need a socket."""
        return self._urls(self._live.server().url)

    def _urls(self, origin: str) -> dict[str, str]:
        from .vendors.registry import VENDORS

        return {name: info.sdk_base_url(origin, info.prefix) for name, info in VENDORS.items()}

    # -- clients ---------------------------------------------------------------------------

    def client(self, vendor: str, **kwargs: Any) -> Any:
        """The vendor's real SDK client on the fake (its ``<name>_info.INFO.client``)."""
        from .vendors.registry import VENDORS

        return VENDORS[vendor].client(self, **kwargs)

    def async_client(self, vendor: str, **kwargs: Any) -> Any:
        """The vendor's real async SDK client, where it has one (OpenAI, impala)."""
        from .vendors.registry import VENDORS

        return VENDORS[vendor].async_client(self, **kwargs)

    def http(self, api_key: str | None = RAW_KEY) -> Any:
        """An ``httpx.Client`` on the fake (raw HTTP) that sends ``api_key`` as a bearer key
        (None: no key) and, when the fake has one, the admin token."""
        import httpx

        return httpx.Client(base_url=self.url, headers=self._http_headers(api_key),
                            **self.httpx_kwargs(httpx))

    def async_http(self, api_key: str | None = RAW_KEY) -> Any:
        """``http()``'s ``httpx.AsyncClient``."""
        import httpx

        return httpx.AsyncClient(base_url=self.url, headers=self._http_headers(api_key),
                                 **self.httpx_kwargs(httpx, is_async=True))

    def _http_headers(self, api_key: str | None) -> dict[str, str]:
        headers = {} if api_key is None else {"Authorization": f"Bearer {api_key}"}
        if self.fake.settings.admin_token is not None:
            from .security import TOKEN_HEADER

            headers[TOKEN_HEADER] = self.fake.settings.admin_token
        return headers

    def openai(self, vendor: str = "openai", **kwargs: Any) -> Any:
        """A real ``openai.OpenAI`` (``vendor="impala"`` for impala.ai's base URL)."""
        return self.client(vendor, **kwargs)

    def impala(self, **kwargs: Any) -> Any:
        return self.client("impala", **kwargs)

    def async_openai(self, vendor: str = "openai", **kwargs: Any) -> Any:
        """A real ``openai.AsyncOpenAI`` (``vendor="impala"`` for impala.ai's base URL)."""
        return self.async_client(vendor, **kwargs)

    def vlmrun(self, **kwargs: Any) -> Any:
        """A real ``vlmrun.client.VLMRun``. It speaks ``requests``, so it always uses the
        live server (started on first use, sharing this fake's state)."""
        return self.client("vlmrun", **kwargs)

    def orq(self, api_key: str = "orq-fakefiles-test", **kwargs: Any) -> Any:
        """A real ``orq_ai_sdk.Orq``; its project follows from ``api_key``."""
        return self.client("orq", api_key=api_key, **kwargs)

    def httpx_kwargs(self, httpx_module: Any, *, is_async: bool = False) -> dict[str, Any]:
        """In-process: the transport that reaches the app (for an httpx-compatible module's
        ``Client``, or ``AsyncClient`` with ``is_async``); live: nothing."""
        if not self.in_process:
            return {}
        from .inprocess import async_transport_for, transport_for

        make = async_transport_for if is_async else transport_for
        return {"transport": make(httpx_module, self.app)}

    # -- state -----------------------------------------------------------------------------

    def seed(self, data: dict[str, Any] | str | None = None, **sections: Any) -> list[FileRecord]:
        """Add files (same schema as the YAML fixtures) for this test only.

        ``seed(openai={"files": [{"filename": "a.txt", "content": b"hi"}]})``, a dict, or
        YAML text. Bytes content is accepted. Returns the stored records. It runs in the
        test's own process, so unlike ``POST /_fakefiles/fixtures`` it may name keys and
        ``content_path`` (relative to the current directory).
        """
        from .fixtures import load_fixture_text

        if isinstance(data, str):
            text = data
        else:
            text = json.dumps(_bytes_to_base64({**(data or {}), **sections}), default=str)
        seed = load_fixture_text(text, source="fakefiles.seed()")
        self.fake.load(seed, keep=False)
        return [self.fake.store.get(r.namespace, r.id) or r for r in seed.records]

    def fail(self, **rule: Any) -> FaultRule:
        """Add a fault rule (``status=``, ``delay_ms=``, ``times=``, ``vendor=``, ``path=``…)."""
        from .faults import FaultSpec

        return self.fake.faults.add(FaultSpec(**rule))

    def requests(self, *, vendor: str | None = None, method: str | None = None,
                 path: str | None = None) -> list[JournalEntry]:
        """The journal, oldest first; ``path`` is a glob on the full path."""
        return self.fake.journal.entries(vendor=vendor, method=method, path=path)

    def files(self, namespace: str = "openai") -> list[FileRecord]:
        """Stored records of a vendor (``"orq/<project_id>"`` for an orq project)."""
        return sorted(self.fake.store.records(namespace), key=lambda r: r.sort_key)

    @property
    def clock(self) -> Clock:
        return self.fake.clock

    def reset(self) -> None:
        self.fake.reset()


def openai_httpx_module() -> Any:
    """openai 1.x/2.x are built on httpx, 3.x on httpx2: use whichever this one imports."""
    from openai import _base_client

    return getattr(_base_client, "httpx2", None) or getattr(_base_client, "httpx")  # noqa: B009


def _bytes_to_base64(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "content" and isinstance(item, (bytes, bytearray)):
                out["content_base64"] = base64.b64encode(bytes(item)).decode()
            else:
                out[key] = _bytes_to_base64(item)
        return out
    if isinstance(value, list):
        return [_bytes_to_base64(item) for item in value]
    return value


class _LiveHolder:
    """Starts the live server for one fake on first use; stopped at session end."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._server: LiveServer | None = None

    def server(self) -> LiveServer:
        if self._server is None:
            from .server import LiveServer

            self._server = LiveServer(self.app).start()
        return self._server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


class _Fakes:
    """Session cache: one (fake, app, live server holder) per distinct configuration."""

    def __init__(self) -> None:
        self._by_key: dict[str, tuple[Fake, Any, _LiveHolder]] = {}

    def get(self, fixtures: list[Path], settings: dict[str, Any]) -> tuple[Fake, Any, _LiveHolder]:
        key = json.dumps([[str(p) for p in fixtures], settings], sort_keys=True, default=str)
        if key not in self._by_key:
            from .app import create_app
            from .fake import Fake
            from .settings import Settings

            # FAKEFILES_* variables apply as for `fakefiles serve`; the ini and marker win.
            configured: dict[str, Any] = {"fixtures": fixtures} if fixtures else {}
            fake = Fake(Settings.from_env(**configured, **settings))  # loads the fixtures
            app = create_app(fake=fake)
            self._by_key[key] = (fake, app, _LiveHolder(app))
        return self._by_key[key]

    def close(self) -> None:
        from .inprocess import close

        for fake, app, live in self._by_key.values():
            live.stop()
            close(app)
            fake.close()  # releases a data directory


@pytest.fixture(scope="session")
def _fakefiles_cache() -> Iterator[_Fakes]:
    cache = _Fakes()
    yield cache
    cache.close()


def _configuration(request: pytest.FixtureRequest) -> tuple[list[Path], dict[str, Any]]:
    fixtures: list[Path] = list(request.config.getini("fakefiles_fixtures"))
    settings: dict[str, Any] = {}
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        settings = dict(marker.kwargs)
        listed = settings.pop("fixtures", None)
        if listed is not None:
            listed = [listed] if isinstance(listed, (str, Path)) else listed
            fixtures = [_resolve(Path(p), request) for p in listed]
    return fixtures, settings


def _resolve(path: Path, request: pytest.FixtureRequest) -> Path:
    if path.is_absolute():
        return path
    beside_test = request.path.parent / path
    return beside_test if beside_test.exists() else request.config.rootpath / path


@pytest.fixture
def fakefiles(request: pytest.FixtureRequest, _fakefiles_cache: _Fakes) -> FakeFiles:
    """The fake in-process (no port, no thread), reset to the configured fixtures."""
    fake, app, live = _fakefiles_cache.get(*_configuration(request))
    fake.reset()
    return FakeFiles(fake, app, live, in_process=True)


@pytest.fixture
def fakefiles_server(request: pytest.FixtureRequest, _fakefiles_cache: _Fakes) -> FakeFiles:
    """The fake behind a real uvicorn server on a free port, started once per session."""
    fake, app, live = _fakefiles_cache.get(*_configuration(request))
    live.server()
    fake.reset()
    return FakeFiles(fake, app, live, in_process=False)
