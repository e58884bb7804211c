"""Fixtures for the evidence store and ledger tests: a private data dir, submissions, images."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from PIL import ExifTags, Image, ImageDraw

from baqylau.intake.models import Submission


@pytest.fixture
def data_dir(settings, tmp_path):
    """Each test writes its evidence into its own DATA_DIR."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def canonical_sha(payload) -> str:
    from baqylau.evidence.ledger import content_hash

    return content_hash(payload)


@pytest.fixture
def make_submission(db):
    def make(**fields) -> Submission:
        payload = fields.pop("payload", {"data": {"station": "237"}, "attachments": []})
        return Submission.objects.create(
            channel=fields.pop("channel", "web"),
            kind=fields.pop("kind", "protocol"),
            sender=fields.pop("sender", "obs-7f3a"),
            payload=payload,
            payload_sha256=canonical_sha(payload),
            **fields,
        )

    return make


def picture(seed: int, size=(1600, 1200)) -> Image.Image:
    """A structured picture (shapes on a gradient), different for each seed."""
    rng = random.Random(seed)
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(50, width // 2), y0 + rng.randrange(50, height // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    return image


def jpeg_bytes(image: Image.Image, *, quality=90, exif=None, **params) -> bytes:
    out = io.BytesIO()
    if exif is not None:
        params["exif"] = exif
    image.save(out, format="JPEG", quality=quality, **params)
    return out.getvalue()


def gps_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with a camera make, a time, an orientation and GPS coordinates (Almaty)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Model] = "Observer Phone 3000"
    exif[ExifTags.Base.DateTime] = dt.datetime(2019, 6, 9, 19, 45).strftime("%Y:%m:%d %H:%M:%S")
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (43.0, 15.0, 20.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (76.0, 56.0, 41.3)
    return exif
