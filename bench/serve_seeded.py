"""Launch fakefiles (or the bare reference) under uvicorn with N files per vendor prefix.

``python -m bench.serve_seeded --port P --files N --manifest out.json [--app reference]``.

For fakefiles it builds a :class:`~fakefiles.Fake`, uploads one template file per vendor
prefix through the app in-process (so each vendor fills in its own fields), and clones it
N-1 times straight into the store (older ``created_at``, fresh ids in the vendor's format):
scale tests need no N HTTP uploads. The reference is filled from its own dicts. Either way it
then probes the routes the benchmark drives, writes them to the manifest (ids, paths, why a
route is missing) and serves with the benchmark's uvicorn settings.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from fakefiles import Fake, Settings, create_app
from fakefiles.blobs import blob_from_bytes
from fakefiles.fake import Seed
from fakefiles.inprocess import transport_for
from fakefiles.server import listening_socket, uvicorn_config

from .vendors import AUTH, PAGE, PROFILES, Call, Profile, file_id_in, id_like

SMALL_UPLOAD = 1024  # bytes in the upload the load generator repeats


def send(client: httpx.Client, call: Call) -> tuple[int, Any]:
    response = client.request(call.method, call.path, headers=call.headers, content=call.body)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


def send_full(client: httpx.Client, call: Call) -> tuple[int, Any, dict[str, str]]:
    """``send`` with the response headers too."""
    response = client.request(call.method, call.path, headers=call.headers, content=call.body)
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body, dict(response.headers)


def seed_fakefiles(fake: Fake, client: httpx.Client, prefix: str, profile: Profile,
                   args: argparse.Namespace, rng: random.Random) -> tuple[str, str] | str:
    """(newest id, id at the deep position), or why the vendor cannot be seeded."""
    data = rng.randbytes(args.content_bytes)
    upload_file = getattr(profile, "upload_file", None)  # Gemini: two requests
    if upload_file is not None:
        status, body = upload_file(lambda call: send_full(client, call), prefix, data)
    else:
        status, body = send(client, profile.upload(prefix, data))
    file_id = file_id_in(body) if 200 <= status < 300 else None
    template = next((r for r in fake.store.records() if r.id == file_id), None)
    if template is None:
        return f"n/a (route missing: upload → {status})"
    clones = []
    for i in range(args.files - 1):
        created_at = template.created_at - args.files + i
        blob = template.blob
        if args.distinct:  # each file its own bytes, as uploads would have
            blob = blob_from_bytes(rng.randbytes(args.content_bytes))
        clones.append(replace(
            template, id=id_like(template.id, rng, created_at), created_at=created_at,
            blob=blob, extra=dict(template.extra), seq=0,
        ))
    fake.load(Seed(records=clones, source="bench"))
    cursor = fake.store.page(template.namespace, limit=1, offset=deep(args.files)).records[0]
    return template.id, cursor.id


def seed_reference(files: Any, args: argparse.Namespace, rng: random.Random) -> tuple[str, str]:
    from .reference_app import seed

    return seed(files, args.files, args.content_bytes, rng, args.distinct)


def deep(files: int) -> int:
    """The position (newest first) of the deep page's cursor: the middle."""
    return min(files // 2, max(files - 1, 0))


def describe(client: httpx.Client, prefix: str, profile: Profile, ids: tuple[str, str] | str,
             args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    """The manifest entry of one vendor prefix: paths that answer 2xx, or why not."""
    entry: dict[str, Any] = {"prefix": prefix, "vendor": profile.name, "paths": {}, "missing": {}}
    if isinstance(ids, str):
        entry["missing"]["all"] = ids
        return entry
    file_id, cursor = ids
    position = deep(args.files)
    entry.update(files=args.files, id=file_id, deep_position=position)

    def fetch(path: str) -> tuple[int, Any]:
        return send(client, Call("GET", path, AUTH))

    candidates = {
        "get": profile.get(prefix, file_id),
        "list": profile.list_first(prefix),
        "list_deep": profile.list_deep(prefix, cursor, position),
        "content": profile.content(prefix, file_id, fetch),
    }
    for name, path in candidates.items():
        status = fetch(path)[0] if path else 0
        if 200 <= status < 300:
            entry["paths"][name] = path
        else:
            entry["missing"][name] = f"n/a (route missing: {status or 'no link'})"
    small = profile.upload(prefix, rng.randbytes(SMALL_UPLOAD), "small.bin")
    status = send(client, small)[0]
    if hasattr(profile, "upload_file"):  # one request of a two-request upload: not comparable
        entry["missing"]["upload"] = "n/a (two-request resumable upload)"
    elif 200 <= status < 300:
        body_file = args.manifest.parent / f"upload-{profile.name}.bin"
        body_file.write_bytes(small.body)
        entry["upload"] = {"method": small.method, "path": small.path, "headers": small.headers,
                           "body_file": str(body_file)}
    else:
        entry["missing"]["upload"] = f"n/a (route missing: upload → {status})"
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=["fakefiles", "reference"], default="fakefiles")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--files", type=int, default=100, help="files per vendor prefix")
    parser.add_argument("--content-bytes", type=int, default=64 * 1024)
    parser.add_argument("--distinct", action="store_true", help="own content for every file")
    parser.add_argument("--vendors", default="", help="comma-separated; default: all")
    parser.add_argument("--max-upload-bytes", type=int, default=None)
    parser.add_argument("--manifest", type=Path, required=True)
    args = parser.parse_args(argv)

    wanted = {v for v in args.vendors.split(",") if v}
    rng = random.Random(1234)
    entries: list[dict[str, Any]] = []
    if args.app == "reference":
        from .reference_app import PREFIXES
        from .reference_app import create_app as reference_app

        app = reference_app()
        mounts = [(prefix, name) for name, prefix in PREFIXES.items()]
    else:
        overrides: dict[str, Any] = {}
        if args.max_upload_bytes:
            overrides["max_upload_bytes"] = args.max_upload_bytes
        fake = Fake(Settings(**overrides))
        app = create_app(fake=fake)
        mounts = [(prefix, vendor.name) for prefix, vendor in app.state.mounts]
    seen: set[str] = set()
    with httpx.Client(transport=transport_for(httpx, app), base_url="http://bench") as client:
        for prefix, name in mounts:
            if name in seen or (wanted and name not in wanted):
                continue  # bare /v1 and /v2 are aliases of a prefix already measured
            seen.add(name)
            profile = PROFILES.get(name)
            if profile is None:
                entries.append({"prefix": prefix, "vendor": name, "paths": {},
                                "missing": {"all": "n/a (no bench profile)"}})
                continue
            ids: tuple[str, str] | str
            if args.app == "reference":
                ids = seed_reference(app.state.vendors[name], args, rng)
            else:
                ids = seed_fakefiles(fake, client, prefix, profile, args, rng)
            entries.append(describe(client, prefix, profile, ids, args, rng))
    if args.app == "fakefiles":
        fake.journal.clear()
    args.manifest.write_text(json.dumps({"vendors": entries}, indent=1))
    # Served as fakefiles serve serves: its listening socket and uvicorn settings.
    sock = listening_socket("127.0.0.1", args.port)
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])


def live_manifest(base_url: str, files: int, workdir: Path) -> dict[str, Any]:
    """The manifest of a server started elsewhere (``fakefiles serve``, the reference) holding
    ``files`` files per vendor prefix: ids read from its lists, routes probed over HTTP."""
    from .reference_app import PREFIXES

    args = argparse.Namespace(files=files, manifest=workdir / "manifest.json")
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1234)
    entries: list[dict[str, Any]] = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for name, prefix in PREFIXES.items():
            profile = PROFILES[name]
            listing = profile.list_first(prefix).replace(f"limit={PAGE}", f"limit={files}")
            status, body = send(client, Call("GET", listing, AUTH))
            rows = body if isinstance(body, list) else (body or {}).get("data", [])
            found = [file_id_in(row) for row in rows] if 200 <= status < 300 else []
            ids: tuple[str, str] | str = f"n/a (route missing: list → {status})"
            if found and all(found):
                ids = (str(found[0]), str(found[min(deep(files), len(found) - 1)]))
            entries.append(describe(client, prefix, profile, ids, args, rng))
    manifest = {"vendors": entries}
    args.manifest.write_text(json.dumps(manifest, indent=1))
    return manifest


if __name__ == "__main__":
    main()
