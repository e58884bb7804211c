"""The duplicate-photo index (multi-index hashing) against brute force, and its threshold on
generated photos of one ballot form."""

from __future__ import annotations

import random

from baqylau.crowd import photo_index as pi
from baqylau.simulate import ballot_photos as bp


def _flip(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


def test_index_finds_exactly_the_brute_force_neighbours():
    rng = random.Random(5)
    index = pi.MemoryIndex()
    hashes = pi.random_hashes(3000, seed=1)
    # near neighbours at every distance up to the threshold and just beyond it
    bases = hashes[:40]
    for n, base in enumerate(bases):
        for d in (1, 5, 15, 25, pi.MAX_DISTANCE, pi.MAX_DISTANCE + 1, pi.MAX_DISTANCE + 6):
            hashes.append(_flip(base, rng.sample(range(pi.HASH_BITS), d)))
        # all differing bits crowded into few chunks: the pigeonhole worst case
        hashes.append(_flip(base, [c * 16 + b for c in range(15) for b in (0, 1)][: 30 - n % 3]))
    for value in hashes:
        index.add(value)
    for target in bases + hashes[-50:]:
        expected = pi.brute_force(target, enumerate(hashes))
        assert index.search(target) == expected
        assert all(d <= pi.MAX_DISTANCE for _, d in expected)
    distances = {d for t in bases for _, d in index.search(t)}
    assert pi.MAX_DISTANCE in distances and pi.MAX_DISTANCE + 1 not in distances


def test_probe_keys_cover_one_flipped_bit_per_chunk():
    value = pi.random_hashes(1, seed=3)[0]
    probes = set(pi.probe_keys(value))
    assert len(probes) == pi.CHUNKS * (pi.CHUNK_BITS + 1)
    assert set(pi.stored_keys(value)) <= probes
    neighbour = _flip(value, [16 * c + 3 for c in range(pi.CHUNKS)])  # 1 bit in every chunk
    assert set(pi.stored_keys(neighbour)) & probes


def test_hex_round_trip():
    value = pi.random_hashes(1, seed=9)[0]
    assert pi.from_hex(pi.to_hex(value)) == value
    assert pi.from_hex("zz") is None and pi.from_hex("0" * 16) is None


def test_threshold_separates_voters_of_one_form_from_near_copies():
    """Genuine photos of the same form (other marks, angles, light) are not duplicates of each
    other; an attacker's near-copies of one photo are."""
    rng = random.Random(11)
    form = bp.kz_party_list_form()
    photos = [bp.ballot_photo(form, rng.randrange(5), rng) for _ in range(24)]
    hashes = [pi.photo_hash(p) for p in photos]
    index = pi.MemoryIndex()
    for value in hashes:
        assert index.search(value) == []  # no earlier genuine photo within the threshold
        index.add(value)
    for n in range(12):
        copy = pi.photo_hash(bp.near_copy(photos[n], rng))
        found = index.search(copy)
        assert found and found[0][0] == n
