"""The violation catalogue cites the law as references listed in legal/citations.yaml
("election_law 41(3,6)"), printed per language by the one citation formatter, instead of English
abbreviations ("art. 41 p.3, 6") that reached Kazakh and Russian pages and documents."""

from django.db import migrations, models

import baqylau.reports.models

#: old text → references (rows an administrator changed are left alone)
REFERENCES = {
    "coercion": ("art. 3", "election_law 3"),
    "multiple_voting": (
        "art. 41 p.1–2, art. 42, art. 25-3",
        "election_law 41(1,2); election_law 42; election_law 25-3",
    ),
    "no_id_issue": ("art. 41 p.3, 6; art. 25 p.3", "election_law 41(3,6); election_law 25(3)"),
    "missing_from_list": ("art. 24 p.3", "election_law 24(3)"),
    "list_irregularities": ("art. 41 p.4", "election_law 41(4)"),
    "reissued_ballot": ("art. 41", "election_law 41"),
    "proxy_voting": ("art. 41 p.2", "election_law 41(2)"),
    "group_voting": ("art. 41 p.1, art. 42 p.1", "election_law 41(1); election_law 42(1)"),
    "observer_obstruction": ("art. 20-1, art. 43 p.1", "election_law 20-1; election_law 43(1)"),
    "ballot_count_mismatch": ("art. 37 p.2", "election_law 37(2)"),
    "late_opening": ("art. 40", "election_law 40"),
    "count_irregular": ("art. 43 p.1", "election_law 43(1)"),
    "recount_refused": ("art. 43 p.7-1", "election_law 43(7-1)"),
    "protocol_refused": ("art. 43 p.8-1", "election_law 43(8-1)"),
    "protocol_late": ("art. 43 p.8", "election_law 43(8)"),
    "stuffing": ("art. 41; Criminal Code art. 151", "election_law 41; criminal_code 151"),
}


def forward(apps, schema_editor):
    ViolationType = apps.get_model("reports", "ViolationType")
    for code, (old, new) in REFERENCES.items():
        ViolationType.objects.filter(code=code, law_article=old).update(law_article=new)


def backward(apps, schema_editor):
    ViolationType = apps.get_model("reports", "ViolationType")
    for code, (old, new) in REFERENCES.items():
        ViolationType.objects.filter(code=code, law_article=new).update(law_article=old)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_violation_severity")]

    operations = [
        migrations.AlterField(
            model_name="violationtype",
            name="law_article",
            field=models.CharField(
                blank=True,
                help_text=(
                    'References listed in legal/citations.yaml, separated by ";", e.g. '
                    '"election_law 41(3,6); criminal_code 151".'
                ),
                max_length=200,
                validators=[baqylau.reports.models.validate_law_article],
                verbose_name="articles of the law",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
