"""Id formats: OpenAI-style ``file-…``, UUID4 (VLM Run) and ``file_`` + ULID (orq).

Each takes an optional ``random.Random`` so that seeded fixtures produce the same ids every
run. ULIDs are 10 lines here rather than a dependency: 48 bits of milliseconds and 80 random
bits in Crockford base32, which is all orq's ids need.
"""

from __future__ import annotations

import random
import uuid

_SYSTEM = random.SystemRandom()
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def openai_style(prefix: str, rng: random.Random | None = None, length: int = 24) -> str:
    """``file-`` + 24 base62 characters, as OpenAI's ids look (also ``upload_``, ``part_``)."""
    return prefix + "".join((rng or _SYSTEM).choices(BASE62, k=length))


def uuid4(rng: random.Random | None = None) -> str:
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ulid(epoch_seconds: float, rng: random.Random | None = None) -> str:
    """A 26-character ULID whose first 10 characters encode ``epoch_seconds`` in ms."""
    value = (int(epoch_seconds * 1000) & (2**48 - 1)) << 80 | (rng or _SYSTEM).getrandbits(80)
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))
