"""Admin pages of the election model and the "import file" view."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from baqylau.dashboard.models import UnitStats
from baqylau.elections.importing import run_import
from baqylau.elections.models import AdminUnit, ImportJob, ImportRun
from baqylau.jobs.worker import run_until_idle
from baqylau.tally.models import UnitCount

from .helpers import csv_text, mapping, write_csv

pytestmark = pytest.mark.django_db

MODELS = (
    "election",
    "contest",
    "choice",
    "adminunit",
    "officialresult",
    "officialline",
    "officialvote",
    "importrun",
)


@pytest.mark.parametrize("model", MODELS)
def test_changelists_and_search(admin_client, tmp_path, model):
    run_import(write_csv(tmp_path / "t.csv"), mapping())
    url = reverse(f"admin:elections_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "01"}).status_code == 200


def test_unit_change_page(admin_client, tmp_path):
    run_import(write_csv(tmp_path / "t.csv"), mapping())
    unit = AdminUnit.objects.get(path="KZ/01/Kokshetau/1")
    assert (
        admin_client.get(reverse("admin:elections_adminunit_change", args=[unit.pk])).status_code
        == 200
    )


def _post_import(admin_client, name: str, content: bytes, **fields):
    url = reverse("admin:elections_importrun_import_file")
    return admin_client.post(url, {"file": SimpleUploadedFile(name, content), **fields})


def _mapping_file() -> SimpleUploadedFile:
    import yaml

    from .helpers import MAPPING

    return SimpleUploadedFile("m.yaml", yaml.safe_dump(MAPPING).encode())


def test_import_view_queues_the_import_and_shows_its_progress(admin_client, settings, tmp_path):
    """The upload is stored and queued (nothing is imported inside the request); the progress
    page follows the job; a worker imports it, and the count and the public pages follow."""
    settings.DATA_DIR = tmp_path
    response = _post_import(
        admin_client, "t.csv", csv_text().encode(), mapping_file=_mapping_file()
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response.url.endswith(f"?job={job.pk}")
    assert job.state == ImportJob.State.QUEUED and Path(job.stored_path).exists()
    assert not AdminUnit.objects.exists() and not ImportRun.objects.exists()

    page = admin_client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "t.csv" in html and job.get_state_display() in html
    assert 'http-equiv="refresh"' in html  # the page follows the job by itself

    run_until_idle()  # the worker: the import, then the recount and summaries it queues
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, (job.summary, job.problems)
    assert job.rows_done == job.rows_total == 4 and job.import_run == ImportRun.objects.get()
    assert not Path(job.stored_path).exists()  # the upload is not kept once imported
    html = admin_client.get(response.url).content.decode()
    assert job.summary and job.summary in html and 'http-equiv="refresh"' not in html
    assert AdminUnit.objects.filter(kind="station").count() == 4
    root = AdminUnit.objects.get(parent__isnull=True)
    assert UnitCount.objects.filter(unit=root).exists()  # counted by the recount job
    assert UnitStats.objects.filter(unit=root).exists()  # the public page is ready


def test_import_view_with_shipped_mapping(admin_client, shared_data, settings, tmp_path):
    from tests.conftest import shared_file

    settings.DATA_DIR = tmp_path
    path = shared_file(shared_data, "kazakhstan/kz2019_president_official_regions.csv")
    url = reverse("admin:elections_importrun_import_file")
    assert admin_client.get(url).status_code == 200
    response = _post_import(admin_client, path.name, path.read_bytes(), mapping="kz2019_regions")
    assert response.status_code == 302
    run_until_idle()
    assert ImportJob.objects.get().state == ImportJob.State.DONE
    assert ImportRun.objects.get().rows == 17


def test_import_view_lists_problems(admin_client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    bad = csv_text().replace("400", "-400")
    response = _post_import(admin_client, "bad.csv", bad.encode(), mapping_file=_mapping_file())
    assert response.status_code == 302
    run_until_idle()
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REFUSED and job.problems_total >= 1
    html = admin_client.get(response.url).content.decode()
    assert "negative figure: -400" in html
    assert "nothing was written" in html
    assert not AdminUnit.objects.exists() and not ImportRun.objects.exists()


def test_import_view_refuses_a_broken_mapping_at_once(admin_client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    broken = SimpleUploadedFile("m.yaml", b"units: 5\n")
    response = _post_import(admin_client, "t.csv", csv_text().encode(), mapping_file=broken)
    assert response.status_code == 200
    assert "mapping: &#x27;election&#x27; is required" in response.content.decode()
    assert not ImportJob.objects.exists()
