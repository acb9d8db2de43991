"""fakefiles: a local fake of the OpenAI, impala.ai, VLM Run and orq.ai Files APIs."""

from __future__ import annotations

from .app import create_app
from .fake import Fake
from .settings import Settings

__all__ = ["Fake", "Settings", "create_app"]
__version__ = "0.1.0"
