"""The seeded violation names in Kazakh follow docs/glossary.md ("do not use": бақылаушы,
сырттай куәлік, бюллетень салу for ballot stuffing). Only the seeded wording is replaced; names an
administrator edited are left alone."""

from django.db import migrations

RENAMES = {
    "Бақылаушылардың құқықтарын шектеу (көру, жүру, фото/бейне, шығару)": (
        "Байқаушылардың құқықтарын шектеу (көру, жүру, фото/бейне, шығару)"
    ),
    "Бақылаушының талабы бойынша қайта санаудан бас тарту": (
        "Байқаушының талабы бойынша қайта санаудан бас тарту"
    ),
    "Бюллетень салу, бұрмалау": "Бюллетеньдерді заңсыз салу, бұрмалау",
    "Бюллетеньді мекенжай анықтамасы бойынша, жеке куәліксіз немесе сырттай куәліксіз беру": (
        "Бюллетеньді мекенжай анықтамасы бойынша, жеке куәліксіз немесе есептен шығару "
        "куәлігінсіз беру"
    ),
}


def rename(apps, schema_editor):
    ViolationType = apps.get_model("reports", "ViolationType")
    for old, new in RENAMES.items():
        ViolationType.objects.filter(name_kk=old).update(name_kk=new)


def unrename(apps, schema_editor):
    ViolationType = apps.get_model("reports", "ViolationType")
    for old, new in RENAMES.items():
        ViolationType.objects.filter(name_kk=new).update(name_kk=old)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_violation_severity")]
    operations = [migrations.RunPython(rename, unrename)]
