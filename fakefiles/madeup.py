"""Made-up fixture data (Faker's file names and generated content), kept between runs.

Importing Faker and making up the default fixtures' content costs more than the rest of
``fakefiles serve``'s start-up together, and a seeded fixture makes the same bytes every
run. So what a seeded fixture made up is written once to a cache file, named by a hash of
everything it depends on (the fixture's text and name, its seed, the Faker version and the
source of the modules that make it up), and read back instead of importing Faker at all.

The cache directory is ``FAKEFILES_CACHE_DIR``, else ``$XDG_CACHE_HOME/fakefiles``, else
``~/.cache/fakefiles``. It is only an optimisation: a directory that cannot be written, or a
file that cannot be read or parsed, means the data is made up again, never an error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__

FORMAT = 1
_SOURCES = ("fixtures.py", "samples.py")  # the code that makes the data up


def cache_dir() -> Path | None:
    configured = os.environ.get("FAKEFILES_CACHE_DIR", "").strip()
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return Path(xdg) / "fakefiles"
    home = Path.home()
    return home / ".cache" / "fakefiles" if str(home) not in ("", "/") else None


def _key(salt: str, text: str) -> str | None:
    try:
        faker_version = metadata.version("Faker")
        here = Path(__file__).parent
        code = b"".join((here / name).read_bytes() for name in _SOURCES)
    except (metadata.PackageNotFoundError, OSError):
        return None
    digest = hashlib.sha256()
    for part in (str(FORMAT), __version__, faker_version, salt, text):
        digest.update(part.encode() + b"\0")
    digest.update(code)
    return digest.hexdigest()[:32]


class MadeUp:
    """Values by name: read from the cache file, or made (and written at :meth:`save`)."""

    def __init__(self, salt: str | None, text: str) -> None:
        """``salt`` None: the data is random on every load, so nothing is cached."""
        self.path: Path | None = None
        self.values: dict[str, Any] = {}
        self.changed = False
        folder = cache_dir() if salt is not None else None
        key = _key(salt, text) if folder is not None and salt is not None else None
        if folder is None or key is None:
            return
        self.path = folder / f"fixture-{key}.json"
        try:
            loaded = json.loads(self.path.read_bytes())
            if (isinstance(loaded, dict) and loaded.get("format") == FORMAT
                    and isinstance(loaded.get("values"), dict)):
                self.values = loaded["values"]
        except (OSError, ValueError):
            pass

    def text(self, name: str, make: Callable[[], str]) -> str:
        found = self.values.get(name)
        if isinstance(found, list) and len(found) == 2 and found[0] == "s":
            return str(found[1])
        value = make()
        self._keep(name, ["s", value])
        return value

    def data(self, name: str, make: Callable[[], bytes]) -> bytes:
        found = self.values.get(name)
        if isinstance(found, list) and len(found) == 2 and found[0] == "b":
            try:
                return base64.b64decode(found[1], validate=True)
            except (TypeError, ValueError):
                pass
        value = make()
        self._keep(name, ["b", base64.b64encode(value).decode()])
        return value

    def _keep(self, name: str, value: list[str]) -> None:
        self.values[name] = value
        self.changed = True

    def save(self) -> None:
        """Write what was made up (atomically); a failure only means no cache."""
        if self.path is None or not self.changed:
            return
        text = json.dumps({"format": FORMAT, "values": self.values})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False,
                                             suffix=".tmp") as out:
                temporary = Path(out.name)
                out.write(text)
            os.replace(temporary, self.path)
        except OSError:
            if "temporary" in locals():
                temporary.unlink(missing_ok=True)
