"""External programs some tests need (poppler's pdftotext/pdftoppm): skipped with a reason where
they are missing on a user's machine, run (and so failed) in CI, where they must be there."""

from __future__ import annotations

import os
import shutil

import pytest


def needs_programs(*names: str) -> pytest.MarkDecorator:
    missing = [name for name in names if shutil.which(name) is None]
    in_ci = os.environ.get("BAQYLAU_REQUIRE_BROWSER") == "1"  # CI: browser and tools required
    return pytest.mark.skipif(
        bool(missing) and not in_ci, reason=f"{', '.join(missing)} missing (poppler-utils)"
    )
