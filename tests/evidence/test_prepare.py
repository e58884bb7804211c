"""`prepare_media` (files written, row left to the caller) and the display copy's guarantees."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct

import imagehash
import pytest
from PIL import ExifTags, Image, ImageCms, ImageOps

from baqylau.evidence import ledger
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.evidence.services import (
    EvidenceRejected,
    _perceptual_hash,
    make_display,
    prepare_media,
    store_media,
)

from .conftest import gps_exif, jpeg_bytes, picture

MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 2000
MARKERS = (b"Exif", b"SpyCam", b"Observer Phone", b"GPS", b"secret", b"ICC_PROFILE", b"xap/1.0")


def assert_pixels_only(display: bytes) -> Image.Image:
    """The display bytes are a plain JPEG: no EXIF, GPS, XMP, ICC profile or comment."""
    for marker in MARKERS:
        assert marker not in display
    image = Image.open(io.BytesIO(display))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert len(image.getexif()) == 0
    for key in ("exif", "xmp", "comment", "icc_profile", "photoshop", "mp"):
        assert key not in image.info
    return image


# ---------------------------------------------------------------------------------------------
# prepare_media


@pytest.mark.django_db
def test_prepare_media_writes_the_files_and_returns_an_unsaved_filled_row(
    data_dir, make_submission
):
    submission = make_submission()
    data = jpeg_bytes(picture(21, (1200, 900)), exif=gps_exif(orientation=6), comment=b"secret")

    media = prepare_media(submission, data, declared_type="IMG_0001.JPG", page=3)

    # not saved: no primary key, no row, no ledger entry
    assert media.pk is None and media._state.adding
    assert not MediaFile.objects.exists()
    assert not LedgerEntry.objects.filter(kind="media").exists()

    # every field filled
    sha = hashlib.sha256(data).hexdigest()
    assert media.submission == submission
    assert media.sha256 == sha
    assert media.content_type == "image/jpeg"
    assert media.declared_type == "IMG_0001.JPG"
    assert media.size == len(data)
    assert media.page == 3
    assert media.original == f"evidence/originals/{sha[:2]}/{sha}"
    assert (
        media.display == f"evidence/display/{media.display_sha256[:2]}/{media.display_sha256}.jpg"
    )
    assert len(media.perceptual_hash) == 16
    assert media.received_at is not None and media.received_at.tzinfo is not None
    media.full_clean(validate_unique=False)  # the field values are valid for the model

    # the original as received, write-once; the display copy named by its own digest
    original = data_dir / media.original
    assert original.read_bytes() == data
    assert stat.S_IMODE(os.stat(original).st_mode) == 0o440
    display = (data_dir / media.display).read_bytes()
    assert hashlib.sha256(display).hexdigest() == media.display_sha256
    assert stat.S_IMODE(os.stat(data_dir / media.display).st_mode) == 0o440

    # the display copy: pixels only, orientation 6 applied
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the original does carry GPS
    assert assert_pixels_only(display).size == (900, 1200)


@pytest.mark.django_db
def test_prepared_rows_inserted_in_a_batch_and_recorded_in_the_ledger(data_dir, make_submission):
    submission = make_submission()
    ledger.record_submission(submission)
    prepared = [
        prepare_media(submission, jpeg_bytes(picture(30 + n, (400, 300))), page=n + 1)
        for n in range(3)
    ]
    prepared.append(prepare_media(submission, MP4, declared_type="video/mp4"))
    assert not MediaFile.objects.exists()

    rows = MediaFile.objects.bulk_create(prepared)
    ledger.record_many(rows, kind=LedgerEntry.Kind.MEDIA)

    assert all(row.pk is not None for row in rows)
    stored = MediaFile.objects.in_bulk([row.pk for row in rows])
    for row in rows:
        # what the caller holds after the insert is what is stored (received_at included)
        assert stored[row.pk].received_at == row.received_at
        assert stored[row.pk].perceptual_hash == row.perceptual_hash
    assert rows[-1].display == "" and rows[-1].perceptual_hash == ""
    assert ledger.verify().ok

    # store_media with the same bytes and page finds the batch-inserted row
    again = store_media(submission, (data_dir / rows[0].original).read_bytes(), page=1)
    assert again.pk == rows[0].pk


@pytest.mark.django_db
def test_prepare_media_writes_nothing_for_a_refused_file(data_dir, make_submission):
    with pytest.raises(EvidenceRejected) as caught:
        prepare_media(make_submission(), jpeg_bytes(picture(4))[:400])
    assert caught.value.code == "corrupt_image"
    assert not (data_dir / "evidence").exists() or not any((data_dir / "evidence").rglob("*"))


@pytest.mark.django_db
def test_store_media_is_prepare_media_plus_the_row_and_the_ledger(data_dir, make_submission):
    submission = make_submission()
    data = jpeg_bytes(picture(22, (800, 600)))
    prepared = prepare_media(submission, data, page=1)
    media = store_media(submission, data, page=1)
    assert media.pk is not None
    for field in ("sha256", "content_type", "size", "original", "display", "display_sha256"):
        assert getattr(media, field) == getattr(prepared, field)
    assert media.perceptual_hash == prepared.perceptual_hash
    assert LedgerEntry.objects.filter(ref=f"evidence.mediafile:{media.pk}").count() == 1


# ---------------------------------------------------------------------------------------------
# make_display: the guarantees of the faster pipeline


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    a, b = first.convert("L").tobytes(), second.convert("L").tobytes()
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


#: How a camera stores an upright picture for each EXIF orientation (the tag undoes it).
STORED_TURNED = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied_to_the_pixels(orientation):
    upright = picture(23, (480, 320))
    stored = upright.transpose(STORED_TURNED[orientation]) if orientation > 1 else upright
    if stored.size == upright.size and orientation > 1:  # the check below can tell them apart
        assert mean_difference(stored, upright) > 20
    data = jpeg_bytes(stored, quality=95, exif=gps_exif(orientation=orientation))
    with Image.open(io.BytesIO(data)) as reference:  # Pillow's own exif_transpose agrees
        assert mean_difference(ImageOps.exif_transpose(reference), upright) < 4

    display, _phash = make_display(data, "JPEG")
    image = assert_pixels_only(display)
    assert image.size == upright.size
    assert mean_difference(image, upright) < 4  # the same picture, upright


@pytest.mark.parametrize(
    ("size", "expected"),
    [((4000, 3000), (2000, 1500)), ((4032, 3024), (2000, 1500)), ((3264, 2448), (2000, 1500))],
)
def test_a_phone_size_photo_is_limited_to_the_long_side(size, expected):
    data = jpeg_bytes(picture(24, size), exif=gps_exif(orientation=6), comment=b"secret")
    display, phash = make_display(data, "JPEG")
    image = assert_pixels_only(display)
    assert image.size == expected[::-1]  # rotated by orientation 6
    full = picture(24, size).transpose(Image.Transpose.ROTATE_270)
    assert imagehash.hex_to_hash(phash) - imagehash.phash(full) <= 4


def test_a_multi_picture_jpeg_gives_its_first_picture_without_metadata():
    first, second = picture(25, (4000, 3000)), picture(26, (640, 480))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=gps_exif(orientation=1))
    with Image.open(io.BytesIO(out.getvalue()), formats=["JPEG"]) as check:
        assert check.format == "MPO" and check.n_frames == 2
    display, phash = make_display(out.getvalue(), "JPEG")
    assert assert_pixels_only(display).size == (2000, 1500)
    assert imagehash.hex_to_hash(phash) - imagehash.phash(first) <= 4


def _profile_with_red_and_green_swapped() -> bytes:
    """An sRGB profile whose red and green colorants are exchanged: "red" pixels are green."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", data[128:132])
    tags = {}
    for index in range(count):
        signature, offset, size = struct.unpack(">4sII", data[132 + 12 * index : 144 + 12 * index])
        tags[signature] = (index, offset, size)
    (red, red_offset, red_size), (green, green_offset, green_size) = tags[b"rXYZ"], tags[b"gXYZ"]
    struct.pack_into(">4sII", data, 132 + 12 * red, b"rXYZ", green_offset, green_size)
    struct.pack_into(">4sII", data, 132 + 12 * green, b"gXYZ", red_offset, red_size)
    return bytes(data)


