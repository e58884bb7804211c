import pytest

from tests.legal.factories import make_incidents
from tests.observers.factories import build_world


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return build_world()


@pytest.fixture
def incidents(world):
    return make_incidents(world)


@pytest.fixture
def lawyer(world):
    user = world.users["lawyer_a"]
    user.email = "lawyer@example.org"
    user.save()
    return user
