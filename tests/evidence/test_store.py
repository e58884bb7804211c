"""The evidence store: metadata stripping, near-duplicates, type sniffing, size limits."""

from __future__ import annotations

import io
import os
import stat

import pytest
from PIL import ExifTags, Image

from baqylau.evidence import services
from baqylau.evidence.models import LedgerEntry, MediaFile
from baqylau.evidence.services import (
    EvidenceRejected,
    NoDisplayCopy,
    find_near_duplicates,
    signed_url,
    store_media,
)

from .conftest import gps_exif, jpeg_bytes, picture

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.evidence.urls")]

# The smallest MP4/MOV headers the sniffer recognises (an ftyp box), padded with zeros.
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 2000
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 2000


def test_display_copy_served_through_a_signed_link_has_no_exif_or_gps(
    data_dir, make_submission, client
):
    original = jpeg_bytes(picture(1, (1200, 800)), exif=gps_exif(orientation=6), comment=b"secret")
    with Image.open(io.BytesIO(original)) as check:  # the test photo really carries GPS
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    media = store_media(make_submission(), original, declared_type="image/jpeg", page=1)

    response = client.get(signed_url(media, None))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    served = b"".join(response.streaming_content)
    assert served != original
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        for key in ("exif", "xmp", "comment", "icc_profile", "photoshop"):
            assert key not in image.info
        # the orientation (6: rotate 90°) was applied to the pixels before the tag was dropped
        assert image.size == (800, 1200)
    for marker in (b"Exif", b"SpyCam", b"secret", b"GPS", b"http://ns.adobe.com/xap"):
        assert marker not in served


def test_store_keeps_the_original_write_once_and_records_it(data_dir, make_submission):
    data = jpeg_bytes(picture(2, (2600, 1000)))
    submission = make_submission()
    media = store_media(submission, data, page=2)

    path = data_dir / media.original
    assert media.original == f"evidence/originals/{media.sha256[:2]}/{media.sha256}"
    assert path.read_bytes() == data
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o440
    assert media.content_type == "image/jpeg" and media.size == len(data) and media.page == 2
    assert len(media.perceptual_hash) == 16
    with Image.open(data_dir / media.display) as display:
        assert max(display.size) == 2000  # the long side is limited

    # the same bytes again for the same page: the same row; the ledger has one media entry
    assert store_media(submission, data, page=2).pk == media.pk
    assert (
        LedgerEntry.objects.filter(kind="media", ref=f"evidence.mediafile:{media.pk}").count() == 1
    )


