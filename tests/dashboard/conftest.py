import pytest
from tests.dashboard.data import make_observed_election


@pytest.fixture
def observed(db, settings, tmp_path):
    """The observed election of `data.py`, counted and summarised by the background jobs."""
    settings.DATA_DIR = tmp_path
    return make_observed_election()
