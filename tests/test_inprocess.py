"""The in-process transports from async code: a sync client where a loop already runs (an
async test, an async app's worker threads), the async client in pytest-asyncio and anyio
tests, a client that gives up (the app sees the disconnect), and loops that get closed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from typing import Any

import anyio
import httpx
import pytest

from fakefiles import Fake, Settings, create_app, inprocess
from fakefiles.pytest_plugin import openai_httpx_module
from tests.conftest import IN_PROCESS, openai_client


def async_openai_client(app: Any) -> Any:
    import openai

    httpx_module = openai_httpx_module()
    transport = inprocess.async_transport_for(httpx_module, app)
    return openai.AsyncOpenAI(base_url=f"{IN_PROCESS}/openai/v1", api_key="sk-test-async",
                              max_retries=0, http_client=httpx_module.AsyncClient(
                                  transport=transport))


def upload_and_list(app: Any, name: str) -> list[str]:
    client = openai_client(f"{IN_PROCESS}/openai/v1", app)
    with client:
        client.files.create(file=(name, b"sync"), purpose="assistants")
        return [f.filename for f in client.files.list()]


@pytest.mark.asyncio
async def test_sync_client_inside_a_running_loop(app: Any) -> None:
    # The sync SDK called straight from an async test: a loop runs in this thread.
    assert upload_and_list(app, "in-loop.txt") == ["in-loop.txt"]


@pytest.mark.anyio
async def test_sync_client_in_a_loops_worker_threads(app: Any) -> None:
    # What an async app does with sync code: run it in worker threads, several at once.
    async with anyio.create_task_group() as group:
        for n in range(4):
            group.start_soon(anyio.to_thread.run_sync, upload_and_list, app, f"w{n}.txt")
    assert app.app.state.fake.store.count("openai")[0] == 4


@pytest.mark.asyncio
async def test_async_openai_with_pytest_asyncio(app: Any) -> None:
    client = async_openai_client(app)
    async with client:
        created = await client.files.create(file=("a.png", b"async"), purpose="vision")
        assert (await client.files.content(created.id)).content == b"async"
        listed = await asyncio.gather(*(client.files.retrieve(created.id) for _ in range(8)))
        assert {f.id for f in listed} == {created.id}


@pytest.mark.anyio
async def test_async_openai_with_anyio(app: Any) -> None:
    client = async_openai_client(app)
    async with client:
        created = await client.files.create(file=("b.txt", b"anyio"), purpose="assistants")
        page = await client.files.list()
        assert [f.id for f in page.data] == [created.id]


@pytest.mark.asyncio
async def test_a_dropped_connection_looks_like_a_socket_in_both_transports(app: Any) -> None:
    async with httpx.AsyncClient(transport=inprocess.async_transport_for(httpx, app),
                                 base_url=IN_PROCESS) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/openai/v1/files", headers={"x-fakefiles-fault": "reset"})
    with httpx.Client(transport=inprocess.transport_for(httpx, app),
                      base_url=IN_PROCESS) as sync_client:
        with pytest.raises(httpx.RemoteProtocolError):
            sync_client.get("/openai/v1/files", headers={"x-fakefiles-fault": "reset"})


@pytest.mark.asyncio
async def test_a_client_that_gives_up_is_a_disconnect_to_the_app() -> None:
    seen: list[str] = []
    done = threading.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        try:
            seen.append((await receive())["type"])  # the body
            seen.append((await receive())["type"])  # then waits, like a socket, until...
        finally:
            done.set()

    async with httpx.AsyncClient(transport=inprocess.async_transport_for(httpx, app),
                                 base_url=IN_PROCESS) as client:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get("/"), 0.3)
    assert await asyncio.to_thread(done.wait, 5)
    assert seen == ["http.request", "http.disconnect"]
    inprocess.close(app)


def test_the_sync_client_from_the_apps_own_loop_is_refused_not_a_hang() -> None:
    app = create_app(Settings())

    async def handler_calling_back() -> str:
        try:
            upload_and_list(app, "x.txt")
        except Exception as exc:  # the SDK wraps it: find the cause
            while exc.__cause__ is not None or exc.__context__ is not None:
                exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
            return str(exc)
        return "no error"

    runner = inprocess._runner(app)
    message = runner.submit(handler_calling_back()).result(timeout=10)
    assert "app's own loop" in message
    inprocess.close(app)


def test_close_ends_the_loop_thread() -> None:
    fake = Fake(Settings())
    app = create_app(fake=fake)
    assert upload_and_list(app, "c.txt") == ["c.txt"]
    threads = [t for t in threading.enumerate() if t.name == "fakefiles-inprocess"]
    assert threads
    inprocess.close(app)
    assert upload_and_list(app, "again.txt")  # a later request starts a new loop thread
    inprocess.close(app)


def test_no_resource_warning_at_exit() -> None:
    code = (
        "import httpx, warnings\n"
        "from fakefiles import create_app\n"
        "from fakefiles.inprocess import transport_for\n"
        "app = create_app()\n"
        "with httpx.Client(transport=transport_for(httpx, app), base_url='http://t') as c:\n"
        "    assert c.get('/_fakefiles/health').status_code == 200\n"
    )
    result = subprocess.run([sys.executable, "-X", "dev", "-W", "error::ResourceWarning",
                             "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ResourceWarning" not in result.stderr and "unclosed" not in result.stderr
