"""Test data for the bots: an election with an observer, and photos."""

from __future__ import annotations

import io
import random

from PIL import Image

ALAMAN_TOKEN = "111:alaman-test-token"
BAYGE_TOKEN = "222:bayge-test-token"
GOOD_FIGURES = "L1=1000 L2=800 L3=700 L8=100 L5=690 L4=20 L7=10 tokayev=500 #2=180"


def jpeg(seed: int, size: int = 64) -> bytes:
    """A distinct photo (random blocks: perceptual hashes of two seeds are far apart)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (8, 8))
    image.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(64)])
    image = image.resize((size, size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def seed_election(code: str = "test-kz") -> dict:
    """The small test election, one observer assigned to station 101, the bots' controls."""
    from baqylau.bots.models import BotControl
    from baqylau.observers.models import Assignment, Organisation
    from baqylau.observers.services import create_observer
    from tests.factories import make_small_election

    data = make_small_election(code)
    organisation = Organisation.objects.create(code="ann", kind="ngo", name_en="ANN")
    observer = create_observer(organisation=organisation, language="ru")
    Assignment.objects.create(
        election=data["election"],
        observer=observer,
        station=data["stations"][0],
        organisation=organisation,
        shift="count",
    )
    BotControl.objects.update_or_create(
        bot="bayge", defaults={"election": data["election"], "contest": data["contest"]}
    )
    data["observer"] = observer
    data["organisation"] = organisation
    return data
