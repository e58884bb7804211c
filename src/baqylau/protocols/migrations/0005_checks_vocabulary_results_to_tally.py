"""One vocabulary: a copy "passed" or "failed" the checks (was accepted / review / rejected, which
used the moderators' words), moderation states named as the glossary does; and the station results
and their conflicts move to the tally, which owns reconciliation (the tables are kept and renamed
there, see tally 0003)."""

from django.db import migrations, models


def to_checks(apps, schema_editor):
    ProtocolCopy = apps.get_model("protocols", "ProtocolCopy")
    ProtocolCopy.objects.filter(checks="accepted").update(checks="passed")
    ProtocolCopy.objects.exclude(checks="passed").update(checks="failed")


def from_checks(apps, schema_editor):
    ProtocolCopy = apps.get_model("protocols", "ProtocolCopy")
    ProtocolCopy.objects.filter(checks="passed").update(checks="accepted")
    ProtocolCopy.objects.filter(checks="failed").update(checks="rejected")


class Migration(migrations.Migration):
    dependencies = [
        ("protocols", "0004_station_result_copy_ids"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="protocolcopy", name="copy_queue"),
        migrations.RenameField(model_name="protocolcopy", old_name="validation", new_name="checks"),
        migrations.RunPython(to_checks, from_checks),
        migrations.AlterField(
            model_name="protocolcopy",
            name="checks",
            field=models.CharField(
                choices=[("passed", "passed the checks"), ("failed", "failed the checks")],
                max_length=16,
                verbose_name="checks",
            ),
        ),
        migrations.AlterField(
            model_name="protocolcopy",
            name="moderation",
            field=models.CharField(
                choices=[
                    ("pending", "waiting for a moderator"),
                    ("accepted", "accepted by a moderator"),
                    ("rejected", "rejected by a moderator"),
                ],
                default="pending",
                max_length=16,
                verbose_name="moderation",
            ),
        ),
        migrations.AlterField(
            model_name="protocolcopy",
            name="findings",
            field=models.JSONField(
                blank=True, default=list, verbose_name="protocol-check findings"
            ),
        ),
        migrations.AddIndex(
            model_name="protocolcopy",
            index=models.Index(fields=["contest", "moderation", "checks"], name="copy_queue"),
        ),
        migrations.AddConstraint(
            model_name="protocolcopy",
            constraint=models.CheckConstraint(
                condition=models.Q(checks__in=["passed", "failed"]), name="copy_checks_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="protocolcopy",
            constraint=models.CheckConstraint(
                condition=models.Q(moderation__in=["pending", "accepted", "rejected"]),
                name="copy_moderation_known",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Conflict"),
                migrations.DeleteModel(name="StationResult"),
            ],
            database_operations=[],
        ),
    ]
