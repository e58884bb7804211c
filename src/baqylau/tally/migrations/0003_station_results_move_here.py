"""The station results and their conflicts move here from the protocols app (the tally owns
reconciliation): the existing tables are taken over and renamed, nothing is copied. A result with a
single copy is no longer settled by itself (status "single")."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def single_copies(apps, schema_editor):
    StationResult = apps.get_model("tally", "StationResult")
    StationResult.objects.filter(status="agreed", copies_count__lt=2).update(status="single")


class Migration(migrations.Migration):
    dependencies = [
        ("tally", "0002_unitcount_shares_estimate_details"),
        ("protocols", "0005_checks_vocabulary_results_to_tally"),
        ("elections", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StationResult",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("status", models.CharField(max_length=16, verbose_name="status")),
                        (
                            "copies_count",
                            models.PositiveSmallIntegerField(default=0, verbose_name="copies"),
                        ),
                        (
                            "lines",
                            models.JSONField(
                                blank=True, default=dict, verbose_name="settled lines"
                            ),
                        ),
                        (
                            "votes",
                            models.JSONField(
                                blank=True, default=dict, verbose_name="settled votes by choice id"
                            ),
                        ),
                        (
                            "copy_ids",
                            models.JSONField(
                                blank=True, default=list, verbose_name="copies taking part"
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                        (
                            "contest",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="station_results",
                                to="elections.contest",
                            ),
                        ),
                        (
                            "station",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="station_results",
                                to="elections.adminunit",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "protocols_stationresult",
                        "verbose_name": "observed station result",
                        "verbose_name_plural": "observed station results",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("contest", "station"), name="station_result_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Conflict",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "line",
                            models.CharField(
                                blank=True, max_length=16, verbose_name="protocol line"
                            ),
                        ),
                        (
                            "values",
                            models.JSONField(
                                help_text='[{"copy": id, "value": n}, ...]',
                                verbose_name="values by copy",
                            ),
                        ),
                        (
                            "resolved_value",
                            models.PositiveIntegerField(
                                blank=True, null=True, verbose_name="chosen value"
                            ),
                        ),
                        ("resolution_reason", models.TextField(blank=True, verbose_name="reason")),
                        (
                            "resolved_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="resolved"),
                        ),
                        (
                            "choice",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="elections.choice",
                            ),
                        ),
                        (
                            "resolved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "result",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="conflicts",
                                to="tally.stationresult",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "protocols_conflict",
                        "verbose_name": "conflict between copies",
                        "verbose_name_plural": "conflicts between copies",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(
                                        ("choice__isnull", True),
                                        models.Q(("line", ""), _negated=True),
                                    ),
                                    models.Q(("choice__isnull", False), ("line", "")),
                                    _connector="OR",
                                ),
                                name="conflict_line_xor_choice",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="stationresult", table=None),
        migrations.AlterModelTable(name="conflict", table=None),
        migrations.RunPython(single_copies, migrations.RunPython.noop),
    ]
