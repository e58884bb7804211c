"""The evidence store: sniff, limit, store write-once, strip metadata, hash, find duplicates.

Layout under ``DATA_DIR`` (paths in `MediaFile` are relative to ``DATA_DIR``)::

    evidence/originals/ab/abcdef…        the bytes as received, named by their SHA-256, mode 0440
    evidence/display/cd/cdef01….jpg      images only: pixels re-encoded, no EXIF/GPS/XMP/ICC/comments,
                                         named by the display copy's own SHA-256

Videos keep their original only: no display copy (their metadata, including GPS atoms, is not
stripped), so they are served only as originals to users with ``evidence.view_original``, and
they get no perceptual hash (exact SHA-256 duplicates only).

Settings (all optional): ``EVIDENCE_MAX_PHOTO_BYTES`` (15 MiB), ``EVIDENCE_MAX_VIDEO_BYTES``
(100 MiB), ``EVIDENCE_MAX_PIXELS`` (80 million), ``EVIDENCE_DISPLAY_MAX_SIDE`` (2000 px),
``EVIDENCE_DISPLAY_QUALITY`` (85).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import filetype
import imagehash
import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.intake.models import Submission

try:  # HEIC display copies only when the optional pillow-heif plugin is installed
    import pillow_heif  # type: ignore[import-not-found]

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_SUPPORTED = False

logger = logging.getLogger(__name__)

MB = 1024 * 1024
DEFAULT_MAX_PHOTO_BYTES = 15 * MB
DEFAULT_MAX_VIDEO_BYTES = 100 * MB
DEFAULT_MAX_PIXELS = 80_000_000
DEFAULT_DISPLAY_MAX_SIDE = 2000
DEFAULT_DISPLAY_QUALITY = 85

#: Accepted content types (sniffed from the bytes) → (kind, Pillow format or None, extension).
ACCEPTED: dict[str, tuple[str, str | None, str]] = {
    "image/jpeg": ("photo", "JPEG", "jpg"),
    "image/png": ("photo", "PNG", "png"),
    "image/webp": ("photo", "WEBP", "webp"),
    "image/heic": ("photo", "HEIF", "heic"),
    "image/heif": ("photo", "HEIF", "heif"),
    "video/mp4": ("video", None, "mp4"),
    "video/quicktime": ("video", None, "mov"),
    "video/webm": ("video", None, "webm"),
}
ACCEPTED_LABEL = "JPEG, PNG, WebP, HEIC, MP4, MOV, WebM"

MESSAGES: dict[str, dict[str, str]] = {
    "empty": {
        "kk": "Файл бос.",
        "ru": "Файл пустой.",
        "en": "The file is empty.",
    },
    "unsupported_type": {
        "kk": "Файл қолдау көрсетілетін фото немесе бейне емес (рұқсат етілген: {accepted}).",
        "ru": "Файл не является фотографией или видео допустимого формата ({accepted}).",
        "en": "The file is not a supported photo or video (accepted: {accepted}).",
    },
    "photo_too_large": {
        "kk": "Фотосурет тым үлкен: {size} МБ, ең көбі {limit} МБ рұқсат етіледі.",
        "ru": "Фотография слишком большая: {size} МБ, допустимо не более {limit} МБ.",
        "en": "The photo is too large: {size} MB; the limit is {limit} MB.",
    },
    "video_too_large": {
        "kk": "Бейне тым үлкен: {size} МБ, ең көбі {limit} МБ рұқсат етіледі.",
        "ru": "Видео слишком большое: {size} МБ, допустимо не более {limit} МБ.",
        "en": "The video is too large: {size} MB; the limit is {limit} MB.",
    },
    "too_many_pixels": {
        "kk": "Суреттің өлшемі тым үлкен ({width}×{height} пиксель).",
        "ru": "Изображение слишком велико ({width}×{height} пикселей).",
        "en": "The image is too large ({width}×{height} pixels).",
    },
    "corrupt_image": {
        "kk": "Суретті оқу мүмкін болмады: файл бүлінген болуы мүмкін.",
        "ru": "Не удалось прочитать изображение: возможно, файл повреждён.",
        "en": "The image could not be read; the file may be damaged.",
    },
}


class EvidenceError(Exception):
    """Base class of the evidence store's errors."""


