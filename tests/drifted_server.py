"""``fakefiles serve`` with one vendor deliberately altered: the stand-in for a real service
that has drifted, for tests/test_verify.py (this machine cannot reach the vendors).

    python tests/drifted_server.py DRIFT [fakefiles serve flags…]

DRIFT is ``none`` (an identical fake), ``openai-rename`` (OpenAI file objects say ``size``
where they said ``bytes``), ``openai-status`` (an unknown file answers 400, not 404) or
``orq-rename`` (orq files say ``name`` for ``file_name``). The switch lives here, in the
tests: the shipped package has no way to drift.
"""

from __future__ import annotations

import sys
from typing import Any

from fakefiles.cli import main
from fakefiles.errors import NotFound
from fakefiles.store import FileRecord
from fakefiles.vendors.openai import OpenAI
from fakefiles.vendors.orq import Orq


def rename(cls: type[Any], old: str, new: str) -> None:
    original = cls.record_json

    def record_json(self: Any, record: FileRecord, request: Any = None) -> dict[str, Any]:
        body: dict[str, Any] = original(self, record, request)
        return {new if key == old else key: value for key, value in body.items()}

    cls.record_json = record_json


def unknown_file_is_400() -> None:
    def not_found(self: OpenAI, file_id: str) -> NotFound:
        return NotFound(f"No such File object: {file_id}", param="id", status=400)

    OpenAI.not_found = not_found  # type: ignore[method-assign]


DRIFTS = {
    "none": lambda: None,
    "openai-rename": lambda: rename(OpenAI, "bytes", "size"),
    "openai-status": unknown_file_is_400,
    "orq-rename": lambda: rename(Orq, "file_name", "name"),
}

if __name__ == "__main__":
    DRIFTS[sys.argv[1]]()
    sys.exit(main(["serve", *sys.argv[2:]]))
