"""Does a voter's photo show this election's ballot, and which box is marked? (pure: OpenCV)

The election's official sample ballot is uploaded by staff. `prepare_sample` finds its ORB
features once and the boxes of its choice rows (`find_boxes`: the square outlines in one column,
top to bottom). `match` then takes a voter's photo:

1. ORB features of the photo, matched to the sample's (Hamming distance, approximate nearest
   neighbours by FLANN's locality-sensitive hashing, Lowe's ratio test);
2. a homography from the photo to the sample, fitted with RANSAC; the photo shows the form when
   enough matches agree with it (`MIN_INLIERS`, `MIN_INLIER_RATIO`), they span most of the
   sheet's printed height (`MIN_COVERAGE`: another ballot sharing only the title and the
   instructions matches in a band at the top) and the mapped outline of the photo is a
   plausible view of a sheet (convex, not degenerate);
3. the photo warped onto the sample must look like it (`likeness`: correlation of print-sized
   detail, `MIN_LIKENESS`): features can agree by chance with a wrong homography on another
   ballot that shares generic parts;
4. in each row's box of the warped photo the ink that the sample does not have (dark
   pixels inside the box, its border left out) is measured; the row with clearly the most ink is
   the marked one (`MARK_MIN_INK`, `MARK_MARGIN`), else no row is located (None).

Figures on generated photos (tests/crowd/test_ballot_match.py, ``bench/photo_index.py
calibrate``): photos of the form at ±8° rotation and ±12 % perspective, uneven light, blur, noise
and JPEG gave 66–330 inliers spanning 46–100 % of the height and a likeness of 0.88–0.98 (the
marked row read right on 30 of 30); other forms (another title and layout) at most 59 inliers
where they spanned the sheet and a likeness under 0.08; random images fewer. Not told apart: a ballot printed from the *same template* with other names
(50–130 inliers, likeness 0–0.87: most pass) — the match says "this form", not "these names"; an
attacker printing such ballots is in the threat model (README).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: The sample is scaled to this width; photos to at most this long side before matching.
SAMPLE_WIDTH = 1000
PHOTO_MAX_SIDE = 1100
ORB_FEATURES = 3000
RATIO = 0.8
RANSAC_PIXELS = 6.0
MIN_INLIERS = 50
MIN_INLIER_RATIO = 0.25
#: Share of the sample's printed height that the agreeing matches must span.
MIN_COVERAGE = 0.4
#: Least `likeness` of the warped photo to the sample.
MIN_LIKENESS = 0.6
#: Share of a box's inner pixels darker than the paper around it, for a mark.
MARK_MIN_INK = 0.04
#: The marked box must have this many times the ink of the next one.
MARK_MARGIN = 2.0


@dataclass(frozen=True)
class Sample:
    """A prepared sample ballot: grayscale pixels, features, and the boxes of its rows
    (``(x, y, w, h)`` in sample pixels, top to bottom)."""

    gray: np.ndarray
    keypoints: tuple
    descriptors: np.ndarray
    boxes: tuple[tuple[int, int, int, int], ...]
    #: Approximate nearest neighbours over the sample's descriptors (FLANN, locality-sensitive
    #: hashing), built once: brute force over 3,000 × 3,000 descriptors took most of a match.
    matcher: object = None


@dataclass(frozen=True)
class Match:
    matches_form: bool
    inliers: int
    #: Index of the marked row in the sample's boxes (0 = top), None when not located.
    marked_row: int | None = None
    ink: tuple[float, ...] = ()
    #: Correlation of the warped photo with the sample (`likeness`).
    likeness: float = 0.0


def decode(data: bytes | np.ndarray) -> np.ndarray:
    """Grayscale pixels from image bytes (or an array, RGB or gray). Raises ValueError."""
    if isinstance(data, np.ndarray):
        array = data
        if array.ndim == 3:
            return cv2.cvtColor(array, cv2.COLOR_RGB2GRAY)
        return array
    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if array is None:
        raise ValueError("not an image")
    return array


def _scaled(gray: np.ndarray, *, width: int | None = None, max_side: int | None = None):
    h, w = gray.shape[:2]
    scale = width / w if width else min(1.0, max_side / max(h, w))
    if abs(scale - 1.0) < 1e-3:
        return gray
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=interpolation)


def _orb():
    return cv2.ORB_create(nfeatures=ORB_FEATURES, scaleFactor=1.2, nlevels=8, fastThreshold=12)


def find_boxes(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The empty square boxes of a printed ballot, top to bottom.

    Square outlines (closed contours approximated by 4 corners, sides within 20 % of each other),
    of a size between 2 % and 12 % of the width; kept only those in the column that holds most
    of them (the boxes of a ballot are aligned), each once.
    """
    h, w = gray.shape[:2]
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    squares = []
    for contour in contours:
        x, y, bw, bh = cv2.boundingRect(contour)
        if not (0.02 * w <= bw <= 0.12 * w and 0.8 <= bw / bh <= 1.25):
            continue
        approx = cv2.approxPolyDP(contour, 0.08 * cv2.arcLength(contour, True), True)
        if len(approx) == 4 and cv2.contourArea(contour) > 0.6 * bw * bh:
            squares.append((x, y, bw, bh))
    if not squares:
        return []
    # one column: the x-centre shared by most squares
    centres = [x + bw / 2 for x, _, bw, _ in squares]
    best = max(centres, key=lambda c: sum(abs(c - o) < 0.03 * w for o in centres))
    column = [s for s, c in zip(squares, centres, strict=True) if abs(c - best) < 0.03 * w]
    # inner and outer outline of the same box: keep the outer one
    column.sort(key=lambda s: (s[1], -s[2]))
    boxes: list[tuple[int, int, int, int]] = []
    for box in column:
        if boxes and abs(box[1] - boxes[-1][1]) < boxes[-1][3] * 0.5:
            continue
        boxes.append(box)
    return boxes


