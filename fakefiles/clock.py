"""Real or controlled time, so expiry and ``created_at`` are testable.

Everything in fakefiles that needs "now" asks a :class:`Clock`. By default it follows the
wall clock; a test (or ``POST /_fakefiles/clock``) can pin it to a date or move it forward,
and ``real()`` hands it back to the wall clock.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0  # seconds added to the wall clock
        self._frozen: float | None = None  # when set, time stands still at this epoch

    def now(self) -> float:
        """Epoch seconds (float)."""
        frozen = self._frozen
        if frozen is not None:
            return frozen
        return time.time() + self._offset

    def set(self, when: float | datetime) -> None:
        """Jump to ``when`` and keep running from there."""
        epoch = when.timestamp() if isinstance(when, datetime) else float(when)
        with self._lock:
            self._frozen = None
            self._offset = epoch - time.time()

    def freeze(self, when: float | datetime | None = None) -> None:
        """Stop time at ``when`` (default: now) until ``advance``, ``set`` or ``real``."""
        epoch = self.now() if when is None else (
            when.timestamp() if isinstance(when, datetime) else float(when)
        )
        with self._lock:
            self._frozen = epoch

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def real(self) -> None:
        """Back to the wall clock."""
        with self._lock:
            self._frozen = None
            self._offset = 0.0

    @property
    def is_frozen(self) -> bool:
        return self._frozen is not None

    @property
    def is_real(self) -> bool:
        return self._frozen is None and self._offset == 0.0

    def isoformat(self) -> str:
        return datetime.fromtimestamp(self.now(), tz=timezone.utc).isoformat()
