"""What every benchmark does first: point Django at a scratch data dir (and database), set it
up and migrate. Benchmarks run as ``python bench/<name>.py``, so this imports as ``_django``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_django(
    data_dir: str, database_url: str | None = None, *, migrate: bool = True, **environ: str
) -> None:
    """Django on `data_dir` and `database_url` (None: SQLite in the data dir), plus any extra
    environment variables, then `migrate` (not in a benchmark's helper processes: the parent
    migrated)."""
    os.environ["BAQYLAU_DATA_DIR"] = data_dir
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baqylau.settings")
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    if not migrate:
        return
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
