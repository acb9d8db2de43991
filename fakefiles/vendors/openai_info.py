"""OpenAI, declared (``/openai/v1``, bare ``/v1``): what fixtures, settings and the pytest
plugin need to know, without the HTTP side (``openai.py``)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, ClassVar

from .. import ids
from .info import VendorInfo

if TYPE_CHECKING:
    from ..pytest_plugin import FakeFiles

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
# Fixtures may hold what a vendor's system writes too (outputs, results), not only uploads.
FIXTURE_PURPOSES = (*UPLOAD_PURPOSES, "assistants_output", "batch_output", "fine-tune-results")
TEST_KEY = "sk-fakefiles-test"


class OpenAIInfo(VendorInfo):
    name: ClassVar[str] = "openai"
    title: ClassVar[str] = "OpenAI"
    prefix: ClassVar[str] = "/openai/v1"
    bare_prefix: ClassVar[str | None] = "/v1"
    http: ClassVar[str] = "fakefiles.vendors.openai:OpenAI"
    purposes: ClassVar[tuple[str, ...]] = FIXTURE_PURPOSES
    default_purpose: ClassVar[str] = "assistants"
    generated_purposes: ClassVar[tuple[str, ...]] = UPLOAD_PURPOSES

    def new_id(self, rng: random.Random, epoch_seconds: float) -> str:
        return ids.openai_style("file-", rng)

    def client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """A real ``openai.OpenAI`` on this vendor's base URL."""
        import openai

        from ..pytest_plugin import openai_httpx_module

        httpx_module = openai_httpx_module()
        if fakefiles.in_process:
            kwargs.setdefault("http_client",
                              httpx_module.Client(**fakefiles.httpx_kwargs(httpx_module)))
        kwargs.setdefault("api_key", TEST_KEY)
        kwargs.setdefault("max_retries", 0)
        return openai.OpenAI(base_url=fakefiles.urls[self.name], **kwargs)

    def async_client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """A real ``openai.AsyncOpenAI`` on this vendor's base URL."""
        import openai

        from ..pytest_plugin import openai_httpx_module

        httpx_module = openai_httpx_module()
        if fakefiles.in_process:
            transport = fakefiles.httpx_kwargs(httpx_module, is_async=True)
            kwargs.setdefault("http_client", httpx_module.AsyncClient(**transport))
        kwargs.setdefault("api_key", TEST_KEY)
        kwargs.setdefault("max_retries", 0)
        return openai.AsyncOpenAI(base_url=fakefiles.urls[self.name], **kwargs)


INFO = OpenAIInfo()
