"""Settings: one pydantic model for the CLI, the environment, docker and the pytest plugin."""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .vendors.registry import V1Choice, V2Choice

# none: every request, key or not (the old default); permissive: any non-empty key, a missing
# one gets the vendor's own 401 (as the real services answer); strict: only configured keys.
AuthMode = Literal["none", "permissive", "strict"]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    fixtures: list[Path] = Field(default_factory=list)
    # Which vendor answers the bare /v1 and /v2 prefixes (None: not mounted); the choices are
    # the registered vendors whose bare_prefix is /v1 or /v2.
    v1: V1Choice | None = "openai"
    v2: V2Choice | None = "orq"
    auth: AuthMode = "permissive"
    api_keys: list[str] = Field(default_factory=list)  # extra keys valid under strict auth
    max_upload_bytes: int = Field(512 * 1024 * 1024, gt=0)
    spool_threshold: int = Field(1024 * 1024, ge=0)
    body_timeout: float = Field(30.0, gt=0)
    vlmrun_allowed_types: list[str] = Field(default_factory=list)  # empty: every type
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])  # the vendor routes
    # The control API (/_fakefiles/) is no CORS target unless origins are named here, and
    # fixtures sent to it cannot add keys unless allowed (security.py, README "Security").
    control_origins: list[str] = Field(default_factory=list)
    admin_token: str | None = Field(None, min_length=1)
    allow_fixture_keys: bool = False
    journal_size: int = Field(1000, ge=0)
    seed: int | None = None  # seeds fault probabilities (and Faker when a fixture has none)
    link_ttl: int = Field(3600, gt=0)  # lifetime of signed public/download URLs, seconds
    signing_key: str = Field(default_factory=lambda: secrets.token_hex(32))
    data_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **given: Any) -> Settings:
        """Settings from the ``FAKEFILES_*`` variables, with ``given`` fields winning.

        The variables are the ones ``fakefiles serve`` reads, parsed by the same table
        (:data:`fakefiles.cli.OPTIONS`), so ``create_app()``, the pytest plugin and the CLI
        agree. A bad value raises ``cli.CliError`` naming the variable. ``Settings()`` itself
        reads no environment: what a test builds is what it gets.
        """
        from .cli import settings_from

        environ = os.environ if environ is None else environ
        return settings_from(argparse.Namespace(), environ, given)[0]
