"""fakefiles: a local fake of the OpenAI, impala.ai, VLM Run and orq.ai Files APIs.

The public API is what ``__all__`` lists (a test keeps it honest): the app factory, its
settings model, the fake's state object, and the pytest fixtures' handle type. Names resolve
lazily, so the pytest plugin (loaded by every pytest run where fakefiles is installed) costs
no Starlette import until a test uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .fake import Fake
    from .pytest_plugin import FakeFiles
    from .settings import Settings

__all__ = ["Fake", "FakeFiles", "Settings", "create_app"]
__version__ = "0.1.0"

_HOMES = {"create_app": "app", "Fake": "fake", "FakeFiles": "pytest_plugin",
          "Settings": "settings"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'fakefiles' has no attribute {name!r}")
