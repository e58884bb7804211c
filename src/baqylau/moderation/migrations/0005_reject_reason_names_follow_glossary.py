"""The seeded reject reason in Kazakh follows docs/glossary.md (turnout is "келу", a checks policy
is "тексеру ережесі"). Names an administrator edited are left alone."""

from django.db import migrations

OLD = "Сайлаушылардың қатысуы саясатта белгіленген шектен жоғары"
NEW = "Сайлаушылардың келуі тексеру ережесінде белгіленген шектен жоғары"


def rename(apps, schema_editor):
    apps.get_model("moderation", "RejectReason").objects.filter(name_kk=OLD).update(name_kk=NEW)


def unrename(apps, schema_editor):
    apps.get_model("moderation", "RejectReason").objects.filter(name_kk=NEW).update(name_kk=OLD)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0004_incident_decision")]
    operations = [migrations.RunPython(rename, unrename)]
