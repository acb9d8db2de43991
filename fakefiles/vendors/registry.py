"""Every vendor the fake serves, in mount order: the one list the rest of fakefiles reads.

A vendor is ``fakefiles/vendors/<name>_info.py`` (its :class:`~.info.VendorInfo`, named
``INFO``, no HTTP), ``fakefiles/vendors/<name>.py`` (its HTTP side, the class ``INFO.http``
names) and ``fakefiles/specs/<name>.json`` (its OpenAPI document). Adding one is those three
files and its name in :data:`REGISTERED`.

The app mounts, the bare /v1 and /v2 choices (settings, CLI), the fixture format, the fault
and journal vocabularies, the control API's state and the pytest plugin's clients are all
derived from :data:`VENDORS`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Literal

from .info import VendorInfo

REGISTERED = ("openai", "impala", "vlmrun", "orq", "anthropic", "gemini")


def _load(name: str) -> VendorInfo:
    info: VendorInfo = importlib.import_module(f"{__package__}.{name}_info").INFO
    assert info.name == name, f"{name}_info.INFO is named {info.name!r}"
    return info


VENDORS: dict[str, VendorInfo] = {name: _load(name) for name in REGISTERED}


def bare_choices(bare_prefix: str) -> tuple[str, ...]:
    """The vendors that may answer a bare prefix ("/v1", "/v2")."""
    return tuple(name for name, info in VENDORS.items() if info.bare_prefix == bare_prefix)


def secret_headers() -> frozenset[str]:
    """Every vendor's key headers, lowercase: the journal masks them."""
    return frozenset(h.lower() for info in VENDORS.values() for h in info.key_headers)


def secret_params() -> frozenset[str]:
    """Every vendor's key query parameters: the journal masks them."""
    return frozenset(p for info in VENDORS.values() for p in info.key_params)


def expose_headers() -> list[str]:
    """Response headers a browser page may read: the shared ones and each vendor's."""
    names = ["content-disposition", "x-request-id", "retry-after"]
    for info in VENDORS.values():
        names += [h.lower() for h in (*info.id_headers, *info.expose_headers)
                  if h.lower() not in names]
    return names


def literal(names: tuple[str, ...]) -> Any:
    """``Literal[names]`` built at run time (pydantic validates against it)."""
    return Literal[names]


if TYPE_CHECKING:
    VendorChoice = str
    V1Choice = str
    V2Choice = str
else:
    VendorChoice = literal(REGISTERED)
    V1Choice = literal(bare_choices("/v1"))
    V2Choice = literal(bare_choices("/v2"))
