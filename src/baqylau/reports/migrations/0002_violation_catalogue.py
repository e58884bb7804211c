"""Seed the violation catalogue from DESIGN.md's starter table (data; admins may edit it later)."""

from django.db import migrations

# code, article, en, ru, kk
CATALOGUE = [
    (
        "coercion",
        "art. 3",
        "Coercion of voters; voters photographing ballots to prove their vote",
        "Принуждение избирателей; фотографирование бюллетеня для отчёта",
        "Сайлаушыларды мәжбүрлеу; дауысын дәлелдеу үшін бюллетеньді суретке түсіру",
    ),
    (
        "multiple_voting",
        "art. 41 p.1–2, art. 42, art. 25-3",
        "Multiple voting, several ballots in one hand, carousel",
        "Многократное голосование, несколько бюллетеней в одни руки, «карусель»",
        "Бірнеше рет дауыс беру, бір адамға бірнеше бюллетень, «карусель»",
    ),
    (
        "no_id_issue",
        "art. 41 p.3, 6; art. 25 p.3",
        "Ballot issued on an address certificate or without ID or absentee certificate",
        "Выдача бюллетеня по адресной справке, без удостоверения личности или открепительного",
        "Бюллетеньді мекенжай анықтамасы бойынша, жеке куәліксіз немесе сырттай куәліксіз беру",
    ),
    (
        "missing_from_list",
        "art. 24 p.3",
        "Voter missing from the list",
        "Избирателя нет в списке",
        "Сайлаушы тізімде жоқ",
    ),
    (
        "list_irregularities",
        "art. 41 p.4",
        "Irregular voter lists or marks",
        "Нарушения в списках избирателей или отметках",
        "Сайлаушылар тізіміндегі немесе белгілердегі бұзушылықтар",
    ),
    (
        "reissued_ballot",
        "art. 41",
        "Ballot re-issued",
        "Повторная выдача бюллетеня",
        "Бюллетеньді қайта беру",
    ),
    (
        "proxy_voting",
        "art. 41 p.2",
        "Voting for another person",
        "Голосование за другого человека",
        "Басқа адамның орнына дауыс беру",
    ),
    (
        "group_voting",
        "art. 41 p.1, art. 42 p.1",
        "Two people in one booth, family voting",
        "Двое в одной кабине, семейное голосование",
        "Бір кабинада екі адам, отбасылық дауыс беру",
    ),
    (
        "observer_obstruction",
        "art. 20-1, art. 43 p.1",
        "Observers' rights restricted (view, movement, photo/video, removal)",
        "Ограничение прав наблюдателей (обзор, передвижение, фото/видео, удаление)",
        "Бақылаушылардың құқықтарын шектеу (көру, жүру, фото/бейне, шығару)",
    ),
    (
        "ballot_count_mismatch",
        "art. 37 p.2",
        "Ballots received do not match the voter list",
        "Число полученных бюллетеней не соответствует списку избирателей",
        "Алынған бюллетеньдер саны тізімге сәйкес емес",
    ),
    (
        "late_opening",
        "art. 40",
        "Late opening of the station",
        "Позднее открытие участка",
        "Учаскенің кеш ашылуы",
    ),
    (
        "count_irregular",
        "art. 43 p.1",
        "Count not by the rules (ballots not shown, chair absent, late start)",
        "Подсчёт с нарушениями (бюллетени не показывают, нет председателя, поздно начат)",
        "Санақ ережеге сай емес (бюллетеньдер көрсетілмейді, төраға жоқ, кеш басталды)",
    ),
    (
        "recount_refused",
        "art. 43 p.7-1",
        "Recount refused at an observer's request",
        "Отказ в пересчёте по требованию наблюдателя",
        "Бақылаушының талабы бойынша қайта санаудан бас тарту",
    ),
    (
        "protocol_refused",
        "art. 43 p.8-1",
        "Copy of the protocol or turnout refused",
        "Отказ выдать копию протокола или данные о явке",
        "Хаттама көшірмесін немесе келу деректерін беруден бас тарту",
    ),
    (
        "protocol_late",
        "art. 43 p.8",
        "Protocol drawn up late",
        "Протокол составлен с опозданием",
        "Хаттама кеш толтырылды",
    ),
    (
        "stuffing",
        "art. 41; Criminal Code art. 151",
        "Ballot stuffing, falsification",
        "Вброс бюллетеней, фальсификация",
        "Бюллетень салу, бұрмалау",
    ),
    (
        "campaigning",
        "",
        "Campaign material in the station",
        "Агитационные материалы на участке",
        "Учаскедегі үгіт материалдары",
    ),
    (
        "outsiders",
        "",
        "Unauthorised persons present",
        "Присутствие посторонних лиц",
        "Бөгде адамдардың болуы",
    ),
    (
        "mobile_box",
        "",
        "Voting outside the station without an application",
        "Голосование вне помещения без заявления",
        "Өтінішсіз үй-жайдан тыс дауыс беру",
    ),
]


def seed(apps, schema_editor):
    ViolationType = apps.get_model("reports", "ViolationType")
    for position, (code, article, en, ru, kk) in enumerate(CATALOGUE, start=1):
        ViolationType.objects.update_or_create(
            code=code,
            defaults={
                "law_article": article,
                "name_en": en,
                "name_ru": ru,
                "name_kk": kk,
                "position": position,
                "active": True,
            },
        )


def unseed(apps, schema_editor):
    ViolationType = apps.get_model("reports", "ViolationType")
    ViolationType.objects.filter(
        code__in=[row[0] for row in CATALOGUE], incidents__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
