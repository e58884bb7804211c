"""Report forms are versioned YAML files in `forms/` (`<code>_v<version>.yaml`). Pure Python."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

FORMS_DIR = Path(__file__).resolve().parent / "forms"
_NAME = re.compile(r"^(?P<code>[a-z0-9_]+)_v(?P<version>\d+)\.yaml$")


@functools.cache
def _catalogue() -> dict[str, dict[int, Path]]:
    found: dict[str, dict[int, Path]] = {}
    for path in FORMS_DIR.glob("*.yaml"):
        if m := _NAME.match(path.name):
            found.setdefault(m["code"], {})[int(m["version"])] = path
    return found


def form_codes() -> list[str]:
    return sorted(_catalogue())


@functools.cache
def load_form(code: str, version: int | None = None) -> dict[str, Any]:
    """The form `code` at `version` (the latest when None). KeyError when there is none."""
    versions = _catalogue()[code]
    version = max(versions) if version is None else version
    data = yaml.safe_load(versions[version].read_text(encoding="utf-8"))
    if data.get("code") != code or int(data.get("version", 0)) != version:
        raise ValueError(f"{versions[version].name}: code/version do not match the file name")
    return data


def checklist_codes() -> list[str]:
    return [c for c in form_codes() if load_form(c).get("kind") == "checklist"]
