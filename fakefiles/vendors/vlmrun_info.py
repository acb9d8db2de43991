"""VLM Run, declared (``/vlmrun/v1``, may answer bare ``/v1``). HTTP side: ``vlmrun.py``."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, ClassVar

from .. import ids
from .info import VendorInfo

if TYPE_CHECKING:
    from ..pytest_plugin import FakeFiles

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "datasets")  # the server's enum
DEFAULT_PURPOSE = "assistants"
# vlmrun 0.9.2's FileResponse.purpose Literal: what the SDK accepts in a response.
RESPONSE_PURPOSES = ("fine-tune", "assistants", "assistants_output", "batch", "batch_output",
                     "vision", "datasets")


class VlmRunInfo(VendorInfo):
    name: ClassVar[str] = "vlmrun"
    title: ClassVar[str] = "VLM Run"
    prefix: ClassVar[str] = "/vlmrun/v1"
    bare_prefix: ClassVar[str | None] = "/v1"
    http: ClassVar[str] = "fakefiles.vendors.vlmrun:VlmRun"
    purposes: ClassVar[tuple[str, ...]] = RESPONSE_PURPOSES
    default_purpose: ClassVar[str] = DEFAULT_PURPOSE
    generated_purposes: ClassVar[tuple[str, ...]] = UPLOAD_PURPOSES
    file_path_words: ClassVar[frozenset[str]] = frozenset(
        {"hash", "presigned-url", "verify-upload", "upload"})

    def new_id(self, rng: random.Random, epoch_seconds: float) -> str:
        return ids.uuid4(rng)

    def client(self, fakefiles: FakeFiles, **kwargs: Any) -> Any:
        """A real ``vlmrun.client.VLMRun``. It speaks ``requests``, so it always uses the
        live server (started on first use, sharing this fake's state)."""
        from vlmrun.client import VLMRun  # type: ignore[import-untyped, unused-ignore]

        kwargs.setdefault("api_key", "vlmrun-fakefiles-test")
        kwargs.setdefault("max_retries", 1)
        return VLMRun(base_url=fakefiles.live_urls[self.name], **kwargs)


INFO = VlmRunInfo()
