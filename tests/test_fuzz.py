"""Schemathesis fuzzing of every vendor against its own OpenAPI document (fakefiles/specs/).

Each operation gets ``FAKEFILES_FUZZ_EXAMPLES`` generated requests (15 in ``make test``, 200 in
``make fuzz``), valid ones and deliberately invalid ones, derandomized so a run is repeatable.
Every response must be no 5xx and conform to the document: a documented status code, the
documented content type, a body that validates against the documented schema (and, through
the ContractRecorder, against the seeds). Then a bounded stateful run follows the documents'
OpenAPI links (create → retrieve/download/rename → delete → retrieve again).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from functools import cache
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from fakefiles import Settings, create_app, specs
from tests.contracts import ContractRecorder

EXAMPLES = int(os.environ.get("FAKEFILES_FUZZ_EXAMPLES", "15"))
VENDORS = {"openai": "/openai/v1", "impala": "/impala/v1", "vlmrun": "/vlmrun/v1",
           "orq": "/orq/v2", "anthropic": "/anthropic/v1",
           "gemini": "/gemini"}
# Gemini's create is two requests (start, then the bytes to the URL it answers) and its
# documents carry no links: the stateful run has nothing to follow there.
LINKED = [vendor for vendor in VENDORS if vendor != "gemini"]
# One key throughout, so orq's per-key projects hold still while a scenario follows its links.
AUTH = {"Authorization": "Bearer sk-fuzz-0123456789", "x-goog-api-key": "AIza-fuzz-0123456789"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# After a delete the file must be gone; right after a create it must be there.
STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]
METHODS = ("get", "put", "post", "patch", "delete")

SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples every run: a failure reproduces
    database=None,  # nothing written under .hypothesis/
    deadline=None,  # timing on a loaded 2-core machine is not what is under test
    suppress_health_check=list(HealthCheck),
)


@cache
def recorder() -> ContractRecorder:
    """One app per worker for the whole module: state piles up, as it would in real use."""
    return ContractRecorder(create_app(Settings()))


@cache
def schema(vendor: str) -> Any:
    """The document as the app serves it, so serving it is fuzzed too."""
    loaded = schemathesis.openapi.from_asgi(f"{VENDORS[vendor]}/openapi.json", recorder())
    loaded.validate()  # a valid OpenAPI 3.1 document, or the fuzz means nothing
    return loaded


def operations() -> Iterator[Any]:
    for vendor in VENDORS:
        for path, item in specs.document(vendor)["paths"].items():
            if path == "/openapi.json":  # the document itself takes no input
                continue
            for method in METHODS:
                if method in item:
                    yield pytest.param(vendor, method.upper(), path,
                                       id=f"{vendor} {method.upper()} {path}")


@pytest.fixture(autouse=True)
def _contracts_hold() -> Iterator[None]:
    yield
    failures = recorder().failures
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize(("vendor", "method", "path"), list(operations()))
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_operation_conforms(vendor: str, method: str, path: str, mode: GenerationMode) -> None:
    operation = schema(vendor)[path][method]
    statuses: Counter[int] = Counter()

    @SETTINGS
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        response = case.call(headers=AUTH)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    fuzz()
    assert sum(statuses.values()) >= 1
    assert all(status < 500 for status in statuses)
    if mode is GenerationMode.POSITIVE and method == "POST" and path == "/files":
        # Valid uploads must get through, or the fuzz never reached the happy path.
        assert any(200 <= status < 300 for status in statuses), statuses


def make_machine(vendor: str) -> tuple[type[Any], Counter[str]]:
    """The document's link graph as a state machine; counts the links it followed to a 2xx."""
    followed: Counter[str] = Counter()

    class Machine(schema(vendor).as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Each scenario starts from an empty fake, so Hypothesis can replay it exactly.
            recorder().state.fake.reset()

        def step(self, input: Any) -> Any:
            output = super().step(input)
            transition = input.transition
            if transition is not None and not transition.is_inferred and input.is_applied \
                    and output.response.status_code < 300:
                followed[transition.id] += 1
            return output

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": AUTH}

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=STATEFUL_CHECKS,
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    return Machine, followed


@pytest.mark.parametrize("vendor", LINKED)
def test_links_create_retrieve_delete(vendor: str) -> None:
    machine, followed = make_machine(vendor)
    machine.run(settings=hypothesis.settings(
        SETTINGS, stateful_step_count=6,
    ))
    # Some scenario got from a create to a successful follow-up through a link.
    assert followed, f"no link of {vendor}'s document was followed to a 2xx"