class EvidenceRejected(EvidenceError, ValueError):
    """A file the store refuses. ``code`` is stable; ``messages`` has kk/ru/en texts."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        self.messages = {
            lang: text.format(accepted=ACCEPTED_LABEL, **params)
            for lang, text in MESSAGES[code].items()
        }
        super().__init__(self.messages["en"])

    def message(self, lang: str = "ru") -> str:
        return self.messages.get(lang[:2], self.messages["en"])


class NoDisplayCopy(EvidenceError, LookupError):
    """The file has no display copy (a video, or an image format Pillow cannot decode here)."""


@dataclass(frozen=True)
class MediaInfo:
    """What `check_media` learnt from the bytes, before anything is stored."""

    sha256: str
    content_type: str
    kind: str  # "photo" | "video"
    size: int
    extension: str


# ---------------------------------------------------------------------------------------------
# settings and paths


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_bytes(kind: str) -> int:
    if kind == "video":
        return _setting("EVIDENCE_MAX_VIDEO_BYTES", DEFAULT_MAX_VIDEO_BYTES)
    return _setting("EVIDENCE_MAX_PHOTO_BYTES", DEFAULT_MAX_PHOTO_BYTES)


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def evidence_root() -> Path:
    return data_dir() / "evidence"


def original_relpath(sha256: str) -> str:
    return f"evidence/originals/{sha256[:2]}/{sha256}"


def display_relpath(display_sha256: str) -> str:
    """Display copies are named by their own digest (a Pillow upgrade may re-encode differently)."""
    return f"evidence/display/{display_sha256[:2]}/{display_sha256}.jpg"


def resolve(relative: str) -> Path:
    """Absolute path of a stored file; refuses anything outside DATA_DIR/evidence."""
    root = evidence_root().resolve()
    path = (data_dir() / relative).resolve()
    if not path.is_relative_to(root):
        raise EvidenceError(f"path outside the evidence store: {relative!r}")
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MB):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_once(relative: str, data: bytes, sha256: str) -> None:
    """Write ``data`` (whose digest is ``sha256``) durably at ``relative``, never overwriting.

    An existing file with the right digest is kept as it is. An existing file with a different
    digest has been damaged or tampered with: it is moved aside (``….corrupt-<time>``, kept as
    evidence of the change) and replaced by these bytes, which prove themselves by their digest.
    """
    target = resolve(relative)
    if target.exists():
        if sha256_file(target) == sha256:
            return
        aside = target.with_name(f"{target.name}.corrupt-{time.time_ns()}")
        logger.error("evidence file %s does not match its digest; moved to %s", target, aside)
        target.rename(aside)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o440)
        # os.link never overwrites: if another writer won the race, its identical file stays
        with contextlib.suppress(FileExistsError):
            os.link(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _fsync_dir(target.parent)


# ---------------------------------------------------------------------------------------------
# sniffing and image processing


def check_media(data: bytes, *, declared_type: str | None = None) -> MediaInfo:
    """Sniff the type from the magic bytes and apply the size limits; store nothing.

    Raises `EvidenceRejected` (codes: empty, unsupported_type, photo_too_large, video_too_large).
    ``declared_type`` (the sender's MIME type or file name) is never trusted.
    """
    size = len(data)
    if size == 0:
        raise EvidenceRejected("empty")
    guess = filetype.guess(data[:8192])
    mime = guess.mime if guess else None
    if mime not in ACCEPTED:
        raise EvidenceRejected("unsupported_type")
    kind, _format, extension = ACCEPTED[mime]
    limit = max_bytes(kind)
    if size > limit:
        raise EvidenceRejected(
            f"{kind}_too_large", size=f"{size / MB:.1f}", limit=f"{limit / MB:g}"
        )
    return MediaInfo(
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=mime,
        kind=kind,
        size=size,
        extension=extension,
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert to sRGB RGB pixels (using the embedded colour profile when there is one)."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            if image.mode == "RGBA":
                image = image.convert("RGB")
            return ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            logger.info("colour profile ignored (unreadable)")
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


#: EXIF orientation → the transpose that makes the pixels upright (as `ImageOps.exif_transpose`).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
#: Modes whose pixels resample well as they are, so they are shrunk before the colour conversion
#: (fewer pixels to convert); palette, bilevel and 16/32-bit images are converted first.
_RESIZE_FIRST = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})
#: The perceptual hash is computed from a grayscale box reduction to at least this many pixels on
#: the short side (see `_perceptual_hash`).
PHASH_SOURCE_SIDE = 128


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` shrunk (never enlarged) so that its long side is at most ``max_side``."""
    width, height = size
    long_side = max(width, height)
    if long_side <= max_side:
        return size
    scale = max_side / long_side
    return (
        max(1, min(max_side, round(width * scale))),
        max(1, min(max_side, round(height * scale))),
    )


def _perceptual_hash(image: Image.Image) -> str:
    """64-bit pHash (hex) of the display pixels, computed from a small grayscale reduction.

    ``imagehash.phash`` shrinks its input to 32×32 with Lanczos; shrinking a 2000-pixel image
    that way costs far more than the hash. A box reduction to ~128 pixels first keeps the low
    frequencies the hash is made of: on test photos the hash differs from the full-image one by
    0–4 bits (mean under 1), well inside `find_near_duplicates`' distance of 8.
    """
    gray = image.convert("L")
    factor = min(gray.size) // PHASH_SOURCE_SIDE
    if factor > 1:
        gray = gray.reduce(factor)
    return str(imagehash.phash(gray))


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image object with ``image``'s pixels and nothing else: no ``info`` (EXIF, XMP, ICC,
    comment…), no cached EXIF, no encoder settings, not a file. The pixel buffer is shared, not
    copied (``_new`` is how Pillow itself makes derived images)."""
    clean = image._new(image.im)
    clean.info = {}
    return clean


def make_display(data: bytes, pillow_format: str) -> tuple[bytes, str]:
    """Re-encode an image from its pixels only; return (JPEG bytes, perceptual hash hex).

    EXIF orientation is applied; the long side is limited (JPEGs are decoded straight at the
    smallest DCT scale that still covers it); the colour profile is converted to sRGB; the
    result is encoded from a fresh image that holds only pixels, so no EXIF, GPS, XMP, IPTC,
    comments or colour profile survive. Raises `EvidenceRejected` (too_many_pixels,
    corrupt_image).
    """
    max_side = _setting("EVIDENCE_DISPLAY_MAX_SIDE", DEFAULT_DISPLAY_MAX_SIDE)
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            width, height = image.size
            _pixel_limit_check(width, height)
            image.seek(0)
            box = None
            if image.format in ("JPEG", "MPO"):  # decode at 1/2, 1/4 or 1/8 scale if that suffices
                drafted = image.draft("RGB", _fit(image.size, max_side))
                if drafted is not None and image.size != (width, height):
                    box = drafted[1]  # the source area, in the reduced image's pixels
            image.load()
            upright = _UPRIGHT.get(image.getexif().get(ExifTags.Base.Orientation))
            pixels: Image.Image = image
            converted = pixels.mode not in _RESIZE_FIRST
            if converted:  # palette, bilevel, 16/32-bit: to RGB before resampling
                pixels = _to_srgb(pixels)
            size = _fit(pixels.size, max_side)
            if size != pixels.size:
                pixels = pixels.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=2.0)
            if not converted and (pixels.mode != "RGB" or pixels.info.get("icc_profile")):
                pixels = _to_srgb(pixels)  # after shrinking: fewer pixels to convert
            if upright is not None:
                pixels = pixels.transpose(upright)
            clean = _pixels_only(pixels)
    except EvidenceRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise EvidenceRejected("too_many_pixels", width="?", height="?") from exc
        raise EvidenceRejected("corrupt_image") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise EvidenceRejected("corrupt_image") from exc
    out = io.BytesIO()
    quality = _setting("EVIDENCE_DISPLAY_QUALITY", DEFAULT_DISPLAY_QUALITY)
    clean.save(out, format="JPEG", quality=quality)
    return out.getvalue(), _perceptual_hash(clean)


# ---------------------------------------------------------------------------------------------
# the public API


def image_check(data: bytes, pillow_format: str) -> tuple[int, int]:
    """The image's (width, height) from its header, within the pixel limit; the pixels are not
    decoded. Raises `EvidenceRejected` (too_many_pixels, corrupt_image)."""
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            width, height = image.size
    except Image.DecompressionBombError as exc:
        raise EvidenceRejected("too_many_pixels", width="?", height="?") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise EvidenceRejected("corrupt_image") from exc
    _pixel_limit_check(width, height)
    return width, height


def _pixel_limit_check(width: int, height: int) -> None:
    if width * height > _setting("EVIDENCE_MAX_PIXELS", DEFAULT_MAX_PIXELS):
        raise EvidenceRejected("too_many_pixels", width=width, height=height)


def prepare_media(
    submission: Submission,
    data: bytes,
    *,
    declared_type: str | None = None,
    page: int | None = None,
    display_later: bool = False,
) -> MediaFile:
    """Check, process and durably write one evidence file; return its `MediaFile`, NOT saved.

    Does all of `store_media` except the database: sniffs the type and applies the limits, makes
    the display copy and perceptual hash (images), writes the original and the display copy
    write-once with fsync, and fills every field of the row, ``received_at`` included (see
    below). It exists for callers that insert rows in batches (report intake's group commit):
    such a caller must insert the row itself (e.g. ``MediaFile.objects.bulk_create``), skipping
    a row that already exists for the same submission, SHA-256 and page if that can happen, and
    record it in the ledger (`baqylau.evidence.ledger.record_media`) in the same transaction.
    Everything else should call `store_media`. Nothing here needs a transaction: the files are
    content-addressed and written before any row names them.

    ``received_at`` is set to now so the row carries its value before the insert. (The field is
    ``auto_now_add``: Django's ``save``/``bulk_create`` overwrite it with their own "now" on
    insert and set it on the instance, so read it after the insert, as the ledger does.)
    With ``display_later`` an image gets no display copy and perceptual hash here (only its
    header is checked, `image_check`): `display_complete` makes them later, off the caller's
    reply path (the voters' bot, where re-encoding a photo was a large share of each update's
    time). Raises `EvidenceRejected` with kk/ru/en messages; then nothing has been written.
    """
    info = check_media(data, declared_type=declared_type)
    pillow_format = ACCEPTED[info.content_type][1]
    display_bytes = phash = None
    if _has_display(info.content_type):
        if display_later:
            image_check(data, pillow_format)
        else:
            display_bytes, phash = make_display(data, pillow_format)

    original = original_relpath(info.sha256)
    _write_once(original, data, info.sha256)
    display = display_sha = ""
    if display_bytes is not None:
        display_sha = hashlib.sha256(display_bytes).hexdigest()
        display = display_relpath(display_sha)
        _write_once(display, display_bytes, display_sha)

    return MediaFile(
        submission=submission,
        sha256=info.sha256,
        content_type=info.content_type,
        declared_type=(declared_type or "")[:100],
        size=info.size,
        original=original,
        display=display,
        display_sha256=display_sha,
        perceptual_hash=phash or "",
        page=page,
        received_at=timezone.now(),
    )


def _has_display(content_type: str) -> bool:
    """Whether files of this type get a display copy (photos Pillow can read)."""
    kind, pillow_format, _extension = ACCEPTED.get(content_type, ("", None, ""))
    return kind == "photo" and (pillow_format != "HEIF" or HEIF_SUPPORTED)


def store_media(
    submission: Submission,
    data: bytes,
    *,
    declared_type: str | None = None,
    page: int | None = None,
    ledger: bool = True,
    display_later: bool = False,
) -> MediaFile:
    """Store one evidence file of a submission and return its `MediaFile`.

    The original is written durably (fsync) before the row is created; images get a display copy
    without metadata and a perceptual hash (`prepare_media`; with ``display_later`` the caller
    has `display_complete` make them later). The same bytes stored again for the same submission
    and page return the existing row. With ``ledger`` (the default) the file is recorded in the
    ledger in the same transaction. Raises `EvidenceRejected` with kk/ru/en messages.
    """
    media = prepare_media(
        submission, data, declared_type=declared_type, page=page, display_later=display_later
    )
    with transaction.atomic():
        existing = MediaFile.objects.filter(
            submission=submission, sha256=media.sha256, page=page
        ).first()
        if existing is not None:
            return existing
        media.save(force_insert=True)
        if ledger:  # the row was just inserted from this very instance: nothing to re-read
            from baqylau.evidence.ledger import append_new

            append_new([(LedgerEntry.Kind.MEDIA, media)])
    return media


def display_complete(media: MediaFile) -> MediaFile:
    """Give a file stored with ``display_later`` its display copy and perceptual hash.

    The copy is made from the stored original, written write-once like every display copy, and
    the row is updated and recorded in the ledger again in one transaction: the new entry
    supersedes the one made on receipt, which had already fixed the original's SHA-256 (the
    chain of custody starts at receipt, not at this later step). Files that have their copy,
    or get none (videos, documents), are returned as they are; an original that cannot be
    decoded is left without one (logged: `image_check` passed its header on receipt).
    """
    if media.display or not _has_display(media.content_type):
        return media
    try:
        display_bytes, phash = make_display(
            resolve(media.original).read_bytes(), ACCEPTED[media.content_type][1]
        )
    except EvidenceRejected as exc:
        logger.warning("no display copy for media %s: %s", media.pk, exc.code)
        return media
    display_sha = hashlib.sha256(display_bytes).hexdigest()
    display = display_relpath(display_sha)
    _write_once(display, display_bytes, display_sha)
    with transaction.atomic():
        changed = MediaFile.objects.filter(pk=media.pk, display="").update(
            display=display, display_sha256=display_sha, perceptual_hash=phash
        )
        media.refresh_from_db()
        if changed:
            from baqylau.evidence.ledger import record_media

            record_media(media)
    return media


def open_variant(media: MediaFile, variant: str) -> Path:
    """Absolute path of a media file's ``display`` or ``original`` bytes."""
    if variant == "display":
        if not media.display:
            raise NoDisplayCopy(f"media {media.pk} has no display copy")
        return resolve(media.display)
    if variant == "original":
        return resolve(media.original)
    raise ValueError(f"unknown variant {variant!r}")


