"""The forensic report is a background job (it takes seconds to minutes: never in a request),
queued after every import of official results; the public page reads what it published."""

import pytest

from baqylau.jobs.worker import run_until_idle

pytestmark = pytest.mark.django_db


def test_publish_report_job_publishes_the_report(settings, tmp_path, client):
    from baqylau.forensics.services import published_report
    from baqylau.forensics.tasks import publish_report
    from baqylau.simulate.engine import SimulationConfig, simulate
    from baqylau.simulate.loader import load_simulation

    settings.DATA_DIR = tmp_path
    election = load_simulation(
        simulate(SimulationConfig(seed=7, n_stations=2000)), election_code="sim-job"
    )
    assert published_report("sim-job") is None
    publish_report.enqueue(election.pk, draws=50, seed=3)
    assert published_report("sim-job") is None  # queued, not run inside the caller
    run_until_idle()
    report = published_report("sim-job")
    assert report["published"]["draws"] == 50 and report["published"]["seed"] == 3
    html = client.get("/en/e/sim-job/forensics/").content.decode()
    assert "Election fingerprint" in html
