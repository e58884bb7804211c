"""Publishing the forensic report of an election for the public dashboard (uses Django).

Storage (no database table): `DATA_DIR/forensics/<election code>/`
* `report.json` — the `forensic_report` dict plus `published` (generated-at time, draws, seed,
  the run directory of its figures); written to a temporary file and renamed into place, so a
  reader sees either the previous report or the new one, never half of one;
* `<run>/` — the figures (PNG + SVG) of that report; `report.json` is replaced only once they
  are all written, and older runs are removed afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from baqylau.elections.models import Election

REPORT_NAME = "report.json"
FIGURE_EXTENSIONS = ("png", "svg")
_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")


def report_dir(code: str) -> Path:
    """`DATA_DIR/forensics/<code>` (the code must be a slug: it becomes a directory name)."""
    if not _CODE.match(code):
        raise ValueError(f"not a valid election code for a directory name: {code!r}")
    return Path(settings.DATA_DIR) / "forensics" / code


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish_forensic_report(
    election: Election,
    *,
    draws: int = 1000,
    seed: int = 0,
    unit_path: str | None = None,
    contest_code: str | None = None,
    digit_choices: list[str] | None = None,
    digit_draws: int = 200,
    shpilkin_variant: str = "peak",
) -> dict[str, Any]:
    """Run every forensic method on the election's official station results and publish it."""
    from baqylau.forensics.report import forensic_report
    from baqylau.forensics.selectors import station_arrays

    target = report_dir(election.code)
    target.mkdir(parents=True, exist_ok=True)
    arrays = station_arrays(election.code, unit_path=unit_path, contest_code=contest_code)
    generated = timezone.now()
    run = Path(tempfile.mkdtemp(dir=target, prefix=generated.strftime("run-%Y%m%dT%H%M%S-")))
    try:
        report = forensic_report(
            arrays,
            draws=draws,
            seed=seed,
            figures_dir=run,
            digit_choices=digit_choices,
            digit_draws=digit_draws,
            shpilkin_variant=shpilkin_variant,
        )
        report["figures"] = sorted({Path(p).stem for p in report.get("figures", [])})
        report["published"] = {
            "election": election.code,
            "generated_at": generated.isoformat(),
            "draws": draws,
            "seed": seed,
            "unit": unit_path,
            "contest": contest_code,
            "run": run.name,
        }
        _write_atomic(target / REPORT_NAME, json.dumps(report, ensure_ascii=False, indent=1))
    except BaseException:
        shutil.rmtree(run, ignore_errors=True)
        raise
    for old in target.iterdir():
        if old.is_dir() and old.name != run.name:
            shutil.rmtree(old, ignore_errors=True)
    return report


def published_report(code: str) -> dict[str, Any] | None:
    """The published report of an election, or None when none has been published."""
    try:
        path = report_dir(code) / REPORT_NAME
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, FileNotFoundError):
        return None


def figure_path(code: str, name: str, ext: str) -> Path | None:
    """The file of one figure of the published report; None unless the report lists it."""
    report = published_report(code)
    if report is None or ext not in FIGURE_EXTENSIONS or name not in report.get("figures", []):
        return None
    run = report.get("published", {}).get("run", "")
    if not _CODE.match(run):
        return None
    path = report_dir(code) / run / f"{name}.{ext}"
    return path if path.is_file() else None


__all__ = ["figure_path", "publish_forensic_report", "published_report", "report_dir"]
