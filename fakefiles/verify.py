"""``fakefiles verify``: the fake against the real service, by wire shape.

One scripted Files workflow runs twice, against the vendor's real API (``--base-url``,
``--api-key``) and against a fresh in-process fake (or ``--fake-url``). Each step's answer is
reduced to its *shape*: the status code, the body's fields with their JSON types (``null``
counts as a type, so nullability shows), and the presence of the headers clients read
(``content-type``, ``content-disposition``, ``x-request-id``). Values never count: ids,
sizes and times differ between any two runs. Every file the workflow creates on the real
service is deleted again, also when a step fails.

The exit status is 0 when the shapes agree, 1 when they differ (the diff says where), 2 when
the workflow could not run (bad flags, no connection).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

# What a client reads besides the body: the media type, the file name of a download, and
# the request id (the SDKs put it on every error). Compared by presence, never by value.
READ_HEADERS = ("content-type", "content-disposition", "x-request-id")
UNKNOWN_FILE = "file-fakefilesverify0000000000"
# One line in the chat fine-tuning format, so the real API takes the file as training data.
FINE_TUNE_LINE = (b'{"messages": [{"role": "user", "content": "ping"}, '
                  b'{"role": "assistant", "content": "pong"}]}\n')


def shape(value: Any) -> Any:
    """The JSON type tree of ``value``: objects by field, lists by their first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


@dataclass
class Answer:
    """One step's answer, as far as verify compares it."""

    status: int
    body: Any  # the shape of a JSON body, or "<bytes>" for anything else
    headers: dict[str, str]

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        media = response.headers.get("content-type", "").split(";")[0].strip()
        try:
            body = shape(response.json()) if media.endswith("json") else "<bytes>"
        except ValueError:
            body = "<not JSON>"
        headers = {name: (media if name == "content-type" else "present")
                   for name in READ_HEADERS if name in response.headers}
        return cls(response.status_code, body, headers)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body, "headers": self.headers}


def differences(real: Any, fake: Any, where: str) -> Iterator[str]:
    """Human-readable lines, one per place where two shapes differ."""
    if isinstance(real, dict) and isinstance(fake, dict):
        for key in sorted(set(real) | set(fake)):
            here = f"{where}.{key}"
            if key not in fake:
                yield f"{here}: the service sends it ({describe(real[key])}), the fake does not"
            elif key not in real:
                yield f"{here}: the fake sends it ({describe(fake[key])}), the service does not"
            else:
                yield from differences(real[key], fake[key], here)
    elif isinstance(real, list) and isinstance(fake, list):
        if real and fake:
            yield from differences(real[0], fake[0], f"{where}[0]")
    elif real != fake:
        yield f"{where}: the service has {describe(real)}, the fake {describe(fake)}"


def describe(node: Any) -> str:
    if isinstance(node, dict):
        return "an object"
    if isinstance(node, list):
        return "a list"
    return str(node)


