"""Importers given a file that is not a table (a photo, random bytes, a damaged workbook, a zip
whose member is not text) say so in one sentence naming the file, write nothing and exit
non-zero: `baqylau import table|russia|kz2019`, `baqylau observers import`, and the admin import."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
import typer
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image
from typer.testing import CliRunner

from baqylau.elections import cli as elections_cli
from baqylau.elections.models import AdminUnit, ImportJob, ImportRun
from baqylau.jobs.worker import run_until_idle
from baqylau.observers import cli as observers_cli
from baqylau.observers.models import Observer, Organisation

from .helpers import MAPPING, write_csv

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 20, 20)).save(buffer, "JPEG")
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def damaged_xlsx(tmp_path) -> bytes:
    """A real workbook whose sheet XML is cut in half."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "phone"])
    book.active.append(["A", "+77011112233"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    out = io.BytesIO()
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    return out.getvalue()


def zip_with(member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(member, content)
    return out.getvalue()


@pytest.fixture
def app():
    app = typer.Typer()
    elections_cli.register(app)
    observers_cli.register(app)
    return app


@pytest.fixture
def mapping_file(tmp_path):
    def make(**file_options):
        data = {**MAPPING, "file": {**MAPPING.get("file", {}), **file_options}}
        path = tmp_path / f"m-{'-'.join(map(str, file_options.values())) or 'csv'}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return str(path)

    return make


def run(app, *args):
    return CliRunner().invoke(app, list(args))


def assert_refused(result, *fragments):
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    text = " ".join(result.output.split())  # rich wraps long lines
    for fragment in fragments:
        assert fragment in text, text
    assert not AdminUnit.objects.exists() and not ImportRun.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("results.csv", jpeg(), "it is a JPEG image"),
        ("results.csv", png(), "it is a PNG image"),
        ("results.csv", os.urandom(20_000), "it is binary data"),
        ("results.csv", zip_with("results.csv", b"a,b\n1,2\n"), "it is a zip archive"),
    ],
)
def test_import_table_refuses_binary_as_csv(app, tmp_path, mapping_file, name, content, said):
    path = tmp_path / name
    path.write_bytes(content)
    result = run(app, "import", "table", str(path), "-m", mapping_file())
    assert_refused(result, f"{name}: the file is not a text (CSV) table: {said}", "Nothing")


def test_import_table_refuses_a_zip_whose_member_is_not_text(app, tmp_path, mapping_file):
    path = tmp_path / "results.zip"
    path.write_bytes(zip_with("results.csv", jpeg()))
    result = run(app, "import", "table", str(path), "-m", mapping_file(format="zip"))
    assert_refused(
        result, "results.zip: the member 'results.csv' is not a text (CSV) table: it is a JPEG"
    )


def test_import_table_refuses_what_is_not_a_zip(app, tmp_path, mapping_file):
    path = tmp_path / "results.zip"
    path.write_bytes(png())
    result = run(app, "import", "table", str(path), "-m", mapping_file(format="zip"))
    assert_refused(result, "results.zip: not a zip archive: it is a PNG image")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("damaged", "the workbook is damaged: row 1 of sheet 'Sheet' cannot be read"),
        (
            b"PK\x03\x04" + bytes(range(256)) * 8,
            "not a readable XLSX workbook: the file is damaged",
        ),
        ("jpeg", "not a readable XLSX workbook: it is a JPEG image"),
        (b"region,votes\n01,5\n", "not a readable XLSX workbook: it is text"),
    ],
)
def test_import_table_refuses_what_is_not_a_workbook(app, tmp_path, mapping_file, content, said):
    path = tmp_path / "results.xlsx"
    data = {"damaged": lambda: damaged_xlsx(tmp_path), "jpeg": jpeg}.get(content)
    path.write_bytes(data() if data else content)
    result = run(app, "import", "table", str(path), "-m", mapping_file(format="xlsx"))
    assert_refused(result, f"results.xlsx: {said}")


def test_import_russia_and_kz2019_refuse_binary(app, tmp_path):
    russia = tmp_path / "ru2018.csv.zip"
    russia.write_bytes(zip_with("ru2018.csv", os.urandom(5000)))
    assert_refused(
        run(app, "import", "russia", str(russia)),
        "ru2018.csv.zip: the member 'ru2018.csv' is not a text (CSV) table: it is binary data",
    )
    kz = tmp_path / "kz2019_president_official_regions.csv"
    kz.write_bytes(jpeg())
    assert_refused(
        run(app, "import", "kz2019", str(kz)),
        "kz2019_president_official_regions.csv: the file is not a text (CSV) table: "
        "it is a JPEG image",
    )


@pytest.mark.django_db(transaction=True)  # the command runs the jobs, which close connections
def test_text_tables_still_import(app, tmp_path, mapping_file):
    """The check looks at bytes, not names: a clean CSV still imports."""
    result = run(app, "import", "table", str(write_csv(tmp_path / "t.csv")), "-m", mapping_file())
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        (
            "observers.csv",
            jpeg(),
            "observers.csv: the file is not a text (CSV) table: it is a JPEG",
        ),
        ("observers.csv", os.urandom(4000), "the file is not a text (CSV) table: it is binary"),
        ("observers.csv", "name,phone\nÉlise,1\n".encode("cp1252"), "line 2 is not UTF-8 text"),
        ("observers.xlsx", "damaged", "observers.xlsx: the workbook is damaged"),
        ("observers.xlsx", "jpeg", "observers.xlsx: not a readable XLSX workbook: it is a JPEG"),
    ],
)
def test_observers_import_refuses_binary(app, tmp_path, settings, name, content, said):
    settings.DATA_DIR = tmp_path
    Organisation.objects.create(code="org1", kind="ngo")
    data = {"damaged": lambda: damaged_xlsx(tmp_path), "jpeg": jpeg}.get(content)
    path = tmp_path / name
    path.write_bytes(data() if data else content)
    with translation.override("en"):
        result = run(app, "observers", "import", "org1", str(path))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert said in " ".join(result.output.split())
    assert not Observer.objects.exists()


@pytest.mark.django_db(transaction=True)  # the import job runs here, and closes connections
def test_admin_import_shows_the_same_message(admin_client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    url = reverse("admin:elections_importrun_import_file")
    upload = SimpleUploadedFile("kz2019_regions.csv", jpeg(), content_type="text/csv")
    response = admin_client.post(url, {"file": upload, "mapping": "kz2019_regions"})
    assert response.status_code == 302
    run_until_idle()
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REFUSED
    page = admin_client.get(response["Location"]).content.decode()
    assert "kz2019_regions.csv: the file is not a text (CSV) table: it is a JPEG image" in page, (
        page
    )
    assert not ImportRun.objects.exists()
