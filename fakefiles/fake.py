"""The running fake's state: settings, clock, store, faults, journal, vendors, seeds.

One :class:`Fake` per app. ``reset()`` puts it back to exactly the seeds it was loaded with
(files, faults, keys, each vendor's own seed data such as orq's projects), with no extra
faults, an empty journal and real time. Seeds are built by :mod:`fakefiles.fixtures` (which
knows YAML); this module only applies them. It imports no HTTP library: the vendors' HTTP
classes (from the registry) are imported when a Fake is built.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .faults import FaultBook, FaultSpec
from .journal import SECRET_HEADERS, Journal
from .settings import Settings
from .store import DuplicateId, FileRecord, FileStore
from .vendors.registry import VENDORS, secret_headers, secret_params

if TYPE_CHECKING:
    from .persist import DataDir
    from .vendors.base import Vendor


@dataclass
class Seed:
    """Data to load: what one fixture file (or one ``seed(...)`` call) contributes."""

    records: list[FileRecord] = field(default_factory=list)
    faults: list[FaultSpec] = field(default_factory=list)
    api_keys: list[str] = field(default_factory=list)
    # Per vendor, what else its fixture section declared (orq: its OrqProjects).
    vendor_data: dict[str, list[Any]] = field(default_factory=dict)
    source: str = "<seed>"


class Fake:
    def __init__(self, settings: Settings | None = None,
                 seeds: Iterable[Seed] | None = None) -> None:
        """A fake loaded with ``seeds``, by default those of ``settings.fixtures`` (read
        first, so a bad fixture file stops before a data directory is touched).

        Raises FixtureError, DuplicateId (naming the file) or persist.DataDirError.
        """
        self.settings = settings or Settings()
        if seeds is None:
            from .fixtures import load_fixture_file

            seeds = [load_fixture_file(path, seed=self.settings.seed)
                     for path in self.settings.fixtures]
        self.clock = Clock()
        self.store = FileStore(self.clock)
        self.data: DataDir | None = None  # --data-dir: where the store is persisted
        if self.settings.data_dir is not None:
            self._open_data_dir()
        self.faults = FaultBook(self.settings.seed)
        self.journal = Journal(self.settings.journal_size, SECRET_HEADERS | secret_headers(),
                               secret_params())
        self.seeds: list[Seed] = []
        self._lock = threading.RLock()
        self._known_keys: set[str] = set(self.settings.api_keys)
        self.vendors: dict[str, Vendor] = {
            name: info.http_class()(self) for name, info in VENDORS.items()
        }
        try:
            for seed in seeds:
                try:  # a resumed data directory already holds the seeds' files (or not)
                    self.load(seed, records=not self.resumed)
                except DuplicateId as exc:
                    raise DuplicateId(f"{seed.source}: {exc} (an earlier fixture file has "
                                      "this id)") from None
            if self.data is not None:
                self.data.mark_seeded()  # only now: a crash before it seeds again
        except BaseException:
            self.close()
            raise

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
        for name, data in seed.vendor_data.items():
            self._known_keys.update(self.vendors[name].load(data))
        self._known_keys.update(seed.api_keys)

    def reset(self) -> None:
        with self._lock:
            # The seeds' files replace the store's in one step (and, with a data directory,
            # in one rename: a crash leaves the old state or this one).
            self.store.reset([record for seed in self.seeds for record in seed.records])
            self.faults.clear()
            self.journal.clear()
            self.clock.real()
            self._known_keys = set(self.settings.api_keys)
            for vendor in self.vendors.values():
                vendor.reset()
            for seed in self.seeds:
                self._apply(replace(seed, records=[]))

    # -- keys ------------------------------------------------------------------------------

    def key_is_valid(self, key: str | None) -> bool:
        """Under strict auth: a key from the settings, a fixture's ``api_keys`` or a vendor's
        seed data (orq's project keys)."""
        return key is not None and key in self._known_keys
