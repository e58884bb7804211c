"""Seed a fresh file database for the restart test; prints the observer's link code as JSON.

Run as ``python -m tests.bots.seed_db`` with BAQYLAU_DATA_DIR pointing at a migrated data dir.
"""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baqylau.settings")

import django  # noqa: E402

django.setup()

from baqylau.bots.services import link_code_issue  # noqa: E402
from tests.bots.helpers import seed_election  # noqa: E402

data = seed_election()
print(
    json.dumps({"code": link_code_issue(data["observer"]), "observer": data["observer"].public_id})
)