@dataclass
class Run:
    """One side of the comparison: a client, and what the workflow created on it."""

    client: httpx.Client
    answers: dict[str, Answer] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # file ids to delete at the end
    values: dict[str, Any] = field(default_factory=dict)  # ids later steps need

    def step(self, name: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        self.answers[name] = Answer.of(response)
        return response

    def keep(self, response: httpx.Response, key: str, *, file: bool = True) -> None:
        """Remember the id a response created (``file``: delete it at the end)."""
        try:
            body = response.json()
        except ValueError:
            return
        value = body.get("id") if isinstance(body, dict) else None
        if isinstance(value, str):
            self.values[key] = value
            if file:
                self.created.append(value)


Workflow = Callable[[Run], None]


def openai_workflow(run: Run) -> None:
    """The OpenAI Files and Uploads APIs, one call of each kind and the usual refusals."""
    tag = uuid.uuid4().hex[:8]
    batch = run.step("upload a batch file", "POST", "/files",
                     data={"purpose": "batch"},
                     files={"file": (f"verify-{tag}.jsonl", b'{"verify": 1}\n')})
    run.keep(batch, "batch")
    batch_id = run.values.get("batch", UNKNOWN_FILE)
    run.step("retrieve it", "GET", f"/files/{batch_id}")
    run.step("list the newest batch file", "GET", "/files",
             params={"purpose": "batch", "limit": 1})
    run.step("list after an unknown id", "GET", "/files", params={"after": UNKNOWN_FILE})
    run.step("download a batch file", "GET", f"/files/{batch_id}/content")
    assistants = run.step("upload an assistants file", "POST", "/files",
                          data={"purpose": "assistants"},
                          files={"file": (f"verify-{tag}.txt", b"verify")})
    run.keep(assistants, "assistants")
    run.step("download an assistants file", "GET",
             f"/files/{run.values.get('assistants', UNKNOWN_FILE)}/content")
    tune = run.step("upload a fine-tune file", "POST", "/files",
                    data={"purpose": "fine-tune"},
                    files={"file": (f"verify-{tag}.jsonl", FINE_TUNE_LINE)})
    run.keep(tune, "fine-tune")
    run.step("download a fine-tune file", "GET",
             f"/files/{run.values.get('fine-tune', UNKNOWN_FILE)}/content")
    run.step("retrieve an unknown file", "GET", f"/files/{UNKNOWN_FILE}")
    run.step("upload with an unknown purpose", "POST", "/files",
             data={"purpose": "no-such-purpose"},
             files={"file": (f"verify-{tag}.txt", b"verify")})
    run.step("create an upload with an unknown field", "POST", "/uploads", json={
        "bytes": 1, "filename": f"verify-{tag}.txt", "mime_type": "text/plain",
        "purpose": "assistants", "fakefiles_verify": True})
    upload = run.step("create an upload", "POST", "/uploads", json={
        "bytes": 14, "filename": f"verify-{tag}.jsonl", "mime_type": "text/jsonl",
        "purpose": "batch"})
    run.keep(upload, "upload", file=False)
    upload_id = run.values.get("upload", "upload_unknown")
    part = run.step("add a part", "POST", f"/uploads/{upload_id}/parts",
                    files={"data": ("part", b'{"verify": 1}\n')})
    run.keep(part, "part", file=False)
    done = run.step("complete the upload", "POST", f"/uploads/{upload_id}/complete",
                    json={"part_ids": [run.values.get("part", "part_unknown")]})
    made = done.json().get("file") if done.status_code == 200 else None
    if isinstance(made, dict) and isinstance(made.get("id"), str):
        run.created.append(made["id"])
    other = run.step("create an upload to cancel", "POST", "/uploads", json={
        "bytes": 1, "filename": f"verify-{tag}.txt", "mime_type": "text/plain",
        "purpose": "assistants"})
    run.keep(other, "cancel", file=False)
    run.step("cancel it", "POST", f"/uploads/{run.values.get('cancel', 'upload_x')}/cancel")
    run.step("delete the batch file", "DELETE", f"/files/{batch_id}")
    if batch_id in run.created:
        run.created.remove(batch_id)
    run.step("delete it again", "DELETE", f"/files/{batch_id}")


def impala_workflow(run: Run) -> None:
    """impala.ai: OpenAI's Files API without Uploads, in FastAPI's dialect."""
    tag = uuid.uuid4().hex[:8]
    batch = run.step("upload a batch file", "POST", "/files", data={"purpose": "batch"},
                     files={"file": (f"verify-{tag}.jsonl", b'{"verify": 1}\n')})
    run.keep(batch, "batch")
    batch_id = run.values.get("batch", UNKNOWN_FILE)
    run.step("retrieve it", "GET", f"/files/{batch_id}")
    run.step("list the newest batch file", "GET", "/files",
             params={"purpose": "batch", "limit": 1})
    run.step("download it", "GET", f"/files/{batch_id}/content")
    run.step("retrieve an unknown file", "GET", f"/files/{UNKNOWN_FILE}")
    run.step("upload with an unknown purpose", "POST", "/files",
             data={"purpose": "no-such-purpose"},
             files={"file": (f"verify-{tag}.txt", b"verify")})
    run.step("list with limit 0", "GET", "/files", params={"limit": 0})
    run.step("delete the batch file", "DELETE", f"/files/{batch_id}")
    if batch_id in run.created:
        run.created.remove(batch_id)


def orq_workflow(run: Run) -> None:
    """orq.ai Files v2: JSON base64 uploads, cursor lists, rename, download URL."""
    tag = uuid.uuid4().hex[:8]
    made = run.step("upload a file", "POST", "/files", json={
        "filename": f"verify-{tag}.md", "content": "IyB2ZXJpZnk=",
        "purpose": "FILE_PURPOSE_RETRIEVAL"})
    file_id = None
    if made.status_code == 200 and isinstance(made.json().get("file"), dict):
        file_id = made.json()["file"].get("file_id")
        if isinstance(file_id, str):
            run.created.append(file_id)
    file_id = file_id or "file_unknown"
    run.step("retrieve it", "GET", f"/files/{file_id}")
    run.step("list one", "GET", "/files", params={"limit": 1})
    run.step("rename it", "PATCH", f"/files/{file_id}", json={"file_name": f"v-{tag}.md"})
    run.step("get its download URL", "GET", f"/files/{file_id}/content")
    run.step("retrieve an unknown file", "GET", "/files/file_01JZZZZZZZZZZZZZZZZZZZZZZZ")
    run.step("upload without content", "POST", "/files", json={"filename": "x.md"})
    run.step("delete it", "DELETE", f"/files/{file_id}")
    if file_id in run.created:
        run.created.remove(file_id)


def vlmrun_workflow(run: Run) -> None:
    """VLM Run: multipart upload with purpose in the query, skip/limit lists, hash lookup."""
    tag = uuid.uuid4().hex.encode()
    made = run.step("upload a file", "POST", "/files", params={"purpose": "assistants"},
                    files={"file": ("verify.txt", b"verify " + tag)})
    run.keep(made, "file")
    file_id = run.values.get("file", "00000000-0000-4000-8000-000000000000")
    run.step("retrieve it", "GET", f"/files/{file_id}")
    run.step("list one", "GET", "/files", params={"skip": 0, "limit": 1})
    run.step("retrieve an unknown file", "GET", "/files/00000000-0000-4000-8000-000000000000")
    run.step("upload with an unknown purpose", "POST", "/files",
             params={"purpose": "no-such-purpose"}, files={"file": ("v.txt", b"v")})
    run.step("delete it", "DELETE", f"/files/{file_id}")
    if file_id in run.created:
        run.created.remove(file_id)


# The scripted workflow per vendor, and where `verify` finds its key without --api-key.
WORKFLOWS: dict[str, Workflow] = {
    "openai": openai_workflow, "impala": impala_workflow, "vlmrun": vlmrun_workflow,
    "orq": orq_workflow,
}
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "impala": "IMPALA_API_KEY",
                 "vlmrun": "VLMRUN_API_KEY", "orq": "ORQ_API_KEY"}


