import pytest

from baqylau.crowd import services
from tests.bots.helpers import seed_election


@pytest.fixture
def election(settings, tmp_path):
    """The small test election with the voters' bot pointed at it; fresh caches."""
    settings.DATA_DIR = tmp_path
    services.cache_clear()
    yield seed_election()
    services.cache_clear()
