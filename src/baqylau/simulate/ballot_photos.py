"""Realistic voters' ballot photos, generated (pure: Pillow, NumPy and OpenCV; no Django).

One ballot *form* (an election's paper ballot: a header, instructions, one row per choice with a
name, a line of description and a box to mark) is rendered once; each genuine voter marks a box
(a tick or a cross in pen, never exactly in the same place) and photographs the ballot with a
phone: the paper lies on a table, seen at an angle (perspective), under uneven light, slightly out
of focus, with sensor noise and JPEG compression. Photos of the same form by different voters are
therefore *similar* — the hard case for a near-duplicate check — while an attacker's near-copies
of one photo (`near_copy`) are almost identical.

Also: other forms (another election's ballot, another layout) and random images, for the
refusal tests of the sample-ballot match (`baqylau.crowd.ballot_match`) and for the attack
benchmark (bench/bot_attacks.py).
"""

from __future__ import annotations

import functools
import io
import random
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PAPER = (250, 249, 244)
INK = (20, 20, 20)
PEN_COLOURS = ((25, 40, 150), (15, 15, 20), (30, 30, 110), (120, 20, 30))

_FIRST = ("Aigerim", "Nurlan", "Dana", "Yerlan", "Saule", "Marat", "Gulnara", "Timur", "Aliya")
_LAST = ("Abenova", "Seitkali", "Omarov", "Zhaksybek", "Iskakova", "Tulegen", "Bekova", "Sarsen")
_WORDS = (
    "party",
    "union",
    "people",
    "future",
    "democratic",
    "national",
    "green",
    "social",
    "progress",
)


@dataclass(frozen=True)
class Form:
    """A paper ballot: `names` one per row, top to bottom; the box on the `box_side`."""

    key: str
    title: str
    subtitle: str
    names: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    box_side: str = "right"
    size: tuple[int, int] = (800, 1130)
    header_rows: int = 4


def kz_party_list_form(names: tuple[str, ...] | None = None) -> Form:
    """The form the tests and the benchmark use as "this election's ballot" (5 party lists)."""
    names = names or (
        "Ak Zhol Democratic Party",
        "Nur Otan Party",
        "Adal Party",
        "Auyl People's Democratic Party",
        "People's Party of Kazakhstan",
    )
    return Form(
        key="kz-mazhilis-2021",
        title="BALLOT PAPER",
        subtitle="Election of deputies of the Mazhilis, 10 January 2021",
        names=names,
        notes=tuple(f"List No. {n} - registered {n + 3} December 2020" for n in range(1, 6)),
    )


