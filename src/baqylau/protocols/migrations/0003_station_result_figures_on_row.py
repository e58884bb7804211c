"""The reconciled figures of a station move onto its `StationResult` row (``lines`` and ``votes``
JSON maps) and the links to the copies taking part become a flag on the copy (``counted``).

Existing results are carried over; the old normalised tables are then dropped.
"""

import json

from django.db import migrations, models


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    json_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    figures: dict[int, tuple[dict, dict]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT result_id, line, value FROM protocols_stationresultline ORDER BY id")
        for result_id, line, value in cursor.fetchall():
            figures.setdefault(result_id, ({}, {}))[0][line] = value
        cursor.execute(
            "SELECT result_id, choice_id, votes FROM protocols_stationresultvote ORDER BY id"
        )
        for result_id, choice_id, votes in cursor.fetchall():
            figures.setdefault(result_id, ({}, {}))[1][str(choice_id)] = votes
        cursor.executemany(
            f"UPDATE protocols_stationresult SET lines = {json_param}, votes = {json_param} "
            "WHERE id = %s",
            [(json.dumps(lines), json.dumps(votes), pk) for pk, (lines, votes) in figures.items()],
        )
        cursor.execute(
            "UPDATE protocols_protocolcopy SET counted = %s WHERE id IN "
            "(SELECT protocolcopy_id FROM protocols_stationresult_copies)",
            [True],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("protocols", "0002_election_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="protocolcopy",
            name="counted",
            field=models.BooleanField(
                db_default=False, default=False, verbose_name="counted in the station's result"
            ),
        ),
        migrations.AddField(
            model_name="stationresult",
            name="lines",
            field=models.JSONField(blank=True, default=dict, verbose_name="settled lines"),
        ),
        migrations.AddField(
            model_name="stationresult",
            name="votes",
            field=models.JSONField(
                blank=True, default=dict, verbose_name="settled votes by choice id"
            ),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.RemoveField(model_name="stationresult", name="copies"),
        migrations.DeleteModel(name="StationResultLine"),
        migrations.DeleteModel(name="StationResultVote"),
    ]
