"""The copies taking part in a station result: a list of ids on the result row (``copy_ids``)
instead of a flag on every copy — flagging 300,000 copies is a 300,000-row UPDATE at each first
recount (~7 s on PostgreSQL), the list is written with the result row at no extra cost.
"""

from django.db import migrations, models


def carry_over(apps, schema_editor):
    ProtocolCopy = apps.get_model("protocols", "ProtocolCopy")
    StationResult = apps.get_model("protocols", "StationResult")
    copies: dict[tuple[int, int], list[int]] = {}
    for pk, contest_id, station_id in (
        ProtocolCopy.objects.filter(counted=True)
        .order_by("pk")
        .values_list("pk", "contest_id", "station_id")
    ):
        copies.setdefault((contest_id, station_id), []).append(pk)
    for result in StationResult.objects.only("pk", "contest_id", "station_id"):
        ids = copies.get((result.contest_id, result.station_id))
        if ids:
            StationResult.objects.filter(pk=result.pk).update(copy_ids=ids)


class Migration(migrations.Migration):
    dependencies = [
        ("protocols", "0003_station_result_figures_on_row"),
    ]

    operations = [
        migrations.AddField(
            model_name="stationresult",
            name="copy_ids",
            field=models.JSONField(blank=True, default=list, verbose_name="copies taking part"),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.RemoveField(model_name="protocolcopy", name="counted"),
    ]
