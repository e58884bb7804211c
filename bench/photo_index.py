"""The voters' photo checks measured: the duplicate threshold calibrated on realistic photos of one
ballot form, the sample-ballot match on them, and the duplicate index's cost per photo by size.

    python bench/photo_index.py calibrate [--photos 200] [--copies 100] [--match 40]
    python bench/photo_index.py cost [--sizes 1000,10000,100000] [--database-url postgres://…]

``calibrate`` (pure, no database): genuine voters' photos of the same form
(`baqylau.simulate.ballot_photos`: other marks, angles, light, blur, noise, JPEG) and an
attacker's near-copies of some of them; prints, for the evidence store's 64-bit hash and the
256-bit hash of `crowd.photo_index`, the closest genuine pairs, how many genuine photos have
another within the threshold, and how far near-copies go; then the sample-ballot match
(`crowd.ballot_match`) on photos of the form, of other forms and random images.

``cost``: the real lookup (`crowd.services.photo_duplicate_find`, one indexed query) in a
database holding N photos' index keys, N = each size; prints ms per lookup (median and p95 of
200 lookups: 100 new random hashes, 100 near copies of stored ones) and candidates per lookup.
Rows are bulk-inserted (submissions, ballots, keys) as a fixture, not through the bot.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def calibrate(args) -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baqylau.settings")
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    os.environ.setdefault("BAQYLAU_DATA_DIR", tempfile.mkdtemp(prefix="baqylau-bench-"))
    import django

    django.setup()  # only to import the evidence store's hash; no database is used
    import numpy as np
    from PIL import Image

    from baqylau.crowd import ballot_match, photo_index
    from baqylau.evidence.services import _perceptual_hash
    from baqylau.simulate import ballot_photos as bp

    rng = random.Random(args.seed)
    form = bp.kz_party_list_form()
    started = time.perf_counter()
    photos = [
        bp.ballot_photo(form, rng.randrange(len(form.names)), rng) for _ in range(args.photos)
    ]
    copies = [
        (n % args.photos, bp.near_copy(photos[n % args.photos], rng)) for n in range(args.copies)
    ]
    print(
        f"generated {len(photos)} photos of one form and {len(copies)} near-copies "
        f"in {time.perf_counter() - started:.0f} s"
    )

    def hash64(data: bytes) -> int:
        import io

        with Image.open(io.BytesIO(data)) as image:
            return int(_perceptual_hash(image.convert("RGB")), 16)

    for name, hasher, bits, threshold in (
        ("64-bit pHash (evidence store)", hash64, 64, 6),
        (
            "256-bit DCT hash (crowd.photo_index)",
            photo_index.photo_hash,
            256,
            photo_index.MAX_DISTANCE,
        ),
    ):
        t = time.perf_counter()
        genuine = [hasher(p) for p in photos]
        copied = [(n, hasher(c)) for n, c in copies]
        per_hash = (time.perf_counter() - t) / (len(genuine) + len(copied)) * 1000
        pairs = np.array(
            [(a ^ b).bit_count() for i, a in enumerate(genuine) for b in genuine[i + 1 :]]
        )
        nearest = [
            min((a ^ b).bit_count() for j, b in enumerate(genuine) if j != i)
            for i, a in enumerate(genuine)
        ]
        copy_d = np.array([(genuine[n] ^ h).bit_count() for n, h in copied])
        print(f"\n{name}: threshold {threshold} of {bits} bits, {per_hash:.1f} ms per hash")
        print(
            f"  genuine pairs ({len(pairs)}): min {pairs.min()}, p0.1 "
            f"{np.percentile(pairs, 0.1):.0f}, p1 {np.percentile(pairs, 1):.0f}, median "
            f"{np.median(pairs):.0f}"
        )
        within = sum(d <= threshold for d in nearest)
        print(
            f"  genuine photos with another genuine photo within the threshold: {within} of "
            f"{len(genuine)} ({100 * within / len(genuine):.1f} %)"
        )
        print(
            f"  near-copies: distance to their original max {copy_d.max()}, p99 "
            f"{np.percentile(copy_d, 99):.0f}, median {np.median(copy_d):.0f}; caught "
            f"{int((copy_d <= threshold).sum())} of {len(copy_d)}"
        )

    if args.match:
        sample = ballot_match.prepare_sample(bp.png_bytes(bp.render_form(form)))
        accepted = rows = 0
        inliers = []
        t = time.perf_counter()
        for n in range(args.match):
            row = n % len(form.names)
            result = ballot_match.match(sample, bp.ballot_photo(form, row, rng))
            accepted += result.matches_form
            rows += result.marked_row == row
            inliers.append(result.inliers)
        per_match = (time.perf_counter() - t) / args.match
        refused = 0
        others = args.match // 2
        for n in range(others):
            data = (
                bp.random_image(rng) if n % 4 == 3 else bp.ballot_photo(bp.other_form(rng), 0, rng)
            )
            refused += not ballot_match.match(sample, data).matches_form
        print(
            f"\nsample-ballot match: photos of the form accepted {accepted} of {args.match} "
            f"(inliers {min(inliers)}–{max(inliers)}), marked row read right {rows} of "
            f"{args.match}; other forms and random images refused {refused} of {others}; "
            f"{per_match:.2f} s per photo (with generation)"
        )


def cost(args) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from _django import setup_django

    data_dir = tempfile.mkdtemp(prefix="baqylau-bench-")
    if args.database_url:
        from _load import create_pg_database

        create_pg_database(args.database_url)
    setup_django(data_dir, args.database_url or None, SECRET_KEY="bench-secret")

    from django.db import connection

    from baqylau.crowd import photo_index
    from baqylau.crowd.models import CrowdPhotoKey, CrowdVoter
    from baqylau.crowd.services import photo_duplicate_find
    from baqylau.elections.models import Contest, Election

    election = Election.objects.create(
        code="bench", date="2024-01-01", kind="presidential", country="KZ", name_en="Bench"
    )
    contest = Contest.objects.create(
        election=election, code="p", kind="candidate", protocol_form="kz_president", name_en="P"
    )
    voter = CrowdVoter.objects.create(voter_hash="bench", election=election)
    rng = random.Random(args.seed)
    stored: list[int] = []
    print(f"database: {connection.vendor}")
    for size in [int(s) for s in args.sizes.split(",")]:
        t = time.perf_counter()
        while len(stored) < size:
            batch = photo_index.random_hashes(min(20000, size - len(stored)), seed=len(stored) + 1)
            if connection.vendor == "postgresql":
                _fill_pg(connection, election.pk, contest.pk, voter.pk, len(stored), batch)
            else:
                _fill_orm(election, contest, voter, len(stored), batch)
            stored.extend(batch)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE crowd_crowdphotokey; ANALYZE crowd_crowdballot")
        filled = time.perf_counter() - t
        targets = photo_index.random_hashes(100, seed=10**6 + size)
        for _ in range(100):
            base = rng.choice(stored)
            for bit in rng.sample(range(256), rng.randint(1, photo_index.MAX_DISTANCE)):
                base ^= 1 << bit
            targets.append(base)
        times, candidates, found = [], [], []
        for target in targets:
            t = time.perf_counter()
            hit = photo_duplicate_find(contest.pk, target, voter_id=-1)
            times.append((time.perf_counter() - t) * 1000)
            found.append(hit is not None)
            candidates.append(
                CrowdPhotoKey.objects.filter(
                    contest=contest, key__in=photo_index.probe_keys(target)
                )
                .values("ballot_id")
                .distinct()
                .count()
            )
        times.sort()
        print(
            f"{size:>8} photos: lookup median {statistics.median(times):.2f} ms, p95 "
            f"{times[int(0.95 * len(times))]:.2f} ms; candidates per lookup mean "
            f"{statistics.fmean(candidates):.1f}, max {max(candidates)}; near copies found "
            f"{sum(found[100:])} of 100, new photos matched {sum(found[:100])} of 100; "
            f"filled in {filled:.0f} s"
        )


def _fill_orm(election, contest, voter, offset: int, batch: list[int]) -> None:
    import uuid

    from baqylau.crowd import photo_index
    from baqylau.crowd.models import CrowdBallot, CrowdPhotoKey
    from baqylau.intake.models import Submission

    subs = Submission.objects.bulk_create(
        Submission(
            id=uuid.uuid4(),
            election=election,
            channel="telegram",
            kind="crowd_ballot",
            payload={},
            payload_sha256="",
        )
        for _ in batch
    )
    ballots = CrowdBallot.objects.bulk_create(
        CrowdBallot(
            submission=s,
            voter=voter,
            contest=contest,
            category="spam",
            photo_hash=photo_index.to_hex(h),
        )
        for s, h in zip(subs, batch, strict=True)
    )
    CrowdPhotoKey.objects.bulk_create(
        (
            CrowdPhotoKey(contest=contest, ballot=b, voter_id=offset + n, key=k)
            for n, (b, h) in enumerate(zip(ballots, batch, strict=True))
            for k in photo_index.stored_keys(h)
        ),
        batch_size=10000,
    )


def _fill_pg(
    connection, election_id: int, contest_id: int, voter_id: int, offset: int, batch: list[int]
) -> None:
    """The same rows with COPY (a hundred thousand photos in seconds, not minutes)."""
    import uuid

    from baqylau.crowd import photo_index

    subs = [uuid.uuid4() for _ in batch]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY intake_submission (id, election_id, channel, kind, sender, received_at, payload,"
            " payload_sha256, dedupe_key, language) FROM STDIN"
        ) as copy:
            for sub in subs:
                copy.write_row(
                    (sub, election_id, "telegram", "crowd_ballot", "", "now", "{}", "", "", "ru")
                )
        cursor.execute("SELECT nextval(pg_get_serial_sequence('crowd_crowdballot', 'id'))")
        first = cursor.fetchone()[0]
        ids = list(range(first, first + len(batch)))
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('crowd_crowdballot', 'id'), %s)", [ids[-1]]
        )
        with raw.copy(
            "COPY crowd_crowdballot (id, submission_id, voter_id, contest_id, category, "
            "perceptual_hash, photo_hash, counted, tier, held, spam_reasons, created_at) "
            "FROM STDIN"
        ) as copy:
            for pk, sub, h in zip(ids, subs, batch, strict=True):
                copy.write_row(
                    (
                        pk,
                        sub,
                        voter_id,
                        contest_id,
                        "spam",
                        "",
                        photo_index.to_hex(h),
                        False,
                        "unverified",
                        False,
                        "[]",
                        "now",
                    )
                )
        with raw.copy(
            "COPY crowd_crowdphotokey (contest_id, ballot_id, voter_id, key) FROM STDIN"
        ) as copy:
            for n, (pk, h) in enumerate(zip(ids, batch, strict=True)):
                for k in photo_index.stored_keys(h):
                    copy.write_row((contest_id, pk, offset + n, k))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cal = sub.add_parser("calibrate")
    cal.add_argument("--photos", type=int, default=200)
    cal.add_argument("--copies", type=int, default=100)
    cal.add_argument("--match", type=int, default=40)
    cal.add_argument("--seed", type=int, default=1)
    cst = sub.add_parser("cost")
    cst.add_argument("--sizes", default="1000,10000,100000")
    cst.add_argument("--database-url", default="")
    cst.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    calibrate(args) if args.command == "calibrate" else cost(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
