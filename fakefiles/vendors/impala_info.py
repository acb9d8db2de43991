"""impala.ai, declared (``/impala/v1``, may answer bare ``/v1``): an OpenAI dialect, so its
SDK is the ``openai`` one pointed at this prefix. HTTP side: ``impala.py``."""

from __future__ import annotations

from typing import ClassVar

from .info import FixtureModel, VendorFiles
from .openai_info import OpenAIInfo

# The "Upload File" page of docs.getimpala.ai lists evals among the upload purposes (seed 001
# did not); responses (and fixtures) keep seed 001's eight-value enum, without evals.
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
# Seed 001's response enum: what a stored file (and the list filter) may have.
RESPONSE_PURPOSES = (
    "assistants", "assistants_output", "batch", "batch_output",
    "fine-tune", "fine-tune-results", "vision", "user_data",
)


class ImpalaInfo(OpenAIInfo):
    name: ClassVar[str] = "impala"
    title: ClassVar[str] = "impala.ai"
    prefix: ClassVar[str] = "/impala/v1"
    bare_prefix: ClassVar[str | None] = "/v1"
    http: ClassVar[str] = "fakefiles.vendors.impala:Impala"
    purposes: ClassVar[tuple[str, ...]] = RESPONSE_PURPOSES
    # What users upload, within what fixtures may hold (the response enum has no evals).
    generated_purposes: ClassVar[tuple[str, ...]] = tuple(
        p for p in UPLOAD_PURPOSES if p in RESPONSE_PURPOSES)
    fixture_section: ClassVar[type[FixtureModel]] = VendorFiles  # no Uploads API
    seed_kind: ClassVar[str | None] = None


INFO = ImpalaInfo()