@pytest.mark.parametrize(
    ("size", "fmt"), [((600, 400), "JPEG"), ((3000, 2000), "JPEG"), ((3000, 2000), "PNG")]
)
def test_the_colour_profile_is_converted_to_srgb(size, fmt):
    red = Image.new("RGB", size, (220, 30, 30))
    out = io.BytesIO()
    red.save(out, fmt, icc_profile=_profile_with_red_and_green_swapped())
    display, _phash = make_display(out.getvalue(), fmt)
    image = assert_pixels_only(display)
    r, g, b = image.getpixel((image.width // 2, image.height // 2))
    assert g > 150 and r < 100 and b < 100  # converted through the profile: green in sRGB


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "1", "I;16", "CMYK"])
def test_other_pixel_modes_become_rgb_and_are_limited(mode):
    image = picture(27, (2400, 1800))
    if mode in ("LA", "I;16"):
        image = image.convert("RGBA" if mode == "LA" else "L")
    image = image.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    out = io.BytesIO()
    image.save(out, fmt)
    display, phash = make_display(out.getvalue(), fmt)
    assert assert_pixels_only(display).size == (2000, 1500)
    assert len(phash) == 16


def test_too_many_pixels_is_refused_before_decoding(settings):
    settings.EVIDENCE_MAX_PIXELS = 1000 * 1000
    with pytest.raises(EvidenceRejected) as caught:
        make_display(jpeg_bytes(picture(28, (1200, 900))), "JPEG")
    assert caught.value.code == "too_many_pixels"
    assert caught.value.params == {"width": 1200, "height": 900}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size", [(640, 480), (2000, 1500), (1500, 2000)])
def test_the_reduced_perceptual_hash_is_close_to_the_full_image_hash(seed, size):
    """Hashes stored before the reduction stay comparable with new ones (distance 8)."""
    image = picture(40 + seed, size)
    assert imagehash.hex_to_hash(_perceptual_hash(image)) - imagehash.phash(image) <= 4
