"""The sample-ballot match on generated photos: the form is recognised, other forms and random
images are refused, and the marked box is read."""

from __future__ import annotations

import random

import pytest

from baqylau.crowd import ballot_match as bm
from baqylau.simulate import ballot_photos as bp


@pytest.fixture(scope="module")
def sample():
    return bm.prepare_sample(bp.png_bytes(bp.render_form(bp.kz_party_list_form())))


def test_boxes_of_the_sample_are_found_top_to_bottom(sample):
    form = bp.kz_party_list_form()
    assert len(sample.boxes) == len(form.names)
    scale = bm.SAMPLE_WIDTH / form.size[0]
    for (x, y, w, _h), (fx, fy, fw, _fh) in zip(sample.boxes, bp.box_rects(form), strict=True):
        assert abs(x - fx * scale) < 6 and abs(y - fy * scale) < 6 and abs(w - fw * scale) < 8


def test_photos_of_the_form_match_and_the_marked_row_is_read(sample):
    rng = random.Random(21)
    form = bp.kz_party_list_form()
    for n in range(10):
        row = n % 5
        result = bm.match(sample, bp.ballot_photo(form, row, rng, "tick" if n % 2 else "cross"))
        assert result.matches_form, result
        assert result.marked_row == row, result


def test_unmarked_photo_matches_without_a_marked_row(sample):
    rng = random.Random(22)
    result = bm.match(sample, bp.ballot_photo(bp.kz_party_list_form(), None, rng))
    assert result.matches_form and result.marked_row is None


def test_other_forms_and_random_images_are_refused(sample):
    rng = random.Random(23)
    others = [bp.ballot_photo(bp.other_form(rng), 0, rng) for _ in range(8)]
    others += [bp.random_image(rng) for _ in range(4)]
    for data in others:
        assert not bm.match(sample, data).matches_form


def test_not_an_image_raises():
    with pytest.raises(ValueError):
        bm.decode(b"not an image")


def test_other_forms_that_fit_a_chance_homography_are_refused(sample):
    """Two ballot-like photos the attack benchmark once saw accepted (58–59 agreeing features on
    shared instructions and boxes): the warped photo does not look like the sample."""
    for n in (70, 87):
        rng = random.Random(1_000_003 + n)
        data = bp.ballot_photo(bp.other_form(rng), 0, rng)
        result = bm.match(sample, data)
        assert not result.matches_form, result