def other_form(rng: random.Random, rows: int | None = None) -> Form:
    """A different ballot: another election's title, other choices, another layout."""
    rows = rows or rng.randint(3, 9)
    names = tuple(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rows))
    words = rng.sample(_WORDS, 3)
    return Form(
        key=f"other-{rng.randrange(10**9)}",
        title=rng.choice(("VOTING BALLOT", "REFERENDUM BALLOT", "BULLETIN", "BALLOT")),
        subtitle=f"{words[0].title()} {words[1]} council election, {rng.randint(1, 28)} "
        f"{rng.choice(('March', 'June', 'October'))} {rng.randint(2004, 2024)}",
        names=names,
        notes=tuple(f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {n}" for n in range(rows)),
        box_side=rng.choice(("left", "right")),
        size=rng.choice(((800, 1130), (760, 1000), (820, 1200))),
        header_rows=rng.randint(2, 6),
    )


# ---------------------------------------------------------------------------------------------
# the form


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _geometry(form: Form) -> tuple[int, int, int]:
    """(top of the first row, row height, box side) in form pixels."""
    width, height = form.size
    top = 150 + 26 * form.header_rows
    row_h = (height - top - 60) // max(1, len(form.names))
    box = min(70, int(row_h * 0.55))
    return top, row_h, box


def box_rects(form: Form) -> list[tuple[int, int, int, int]]:
    """The box of each row, ``(x, y, w, h)`` in the rendered form's pixels."""
    width, _height = form.size
    top, row_h, box = _geometry(form)
    x = width - 60 - box if form.box_side == "right" else 60
    return [(x, top + i * row_h + (row_h - box) // 2, box, box) for i in range(len(form.names))]


def render_form(form: Form) -> Image.Image:
    """The clean printed ballot (what staff upload as the sample ballot); a new copy each call."""
    return _render_form(form).copy()


@functools.lru_cache(maxsize=16)
def _render_form(form: Form) -> Image.Image:
    width, height = form.size
    image = Image.new("RGB", form.size, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, width - 20, height - 20), outline=INK, width=3)
    title_font, text_font, small = _font(40), _font(22), _font(16)
    draw.text((width // 2, 60), form.title, fill=INK, font=title_font, anchor="mm")
    draw.text((width // 2, 110), form.subtitle, fill=INK, font=text_font, anchor="mm")
    instructions = (
        "Put any mark in the empty box to the side of the choice you vote for.",
        "Mark one box only. A ballot with more than one mark is spoiled.",
        "A ballot with no mark is spoiled. Do not write anything else on it.",
        "The ballot is valid only with the stamp and signature of the commission.",
        "Fold the ballot before putting it into the ballot box.",
        "Ask a member of the commission for a new ballot if you made an error.",
    )
    for n in range(form.header_rows):
        draw.text((50, 140 + 26 * n), instructions[n % len(instructions)], fill=INK, font=small)
    top, row_h, _box = _geometry(form)
    boxes = box_rects(form)
    text_x = 60 if form.box_side == "right" else 60 + boxes[0][2] + 30
    for i, name in enumerate(form.names):
        y = top + i * row_h
        draw.line((30, y, width - 30, y), fill=INK, width=2)
        draw.text((text_x, y + row_h * 0.3), f"{i + 1}. {name}", fill=INK, font=_font(28))
        note = form.notes[i] if i < len(form.notes) else ""
        draw.text((text_x + 20, y + row_h * 0.62), note, fill=INK, font=small)
        bx, by, bw, bh = boxes[i]
        draw.rectangle((bx, by, bx + bw, by + bh), outline=INK, width=3)
    draw.line(
        (30, top + len(form.names) * row_h, width - 30, top + len(form.names) * row_h), INK, 2
    )
    return image


# ---------------------------------------------------------------------------------------------
# marks and photographs


def mark(
    image: Image.Image, box: tuple[int, int, int, int], rng: random.Random, kind: str = ""
) -> None:
    """Draw a pen tick or cross in `box` (in place), a little off-centre, as people do."""
    kind = kind or rng.choice(("tick", "cross"))
    x, y, w, h = box
    colour = rng.choice(PEN_COLOURS)
    width = rng.randint(4, 7)
    draw = ImageDraw.Draw(image)

    def jitter(px: float, py: float) -> tuple[float, float]:
        return x + w * (px + rng.uniform(-0.08, 0.08)), y + h * (py + rng.uniform(-0.08, 0.08))

    if kind == "cross":
        draw.line((*jitter(0.15, 0.15), *jitter(0.85, 0.85)), fill=colour, width=width)
        draw.line((*jitter(0.85, 0.15), *jitter(0.15, 0.85)), fill=colour, width=width)
    else:
        draw.line(
            (*jitter(0.15, 0.55), *jitter(0.4, 0.85), *jitter(0.9, 0.1)),
            fill=colour,
            width=width,
            joint="curve",
        )


def marked_ballot(form: Form, row: int | None, rng: random.Random, kind: str = "") -> Image.Image:
    """The form with a mark in row `row` (0-based; None: unmarked)."""
    image = render_form(form)
    if row is not None:
        mark(image, box_rects(form)[row], rng, kind)
    return image


def _table(size: tuple[int, int], rng: random.Random) -> np.ndarray:
    """A table top: a base colour with soft texture."""
    w, h = size
    base = np.array([rng.randint(60, 200) for _ in range(3)], dtype=np.float32)
    texture = np.random.default_rng(rng.randrange(2**32)).standard_normal(
        (h // 16 + 1, w // 16 + 1), np.float32
    )
    texture = cv2.resize(texture, (w, h), interpolation=cv2.INTER_CUBIC)
    return base[None, None, :] + 18 * texture[..., None]


def photograph(
    image: Image.Image,
    rng: random.Random,
    *,
    out_size: tuple[int, int] = (960, 1280),
    tilt: float = 0.12,
    quality: tuple[int, int] = (55, 92),
) -> bytes:
    """A phone photo of the paper `image`: perspective, uneven light, blur, noise, JPEG."""
    out_w, out_h = out_size
    src = np.asarray(image.convert("RGB"))
    h, w = src.shape[:2]
    scale = rng.uniform(0.72, 0.9) * min(out_w / w, out_h / h)
    cx, cy = (
        out_w / 2 + rng.uniform(-0.04, 0.04) * out_w,
        out_h / 2 + rng.uniform(-0.04, 0.04) * out_h,
    )
    angle = np.deg2rad(rng.uniform(-8, 8))
    corners = []
    for px, py in ((0, 0), (w, 0), (w, h), (0, h)):
        dx, dy = (px - w / 2) * scale, (py - h / 2) * scale
        rx = dx * np.cos(angle) - dy * np.sin(angle)
        ry = dx * np.sin(angle) + dy * np.cos(angle)
        corners.append(
            (
                cx + rx + rng.uniform(-tilt, tilt) * w * scale / 2,
                cy + ry + rng.uniform(-tilt, tilt) * h * scale / 2,
            )
        )
    matrix = cv2.getPerspectiveTransform(
        np.float32([(0, 0), (w, 0), (w, h), (0, h)]), np.float32(corners)
    )
    photo = np.clip(_table(out_size, rng), 0, 255).astype(np.uint8)
    cv2.warpPerspective(
        src, matrix, out_size, dst=photo, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_TRANSPARENT
    )
    # light: a linear gradient, a vignette and sometimes a soft shadow (computed small, enlarged)
    small_w, small_h = out_w // 8, out_h // 8
    yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    xx, yy = xx / small_w, yy / small_h
    light = 1 + rng.uniform(-0.35, 0.35) * (xx - 0.5) + rng.uniform(-0.35, 0.35) * (yy - 0.5)
    light *= 1 - rng.uniform(0.1, 0.5) * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2)
    if rng.random() < 0.4:
        edge = rng.uniform(0.2, 0.8)
        light *= 1 - rng.uniform(0.15, 0.35) / (1 + np.exp(-(xx - edge) * 20))
    light *= rng.uniform(0.75, 1.05)
    tint = [rng.uniform(0.92, 1.05) for _ in range(3)]
    light3 = cv2.resize(
        np.dstack([light * t for t in tint]).astype(np.float32), out_size, cv2.INTER_LINEAR
    )
    lit = cv2.multiply(photo.astype(np.float32), light3)
    lit = cv2.GaussianBlur(lit, (0, 0), rng.uniform(0.3, 1.8))
    noise = np.empty_like(lit)
    cv2.setRNGSeed(rng.randrange(2**31))
    cv2.randn(noise, 0, rng.uniform(2, 7))
    photo = cv2.convertScaleAbs(cv2.add(lit, noise))
    out = io.BytesIO()
    Image.fromarray(photo).save(out, format="JPEG", quality=rng.randint(*quality))
    return out.getvalue()


def ballot_photo(form: Form, row: int | None, rng: random.Random, kind: str = "") -> bytes:
    """A genuine voter's photo of `form` marked in `row`."""
    return photograph(marked_ballot(form, row, rng, kind), rng)


def near_copy(data: bytes, rng: random.Random) -> bytes:
    """An attacker's variant of one photo: a small crop, a resize, a few pixels, another JPEG."""
    with Image.open(io.BytesIO(data)) as source:
        image = source.convert("RGB")
    w, h = image.size
    image = image.crop(
        (rng.randrange(8), rng.randrange(8), w - rng.randrange(8), h - rng.randrange(8))
    )
    image = image.resize(
        (int(w * rng.uniform(0.85, 1.05)), int(h * rng.uniform(0.85, 1.05))),
        Image.Resampling.BILINEAR,
    )
    pixels = image.load()
    for _ in range(30):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = (255, 255, 255)
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.8)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=rng.randint(60, 95))
    return out.getvalue()


def random_image(rng: random.Random, size: tuple[int, int] = (960, 1280)) -> bytes:
    """Not a ballot: coloured shapes and text on a noisy background."""
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(8, 25)):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(40, 400), y + rng.randrange(40, 400))
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse(box, fill=colour)
        else:
            draw.rectangle(box, fill=colour)
    for _ in range(rng.randint(0, 6)):
        words = " ".join(rng.choice(_WORDS) for _ in range(3))
        draw.text((rng.randrange(size[0]), rng.randrange(size[1])), words, fill=INK, font=_font(30))
    array = np.asarray(image, dtype=np.float32)
    array += np.random.default_rng(rng.randrange(2**32)).normal(0, 6, array.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