def run_workflow(vendor: str, client: httpx.Client) -> Run:
    """The workflow on one side; whatever it created is deleted before this returns."""
    run = Run(client)
    try:
        WORKFLOWS[vendor](run)
    finally:
        for file_id in run.created:
            try:
                client.delete(f"/files/{file_id}")
            except httpx.HTTPError:
                pass  # best effort: reported as left behind below
    return run


@dataclass
class Report:
    vendor: str
    steps: list[dict[str, Any]]

    @property
    def differs(self) -> bool:
        return any(step["differences"] for step in self.steps)

    def text(self) -> str:
        lines = [f"fakefiles verify --vendor {self.vendor}: {len(self.steps)} steps"]
        for step in self.steps:
            mark = "DIFF" if step["differences"] else "same"
            lines.append(f"  [{mark}] {step['step']}")
            lines += [f"         {line}" for line in step["differences"]]
        count = sum(1 for step in self.steps if step["differences"])
        lines.append(f"{count} step(s) differ" if count else "no differences")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {"vendor": self.vendor, "differs": self.differs, "steps": self.steps}


def compare(vendor: str, real: Run, fake: Run) -> Report:
    steps = []
    for name in list(dict.fromkeys([*real.answers, *fake.answers])):
        ra, fa = real.answers.get(name), fake.answers.get(name)
        if ra is None or fa is None:
            found = ["the step ran on one side only"]
        else:
            found = []
            if ra.status != fa.status:
                found.append(f"status: the service answers {ra.status}, the fake {fa.status}")
            found += differences(ra.body, fa.body, "body")
            found += differences(ra.headers, fa.headers, "headers")
        steps.append({"step": name, "differences": found,
                      "service": None if ra is None else ra.to_json(),
                      "fake": None if fa is None else fa.to_json()})
    return Report(vendor, steps)


def in_process_fake(vendor: str) -> httpx.Client:
    from . import Settings, create_app
    from .inprocess import transport_for
    from .vendors.registry import VENDORS

    return httpx.Client(transport=transport_for(httpx, create_app(Settings())),
                        base_url="http://fakefiles" + VENDORS[vendor].prefix)


def verify(vendor: str, base_url: str, api_key: str, fake_url: str | None = None,
           timeout: float = 60.0) -> Report:
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers,
                      timeout=timeout) as service:
        real = run_workflow(vendor, service)
    if fake_url is not None:
        fake_client = httpx.Client(base_url=fake_url.rstrip("/"), timeout=timeout)
    else:
        fake_client = in_process_fake(vendor)
    with fake_client:
        fake_client.headers["Authorization"] = "Bearer fakefiles-verify"
        fake = run_workflow(vendor, fake_client)
    return compare(vendor, real, fake)


def render(report: Report, as_json: bool) -> str:
    if as_json:
        return json.dumps(report.to_json(), indent=2) + "\n"
    return report.text()
