"""Near-duplicate ballot photos at scale: a 256-bit DCT hash and multi-index hashing (pure).

**The hash.** `photo_hash` is a 256-bit perceptual hash (the DCT hash, ``imagehash.phash`` with
``hash_size=16``: the signs of the 16×16 lowest frequencies of a 64×64 grayscale reduction). The
64-bit hash the evidence store keeps cannot tell two voters' photos of the *same ballot form* from
an attacker's near-copies of one photo: on generated photos of one form
(`baqylau.simulate.ballot_photos`, bench/photo_threshold.py) genuine pairs came as close as
4 bits of 64 while near-copies went up to 8, so no threshold separates them. With 256 bits genuine
pairs were never closer than 50 bits and near-copies never further than 22, so `MAX_DISTANCE`
(31) sits in a wide gap (calibration figures in the README, "Duplicate photos").

**The index.** Multi-index hashing (Norouzi, Punjani & Fleet, 2012): the hash is cut into
`CHUNKS` chunks of 16 bits. Two hashes within `MAX_DISTANCE` = 31 bits differ, by the pigeonhole
principle, in at most 1 bit of at least one chunk (16 chunks × 2 bits would be 32). So every
neighbour shares at least one *key* with the target — a key is (chunk number, the chunk's value
or the value with one bit flipped): 16 × 17 = 272 keys. Stored keys are the 16 exact chunks of
each photo, in an indexed column; a lookup is one indexed ``IN`` query over those 272 keys, then
the exact distance of the few candidates found. The cost per photo does not grow with the number
of photos until buckets fill up (16-bit chunks: about N × 272 / 65,536 candidates for random
hashes, 4 at a thousand photos, 415 at a hundred thousand; each candidate is one row read).

Everything here is plain integers; the database side is in `crowd.services`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import imagehash
import numpy as np
from PIL import Image

HASH_BITS = 256
CHUNK_BITS = 16
CHUNKS = HASH_BITS // CHUNK_BITS
#: Largest Hamming distance (of 256 bits) at which two photos are "the same photo".
MAX_DISTANCE = 2 * CHUNKS - 1
#: Photos are reduced to about this many pixels on the short side before hashing (the hash only
#: keeps the lowest frequencies; decoding and shrinking a phone photo dominates its cost).
SOURCE_SIDE = 128
_MASK = (1 << CHUNK_BITS) - 1


def photo_hash(data: bytes | Image.Image) -> int:
    """The 256-bit DCT hash of an image (bytes of any format Pillow reads, or an image)."""
    if isinstance(data, Image.Image):
        image = data
    else:
        image = Image.open(io.BytesIO(data))
        if image.format == "JPEG":
            image.draft("L", (SOURCE_SIDE * 2, SOURCE_SIDE * 2))
    gray = image.convert("L")
    factor = min(gray.size) // SOURCE_SIDE
    if factor > 1:
        gray = gray.reduce(factor)
    return int(str(imagehash.phash(gray, hash_size=16)), 16)


def to_hex(value: int) -> str:
    return f"{value:064x}"


def from_hex(text: str) -> int | None:
    if len(text) != HASH_BITS // 4:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def chunks(value: int) -> list[int]:
    """The `CHUNKS` 16-bit chunks of a hash, lowest first."""
    return [(value >> (CHUNK_BITS * i)) & _MASK for i in range(CHUNKS)]


def key(chunk_no: int, chunk: int) -> int:
    """One stored/probed key: the chunk's number in the high bits, its value in the low ones."""
    return (chunk_no << CHUNK_BITS) | chunk


def stored_keys(value: int) -> list[int]:
    """The keys stored for a photo: its exact chunks."""
    return [key(i, c) for i, c in enumerate(chunks(value))]


def probe_keys(value: int) -> list[int]:
    """The keys to look up: each chunk as it is and with each one of its bits flipped."""
    probes = []
    for i, chunk in enumerate(chunks(value)):
        probes.append(key(i, chunk))
        probes.extend(key(i, chunk ^ (1 << bit)) for bit in range(CHUNK_BITS))
    return probes


def within(
    target: int, candidates: Iterable[tuple[int, int]], max_distance: int = MAX_DISTANCE
) -> list[tuple[int, int]]:
    """``(id, distance)`` of the candidates ``(id, hash)`` within `max_distance`, closest first
    (ties: lowest id, i.e. the earliest photo)."""
    found = {}
    for ident, value in candidates:
        d = distance(target, value)
        if d <= max_distance:
            found[ident] = d
    return sorted(found.items(), key=lambda pair: (pair[1], pair[0]))


class MemoryIndex:
    """The same index in memory (tests and the benchmark's direct cost measurement)."""

    def __init__(self) -> None:
        self.buckets: dict[int, list[int]] = {}
        self.hashes: list[int] = []

    def add(self, value: int) -> int:
        ident = len(self.hashes)
        self.hashes.append(value)
        for k in stored_keys(value):
            self.buckets.setdefault(k, []).append(ident)
        return ident

    def candidates(self, value: int) -> set[int]:
        found: set[int] = set()
        for k in probe_keys(value):
            found.update(self.buckets.get(k, ()))
        return found

    def search(self, value: int, max_distance: int = MAX_DISTANCE) -> list[tuple[int, int]]:
        return within(value, ((i, self.hashes[i]) for i in self.candidates(value)), max_distance)


def brute_force(
    target: int, hashes: Iterable[tuple[int, int]], max_distance: int = MAX_DISTANCE
) -> list[tuple[int, int]]:
    """Every ``(id, distance)`` within `max_distance`, by comparing with all (the reference)."""
    return within(target, hashes, max_distance)


def random_hashes(count: int, seed: int = 0) -> list[int]:
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2**63, size=(count, 4), dtype=np.int64).astype(object)
    top = rng.integers(0, 2, size=(count, 4)).astype(object)
    return [
        sum((int(words[n, i]) | (int(top[n, i]) << 63)) << (64 * i) for i in range(4))
        for n in range(count)
    ]
