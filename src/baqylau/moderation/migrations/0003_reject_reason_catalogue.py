"""The starter catalogue of reasons for rejecting a protocol copy (data; admins may edit it)."""

from django.db import migrations

REASONS = [
    (
        "only_one_page",
        "Хаттаманың тек бір беті бар",
        "Только одна страница протокола",
        "Only one page of the protocol",
    ),
    (
        "no_commission_members",
        "Комиссия мүшелері немесе комиссия нөмірі көрсетілмеген",
        "Не указаны члены комиссии или номер комиссии",
        "No commission members or commission number",
    ),
    (
        "figures_do_not_add_up",
        "Сандар сәйкес келмейді",
        "Цифры не сходятся",
        "Figures do not add up",
    ),
    (
        "turnout_over_limit",
        "Сайлаушылардың қатысуы саясатта белгіленген шектен жоғары",
        "Явка выше установленного порога",
        "Turnout over the policy limit",
    ),
    (
        "illegible_photo",
        "Сурет анық емес, оқылмайды",
        "Фото неразборчиво",
        "Illegible photo",
    ),
    ("duplicate", "Қайталанған хаттама", "Дубликат", "Duplicate"),
    (
        "wrong_station",
        "Басқа сайлау учаскесінің хаттамасы",
        "Протокол другого участка",
        "Wrong polling station",
    ),
    ("other", "Басқа себеп", "Другая причина", "Other"),
]


def add_reasons(apps, schema_editor):
    RejectReason = apps.get_model("moderation", "RejectReason")
    for code, kk, ru, en in REASONS:
        RejectReason.objects.update_or_create(
            code=code, defaults={"name_kk": kk, "name_ru": ru, "name_en": en, "active": True}
        )


def remove_reasons(apps, schema_editor):
    RejectReason = apps.get_model("moderation", "RejectReason")
    RejectReason.objects.filter(
        code__in=[code for code, *_ in REASONS], decision__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_initial")]
    operations = [migrations.RunPython(add_reasons, remove_reasons)]
