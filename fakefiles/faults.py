"""Injectable faults (WireMock's vocabulary): status, body, headers, delay, reset, one-shot
and flaky rules.

A :class:`FaultSpec` is what a user writes (YAML, control API, pytest ``fail(...)``, or the
``X-Fakefiles-Fault`` header); a :class:`FaultRule` is a spec in force, with its id and how
often it matched and fired. Rules are checked before any route runs, so a failed upload
stores nothing.
"""

from __future__ import annotations

import random
import secrets
import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .vendors.registry import VendorChoice

HEADER = "x-fakefiles-fault"


class FaultSpec(BaseModel):
    """One rule. Every ``match`` field left out matches anything."""

    model_config = ConfigDict(extra="forbid")

    vendor: VendorChoice | None = None
    method: str | None = None
    path: str | None = Field(None, description="glob on the path after the vendor prefix")
    file_id: str | None = None
    status: int | None = Field(None, ge=100, le=599)
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    delay_ms: int = Field(0, ge=0, le=600_000)
    times: int | None = Field(None, ge=1, description="retire after firing this many times")
    probability: float = Field(1.0, ge=0.0, le=1.0)
    seed: int | None = Field(None, description="seeds this rule's own probability draws "
                             "(a fixture file with a seed sets one per rule)")
    reset: bool = False

    @model_validator(mode="after")
    def _does_something(self) -> FaultSpec:
        if self.status is None and not self.reset and self.delay_ms == 0:
            raise ValueError("a fault needs at least one of status, reset or delay_ms")
        if self.body is not None and self.status is None:
            raise ValueError("body needs a status")
        if self.method is not None:
            self.method = self.method.upper()
        return self


@dataclass
class FaultRule:
    id: str
    spec: FaultSpec
    matched: int = 0  # requests that matched every field (whether or not it fired)
    fired: int = 0
    # The rule's own draws when its spec has a seed: its pattern then depends on nothing else.
    draws: random.Random | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.draws is None and self.spec.seed is not None:
            self.draws = random.Random(self.spec.seed)

    @property
    def retired(self) -> bool:
        return self.spec.times is not None and self.fired >= self.spec.times

    def matches(self, vendor: str | None, method: str, path: str, file_id: str | None) -> bool:
        spec = self.spec
        return (
            (spec.vendor is None or spec.vendor == vendor)
            and (spec.method is None or spec.method == method)
            and (spec.path is None or fnmatchcase(path, spec.path))
            and (spec.file_id is None or spec.file_id == file_id)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.spec.model_dump(exclude_defaults=True),
            "matched": self.matched,
            "fired": self.fired,
            "retired": self.retired,
        }


class FaultBook:
    """The rules in force, checked in the order they were added; the first that fires wins."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._seed = seed
        self._random = random.Random(seed)

    def add(self, spec: FaultSpec) -> FaultRule:
        rule = FaultRule(id="flt_" + secrets.token_hex(6), spec=spec)
        with self._lock:
            self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    @property
    def empty(self) -> bool:
        """No rule in force: the request hot path skips fault matching (read without the lock,
        as ``pick`` does)."""
        return not self._rules

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        """Drop every rule and restart the random source, so flaky patterns replay."""
        with self._lock:
            self._rules = []
            self._random = random.Random(self._seed)

    def pick(
        self, vendor: str | None, method: str, path: str, file_id: str | None
    ) -> FaultRule | None:
        if not self._rules:  # the hot path: no faults configured
            return None
        with self._lock:
            for rule in self._rules:
                if rule.retired or not rule.matches(vendor, method, path, file_id):
                    continue
                rule.matched += 1
                draws = rule.draws or self._random
                if rule.spec.probability < 1.0 and draws.random() >= rule.spec.probability:
                    continue
                rule.fired += 1
                return rule
        return None


def parse_header(value: str) -> FaultSpec:
    """``422``, ``500;delay_ms=200``, ``reset``, ``delay_ms=300``, ``429;retry_after=2``."""
    fields: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for token in (t.strip() for t in value.split(";")):
        if not token:
            continue
        key, sep, raw = token.partition("=")
        key = key.strip().lower()
        if not sep:
            if key == "reset":
                fields["reset"] = True
            elif key.isdigit():
                fields["status"] = int(key)
            else:
                raise ValueError(f"unknown fault token '{token}'")
        elif key in ("delay_ms", "status"):
            fields[key] = int(raw)
        elif key == "retry_after":
            headers["Retry-After"] = raw.strip()
        else:
            raise ValueError(f"unknown fault setting '{key}'")
    if headers:
        fields["headers"] = headers
    return FaultSpec(**fields)