def test_resized_reencoded_copy_is_a_near_duplicate_and_an_unrelated_photo_is_not(
    data_dir, make_submission
):
    image = picture(3)
    first = store_media(make_submission(), jpeg_bytes(image, quality=92))
    smaller = image.resize((700, 525), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    smaller.save(out, format="WEBP", quality=60)
    copy = store_media(make_submission(sender="other"), out.getvalue())
    unrelated = store_media(make_submission(), jpeg_bytes(picture(99)))
    exact = store_media(make_submission(), jpeg_bytes(image, quality=92))  # same bytes

    assert copy.sha256 != first.sha256
    found = dict((m.pk, d) for m, d in find_near_duplicates(first))
    assert exact.pk in found and found[exact.pk] == 0
    assert copy.pk in found and found[copy.pk] <= 8
    assert unrelated.pk not in found
    assert first.pk in dict((m.pk, d) for m, d in find_near_duplicates(copy))


@pytest.mark.parametrize(
    "data",
    [
        b"Dear observers,\nthis is a text file renamed to protocol.jpg\n" * 5,
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" * 20,
        b"\x00" * 100,
    ],
)
def test_type_is_sniffed_from_the_bytes_not_the_name(data_dir, make_submission, data):
    with pytest.raises(EvidenceRejected) as caught:
        store_media(make_submission(), data, declared_type="protocol.jpg")
    error = caught.value
    assert error.code == "unsupported_type"
    assert set(error.messages) == {"kk", "ru", "en"}
    assert "JPEG" in error.messages["en"] and "Файл" in error.messages["ru"]
    assert "қолдау" in error.messages["kk"]
    assert len(set(error.messages.values())) == 3
    assert not MediaFile.objects.exists()
    assert not (data_dir / "evidence").exists() or not any((data_dir / "evidence").rglob("*.*"))


def test_a_corrupt_jpeg_is_refused(data_dir, make_submission):
    data = jpeg_bytes(picture(4))[:400]  # a JPEG header with the image data cut off
    with pytest.raises(EvidenceRejected) as caught:
        store_media(make_submission(), data)
    assert caught.value.code == "corrupt_image"
    assert not MediaFile.objects.exists()


def test_size_limits_from_settings(data_dir, make_submission, settings):
    photo = jpeg_bytes(picture(5, (400, 300)))
    settings.EVIDENCE_MAX_PHOTO_BYTES = len(photo) - 1
    with pytest.raises(EvidenceRejected) as caught:
        store_media(make_submission(), photo)
    assert caught.value.code == "photo_too_large"
    assert set(caught.value.messages) == {"kk", "ru", "en"}
    assert "МБ" in caught.value.messages["ru"] and "MB" in caught.value.messages["en"]

    settings.EVIDENCE_MAX_PHOTO_BYTES = len(photo)
    store_media(make_submission(), photo)

    settings.EVIDENCE_MAX_VIDEO_BYTES = 1000
    with pytest.raises(EvidenceRejected) as caught:
        store_media(make_submission(), MP4)
    assert caught.value.code == "video_too_large"


def test_default_limits_are_15_and_100_megabytes():
    assert services.max_bytes("photo") == 15 * 1024 * 1024
    assert services.max_bytes("video") == 100 * 1024 * 1024


def test_video_keeps_its_original_only(data_dir, make_submission):
    submission = make_submission(kind="incident")
    mp4 = store_media(submission, MP4, declared_type="video/mp4")
    mov = store_media(submission, MOV)
    assert (mp4.content_type, mov.content_type) == ("video/mp4", "video/quicktime")
    assert mp4.display == "" and mp4.perceptual_hash == ""
    assert (data_dir / mp4.original).read_bytes() == MP4
    with pytest.raises(NoDisplayCopy):
        signed_url(mp4, None)
    other = store_media(make_submission(), MP4)  # the same video sent again is an exact match
    assert [(m.pk, d) for m, d in find_near_duplicates(mp4)] == [(other.pk, 0)]


def test_a_tampered_original_is_replaced_when_the_true_bytes_arrive_again(
    data_dir, make_submission
):
    data = jpeg_bytes(picture(6, (300, 200)))
    media = store_media(make_submission(), data)
    path = data_dir / media.original
    path.chmod(0o640)
    path.write_bytes(b"forged")
    store_media(make_submission(), data)
    assert path.read_bytes() == data
    assert list(path.parent.glob(f"{path.name}.corrupt-*"))[0].read_bytes() == b"forged"


def test_a_display_made_later_is_the_same_copy_and_is_ledgered_again(data_dir, make_submission):
    """`display_later` (the voters' bot): the original is kept and ledgered on receipt, the
    metadata-free copy and hash come from `display_complete`, recorded in a newer entry."""
    from baqylau.evidence.ledger import verify

    original = jpeg_bytes(picture(7, (1200, 800)), exif=gps_exif(orientation=6))
    now = store_media(make_submission(), original, page=1)
    later = store_media(make_submission(), original, page=1, display_later=True)
    assert later.original == now.original and (data_dir / later.original).read_bytes() == original
    assert later.display == "" and later.perceptual_hash == ""
    ref = f"evidence.mediafile:{later.pk}"
    assert LedgerEntry.objects.filter(kind="media", ref=ref).count() == 1

    services.display_complete(later)
    later.refresh_from_db()
    assert (later.display, later.display_sha256) == (now.display, now.display_sha256)
    assert later.perceptual_hash == now.perceptual_hash
    with Image.open(data_dir / later.display) as image:
        assert len(image.getexif()) == 0 and image.size == (800, 1200)
    entries = LedgerEntry.objects.filter(kind="media", ref=ref).order_by("seq")
    assert [bool(e.content["display_sha256"]) for e in entries] == [False, True]
    assert entries.first().content["sha256"] == later.sha256  # the original, fixed on receipt
    services.display_complete(later)  # done once: no third entry
    assert LedgerEntry.objects.filter(kind="media", ref=ref).count() == 2
    report = verify(check_unrecorded=False)  # the fixture's submissions are not ledgered
    assert report.ok and report.files_checked == 2, report.problems


def test_a_display_made_later_still_refuses_what_the_header_shows(
    data_dir, make_submission, settings
):
    settings.EVIDENCE_MAX_PIXELS = 1000 * 1000
    with pytest.raises(EvidenceRejected) as caught:
        store_media(make_submission(), jpeg_bytes(picture(8, (1200, 900))), display_later=True)
    assert caught.value.code == "too_many_pixels"
    with pytest.raises(EvidenceRejected) as caught:
        store_media(make_submission(), b"\xff\xd8\xff\xe0" + b"\x00" * 300, display_later=True)
    assert caught.value.code in {"corrupt_image", "unsupported_type"}
    assert not MediaFile.objects.exists()