def prepare_sample(data: bytes | np.ndarray) -> Sample:
    """Features and row boxes of the official sample ballot."""
    gray = _scaled(decode(data), width=SAMPLE_WIDTH)
    keypoints, descriptors = _orb().detectAndCompute(gray, None)
    if descriptors is None:
        descriptors = np.zeros((0, 32), np.uint8)
    return Sample(
        gray, tuple(keypoints), descriptors, tuple(find_boxes(gray)), _matcher(descriptors)
    )


def _matcher(descriptors: np.ndarray):
    matcher = cv2.FlannBasedMatcher(
        {"algorithm": 6, "table_number": 6, "key_size": 12, "multi_probe_level": 1},
        {"checks": 50},
    )
    if len(descriptors):
        matcher.add([descriptors])
        matcher.train()
    return matcher


def with_boxes(sample: Sample, boxes) -> Sample:
    """The same prepared sample with other row boxes (set by staff)."""
    return Sample(sample.gray, sample.keypoints, sample.descriptors, tuple(boxes), sample.matcher)


def _plausible(homography: np.ndarray, photo_shape: tuple[int, int]) -> bool:
    """The photo's outline mapped onto the sample is a convex quadrilateral of sensible size."""
    h, w = photo_shape
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]]).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(corners, homography)
    if not np.all(np.isfinite(mapped)):
        return False
    if not cv2.isContourConvex(mapped.astype(np.float32)):
        return False
    det = np.linalg.det(homography[:2, :2])
    return 0.05 < abs(det) < 50


def _coverage(sample: Sample, points: np.ndarray) -> float:
    """How much of the sample's printed height the agreeing matches span (5th to 95th
    percentile of their heights, over the same for all the sample's features). Another ballot
    that shares only the printed title and instructions matches in a band at the top."""
    if len(points) < 3 or len(sample.keypoints) < 3:
        return 0.0
    own = np.array([k.pt[1] for k in sample.keypoints])
    low, high = np.percentile(own, [5, 95])
    span_low, span_high = np.percentile(points[:, 1], [5, 95])
    return float((span_high - span_low) / max(1.0, high - low))


def match(sample: Sample, photo: bytes | np.ndarray) -> Match:
    """Whether `photo` shows the sample's form, and which of its rows is marked."""
    gray = _scaled(decode(photo), max_side=PHOTO_MAX_SIDE)
    keypoints, descriptors = _orb().detectAndCompute(gray, None)
    if descriptors is None or len(keypoints) < 8 or len(sample.keypoints) < 8:
        return Match(False, 0)
    matcher = sample.matcher or _matcher(sample.descriptors)
    pairs = matcher.knnMatch(descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < 8:
        return Match(False, 0)
    src = np.float32([keypoints[m.queryIdx].pt for m in good]).reshape(-1, 1, 2)
    dst = np.float32([sample.keypoints[m.trainIdx].pt for m in good]).reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_PIXELS)
    if homography is None:
        return Match(False, 0)
    inliers = int(mask.sum())
    if (
        inliers < MIN_INLIERS
        or inliers < MIN_INLIER_RATIO * len(good)
        or not _plausible(homography, gray.shape[:2])
        or _coverage(sample, dst[mask.ravel() > 0].reshape(-1, 2)) < MIN_COVERAGE
    ):
        return Match(False, inliers)
    warped = cv2.warpPerspective(
        gray, homography, (sample.gray.shape[1], sample.gray.shape[0]), borderValue=255
    )
    similar = likeness(sample, warped)
    if similar < MIN_LIKENESS:
        return Match(False, inliers, likeness=similar)
    row, ink = marked_row(sample, warped)
    return Match(True, inliers, row, ink, similar)


def _band_pass(gray: np.ndarray) -> np.ndarray:
    """Print-sized detail only: a fine blur (noise) minus a coarse one (light and shadow)."""
    gray = gray.astype(np.float32)
    return cv2.GaussianBlur(gray, (0, 0), 2.0) - cv2.GaussianBlur(gray, (0, 0), 12.0)


def likeness(sample: Sample, warped: np.ndarray) -> float:
    """Correlation of the photo, warped onto the sample, with the sample (print-sized detail).

    Features can agree with a wrong homography on another ballot that shares generic parts
    (instructions, frames, boxes); the whole sheet then does not line up (0.03–0.08 on generated
    other forms against 0.9–0.96 for photos of the form)."""
    a, b = _band_pass(sample.gray), _band_pass(warped)
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def marked_row(sample: Sample, warped: np.ndarray) -> tuple[int | None, tuple[float, ...]]:
    """The row whose box holds clearly the most ink the sample does not have."""
    if not sample.boxes:
        return None, ()
    ink = []
    for x, y, w, h in sample.boxes:
        inset = max(3, int(0.15 * w))
        inner = warped[y + inset : y + h - inset, x + inset : x + w - inset]
        around = warped[max(0, y - h // 2) : y + h + h // 2, max(0, x - w // 2) : x + w + w // 2]
        if inner.size == 0 or around.size == 0:
            ink.append(0.0)
            continue
        paper = float(np.percentile(around, 90))  # the paper's brightness here (light varies)
        ink.append(float(np.mean(inner < 0.7 * paper)))
    order = np.argsort(ink)[::-1]
    first = ink[order[0]]
    second = ink[order[1]] if len(ink) > 1 else 0.0
    if first >= MARK_MIN_INK and first >= MARK_MARGIN * max(second, 1e-3):
        return int(order[0]), tuple(round(v, 4) for v in ink)
    return None, tuple(round(v, 4) for v in ink)
