"""Case statuses under the 2014 Criminal Procedure Code (registration in the Unified Register of
Pre-trial Investigations, pre-trial investigation) instead of "criminal case opened"; the court
document is a claim to the administrative court (АППК, since 01.07.2021); the templates' new
package versions (citations by the one formatter, the claim's wording) are added as new versions."""

from pathlib import Path

import yaml
from django.db import migrations, models

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "document_templates"
OUTCOMES = {"criminal_case": "investigation_started", "no_criminal_case": "not_registered"}


def outcomes_forward(apps, schema_editor):
    CaseEvent = apps.get_model("legal", "CaseEvent")
    for old, new in OUTCOMES.items():
        CaseEvent.objects.filter(outcome=old).update(outcome=new)


def outcomes_backward(apps, schema_editor):
    CaseEvent = apps.get_model("legal", "CaseEvent")
    for old, new in OUTCOMES.items():
        CaseEvent.objects.filter(outcome=new).update(outcome=old)
    CaseEvent.objects.filter(outcome="investigation_terminated").update(outcome="")


def sync_templates(apps, schema_editor):
    """As services.sync_package_templates: a shipped version not yet in the database becomes the
    newest version (administrators' edits stay in the history)."""
    DocumentTemplate = apps.get_model("legal", "DocumentTemplate")
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for language, phrases in data["phrases"].items():
            rows = DocumentTemplate.objects.filter(kind=data["kind"], language=language)
            if rows.filter(source="package", package_version__gte=int(data["version"])).exists():
                continue
            latest = rows.order_by("-version").first()
            DocumentTemplate.objects.create(
                kind=data["kind"],
                language=language,
                version=(latest.version + 1) if latest else 1,
                title=phrases["title"],
                phrases=phrases,
                body=data["body"],
                source="package",
                package_version=int(data["version"]),
                note=f"package version {data['version']}",
            )


class Migration(migrations.Migration):
    dependencies = [
        ("legal", "0002_seed_templates"),
    ]

    operations = [
        migrations.RenameField(
            model_name="case",
            old_name="criminal_case_opened",
            new_name="investigation_started",
        ),
        migrations.AlterField(
            model_name="case",
            name="investigation_started",
            field=models.BooleanField(
                default=False, verbose_name="pre-trial investigation started"
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="kind",
            field=models.CharField(
                choices=[
                    ("complaint_commission", "complaint to the higher election commission"),
                    ("complaint_court", "claim to the administrative court"),
                    ("statement_prosecutor", "statement to the prosecutor"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "—"),
                    ("granted", "granted"),
                    ("partly", "partly granted"),
                    ("dismissed", "dismissed"),
                    (
                        "investigation_started",
                        "registered in the Unified Register of Pre-trial Investigations; pre-trial investigation started",
                    ),
                    (
                        "not_registered",
                        "not registered in the Unified Register of Pre-trial Investigations",
                    ),
                    ("investigation_terminated", "pre-trial investigation terminated"),
                ],
                default="",
                max_length=32,
                verbose_name="outcome",
            ),
        ),
        migrations.AlterField(
            model_name="documenttemplate",
            name="kind",
            field=models.CharField(
                choices=[
                    ("act", "act of violation"),
                    ("complaint_commission", "complaint to the higher election commission"),
                    ("complaint_court", "claim to the administrative court"),
                    ("statement_prosecutor", "statement to the prosecutor"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="legaldocument",
            name="kind",
            field=models.CharField(
                choices=[
                    ("act", "act of violation"),
                    ("complaint_commission", "complaint to the higher election commission"),
                    ("complaint_court", "claim to the administrative court"),
                    ("statement_prosecutor", "statement to the prosecutor"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
        migrations.RunPython(outcomes_forward, outcomes_backward),
        migrations.RunPython(sync_templates, migrations.RunPython.noop),
    ]