def _hash_int(hex_hash: str) -> int:
    return int(hex_hash, 16)


def _popcount(values: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(values)
    return np.unpackbits(values.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def find_near_duplicates(
    media: MediaFile,
    max_distance: int = 8,
    *,
    candidates=None,
) -> list[tuple[MediaFile, int]]:
    """Other files that look the same: [(media, Hamming distance)], closest first.

    Exact copies (same SHA-256) have distance 0, including videos. Images are compared by their
    64-bit perceptual hash, so a resized or re-encoded copy is found. ``candidates`` is a
    `MediaFile` queryset to search (default: the files of the same election; all files when
    the submission has no election).
    """
    if candidates is None:
        candidates = MediaFile.objects.all()
        election_id = media.submission.election_id
        if election_id is not None:
            candidates = candidates.filter(submission__election_id=election_id)
    candidates = candidates.exclude(pk=media.pk)

    found: dict[int, int] = {
        pk: 0 for pk in candidates.filter(sha256=media.sha256).values_list("pk", flat=True)
    }
    if media.perceptual_hash and len(media.perceptual_hash) == 16:
        target = np.uint64(_hash_int(media.perceptual_hash))
        rows = candidates.exclude(perceptual_hash="").values_list("pk", "perceptual_hash")
        ids: list[int] = []
        hashes: list[int] = []
        for pk, hex_hash in rows.iterator(chunk_size=5000):
            if len(hex_hash) == 16:
                ids.append(pk)
                hashes.append(_hash_int(hex_hash))
        if ids:
            distances = _popcount(np.array(hashes, dtype=np.uint64) ^ target)
            for index in np.flatnonzero(distances <= max_distance):
                found.setdefault(ids[index], int(distances[index]))
    objects = MediaFile.objects.in_bulk(list(found))
    return sorted(
        ((objects[pk], distance) for pk, distance in found.items() if pk in objects),
        key=lambda pair: (pair[1], pair[0].pk),
    )


# ---------------------------------------------------------------------------------------------
# expiring links

LINK_SALT = "baqylau.evidence.link"
VARIANTS = ("display", "original")
DEFAULT_LINK_MAX_TTL = 3600


def _signer() -> TimestampSigner:
    return TimestampSigner(salt=LINK_SALT)


def link_max_ttl() -> int:
    return _setting("EVIDENCE_LINK_MAX_TTL", DEFAULT_LINK_MAX_TTL)


def signed_url(media: MediaFile, user=None, variant: str = "display", ttl: int = 300) -> str:
    """A path (``/evidence/<token>``) that serves one variant of a file until ``ttl`` seconds.

    ``user``: the user the link is issued to (only that logged-in user can open it), or None
    for a public link (display copies only). Originals need ``evidence.view_original``, checked
    now and again when the link is opened. ``ttl`` is capped by ``EVIDENCE_LINK_MAX_TTL``.
    Raises `PermissionDenied`, `NoDisplayCopy` or `ValueError`.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    ttl = min(int(ttl), link_max_ttl())
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None  # an anonymous user gets a public link
    if variant == "original":
        if user is None or not user.has_perm("evidence.view_original"):
            raise PermissionDenied("viewing original evidence files needs evidence.view_original")
    elif not media.display:
        raise NoDisplayCopy(f"media {media.pk} has no display copy")
    token = _signer().sign_object(
        {
            "m": media.pk,
            "v": variant,
            "u": str(user.pk) if user is not None else None,
            "e": int(time.time()) + ttl,
        }
    )
    return reverse("evidence:media", kwargs={"token": token})


@dataclass(frozen=True)
class LinkGrant:
    media_id: int
    variant: str
    user_id: str | None
    expires: int


class LinkExpired(EvidenceError):
    pass


class LinkInvalid(EvidenceError):
    pass


def read_link(token: str) -> LinkGrant:
    """Check a link's signature and expiry. Raises `LinkInvalid` or `LinkExpired`."""
    try:
        data = _signer().unsign_object(token, max_age=link_max_ttl() + 60)
    except SignatureExpired as exc:
        raise LinkExpired(str(exc)) from exc
    except BadSignature as exc:
        raise LinkInvalid(str(exc)) from exc
    try:
        grant = LinkGrant(
            media_id=int(data["m"]),
            variant=str(data["v"]),
            user_id=None if data["u"] is None else str(data["u"]),
            expires=int(data["e"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid("malformed link") from exc
    if grant.variant not in VARIANTS:
        raise LinkInvalid("malformed link")
    if grant.expires < time.time():
        raise LinkExpired("link expired")
    return grant
