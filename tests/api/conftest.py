import pytest

from baqylau.protocols import services as protocol_services
from tests.intake.factories import make_election


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def election(db):
    election = make_election()
    protocol_services.election_policy_set(
        election=election, validation={"turnout_review_above": 0.7}
    )
    return election
