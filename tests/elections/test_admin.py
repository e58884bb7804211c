"""Admin pages of the election model and the "import file" view."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from baqylau.elections.importing import run_import
from baqylau.elections.models import AdminUnit, ImportRun

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


def test_import_view_with_shipped_mapping(admin_client, shared_data):
    from tests.conftest import shared_file

    path = shared_file(shared_data, "kazakhstan/kz2019_president_official_regions.csv")
    url = reverse("admin:elections_importrun_import_file")
    assert admin_client.get(url).status_code == 200
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    response = admin_client.post(url, {"file": upload, "mapping": "kz2019_regions"})
    assert response.status_code == 302
    assert ImportRun.objects.get().rows == 17


def test_import_view_lists_problems(admin_client, tmp_path):
    import yaml

    from .helpers import MAPPING

    bad = csv_text().replace("400", "-400")
    response = admin_client.post(
        reverse("admin:elections_importrun_import_file"),
        {
            "file": SimpleUploadedFile("bad.csv", bad.encode()),
            "mapping_file": SimpleUploadedFile("m.yaml", yaml.safe_dump(MAPPING).encode()),
        },
    )
    assert response.status_code == 200
    assert "negative figure: -400" in response.content.decode()
    assert not AdminUnit.objects.exists()
