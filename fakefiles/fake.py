"""The running fake's state: settings, clock, store, faults, journal, vendors, seeds.

One :class:`Fake` per app. ``reset()`` puts it back to exactly the seeds it was loaded with
(files, faults, orq projects), with no extra faults, an empty journal and real time. Seeds
are built by :mod:`fakefiles.fixtures` (which knows YAML); this module only applies them.
"""

from __future__ import annotations

import functools
import hashlib
import random
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .clock import Clock
from .faults import FaultBook, FaultSpec
from .ids import ulid
from .journal import Journal
from .settings import Settings
from .store import DuplicateId, FileRecord, FileStore
from .vendors.base import Vendor
from .vendors.impala import Impala
from .vendors.openai import OpenAI

if TYPE_CHECKING:
    from .persist import DataDir


@functools.lru_cache(maxsize=4096)
def derived_project(key: str) -> str:
    """The project of a key no fixture names (cached: seeding a Random costs ~10 µs a request)."""
    digest = hashlib.sha256(key.encode()).digest()
    return "proj_" + ulid(1_700_000_000 + digest[0], random.Random(digest))


@dataclass
class OrqProject:
    project_id: str
    api_keys: list[str] = field(default_factory=list)


@dataclass
class Seed:
    """Data to load: what one fixture file (or one ``seed(...)`` call) contributes."""

    records: list[FileRecord] = field(default_factory=list)
    faults: list[FaultSpec] = field(default_factory=list)
    orq_projects: list[OrqProject] = field(default_factory=list)
    api_keys: list[str] = field(default_factory=list)
    source: str = "<seed>"


class Fake:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = Clock()
        self.store = FileStore(self.clock)
        self.data: DataDir | None = None  # --data-dir: where the store is persisted
        if self.settings.data_dir is not None:
            self._open_data_dir()
        self.faults = FaultBook(self.settings.seed)
        self.journal = Journal(self.settings.journal_size)
        self.seeds: list[Seed] = []
        self._lock = threading.RLock()
        self._orq_keys: dict[str, list[str]] = {}  # api key -> project ids, from seeds
        self._known_keys: set[str] = set(self.settings.api_keys)
        self.vendors: dict[str, Vendor] = {}
        for vendor_class in self.vendor_classes():
            self.vendors[vendor_class.name] = vendor_class(self)

    def _open_data_dir(self) -> None:
        """Restore the store from the data directory (raises persist.DataDirError)."""
        from .persist import DataDir

        assert self.settings.data_dir is not None
        self.data = DataDir(self.settings.data_dir, self.settings.spool_threshold)
        if "signing_key" not in self.settings.model_fields_set:  # links outlive a restart
            self.settings = self.settings.model_copy(
                update={"signing_key": self.data.signing_key}
            )
        try:
            self.data.restore(self.store)
        except BaseException:
            self.data.close()
            raise

    @property
    def resumed(self) -> bool:
        """The data directory held a previous run's files (fixtures' files are not re-put)."""
        return self.data is not None and self.data.resumed

    def close(self) -> None:
        """Release the data directory (a no-op without one)."""
        if self.data is not None:
            self.data.close()

    @staticmethod
    def vendor_classes() -> list[type[Vendor]]:
        from .vendors.orq import Orq
        from .vendors.vlmrun import VlmRun

        return [OpenAI, Impala, VlmRun, Orq]

    # -- seeds -------------------------------------------------------------------------------

    def load(self, seed: Seed, *, keep: bool = True, records: bool = True) -> None:
        """Apply a seed now; with ``keep`` it is also re-applied by every ``reset()``.

        All or nothing: a duplicate id leaves the store as it was. ``records=False`` applies
        all but its files (they are already in a resumed data directory) for now; a reset
        puts them again.
        """
        with self._lock:
            for record in seed.records if records else []:
                if self.store.get(record.namespace, record.id) is not None:
                    raise DuplicateId(f"{record.namespace}: {record.id} is already stored")
            self._apply(seed if records else replace(seed, records=[]))
            if keep:
                self.seeds.append(seed)

    def _apply(self, seed: Seed) -> None:
        for record in seed.records:
            self.store.put(record)
        for spec in seed.faults:
            self.faults.add(spec)
        for project in seed.orq_projects:
            for key in project.api_keys:
                projects = self._orq_keys.setdefault(key, [])
                if project.project_id not in projects:
                    projects.append(project.project_id)
                self._known_keys.add(key)
        self._known_keys.update(seed.api_keys)

    def reset(self) -> None:
        with self._lock:
            self.store.clear()
            self.faults.clear()
            self.journal.clear()
            self.clock.real()
            self._orq_keys.clear()
            self._known_keys = set(self.settings.api_keys)
            for vendor in self.vendors.values():
                vendor.reset()
            for seed in self.seeds:
                self._apply(seed)

    # -- keys and projects -----------------------------------------------------------------

    def key_is_valid(self, key: str | None) -> bool:
        return key is not None and key in self._known_keys

    def orq_projects_for(self, key: str | None) -> list[str]:
        """The orq projects a key may use; the first is its default.

        A key no fixture names gets one project derived from the key, so the same key
        always lands in the same project and two keys never share files by accident.
        """
        with self._lock:
            configured = self._orq_keys.get(key or "")
            if configured:
                return list(configured)
        return [derived_project(key or "")]
