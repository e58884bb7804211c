"""Seed the document templates from the package files (document_templates/*.yaml).

Later package versions are added by `baqylau legal templates-sync` (or `services.sync_package_templates`).
"""

from pathlib import Path

import yaml
from django.db import migrations

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "document_templates"


def seed(apps, schema_editor):
    DocumentTemplate = apps.get_model("legal", "DocumentTemplate")
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for language, phrases in data["phrases"].items():
            if DocumentTemplate.objects.filter(kind=data["kind"], language=language).exists():
                continue
            DocumentTemplate.objects.create(
                kind=data["kind"],
                language=language,
                version=1,
                title=phrases["title"],
                phrases=phrases,
                body=data["body"],
                source="package",
                package_version=int(data["version"]),
                note=f"package version {data['version']}",
            )


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
