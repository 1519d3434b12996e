"""Shared fixtures: the two-site group every test can use, and signed-in clients.

Roles of the access matrix: anonymous, family, care staff of site A, care staff
of site B, coordinator of site A, group admin.
"""

import os

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from tests.factories import (
    FamilyUserFactory,
    SiteFactory,
    UnitFactory,
    confirmed_totp,
    make_group_admin,
    make_staff,
)

#: A page every signed-in person may open once past the second factor (care staff land on their
#: handover, not on "/").
ANY_PAGE = "/accounts/security/"

#: The fault tests' report (its fixture and its table at the end of the run), for every run of the suite.
pytest_plugins = ["tests.faults.report"]

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
ON_REDIS = bool(os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not ON_REDIS:
            item.add_marker(skip_redis)


def clear_cache() -> None:
    """Empty this test process's cache only.

    On Redis, ``cache.clear()`` would flush the whole database: the channel
    layer, the Celery queues and the other parallel test processes' keys with it.
    """
    from django.core.cache import cache

    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")  # django-redis applies this process's KEY_PREFIX
    else:
        cache.clear()


def login_verified(client: Client, user) -> Client:
    """Sign a client in as ``user`` with a second factor already passed."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = confirmed_totp(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded and generated files go to the test's own temporary folder, never to var/media."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "carehub.storage.MediaStorage",
            "OPTIONS": {"location": str(root), "base_url": "/no-public-media/"},
        },
    }
    return root


@pytest.fixture
def site_a(db):
    return SiteFactory(name="EHPAD Les Tilleuls")


@pytest.fixture
def site_b(db):
    return SiteFactory(name="Résidence Les Oliviers", time_zone="America/Cayenne")


@pytest.fixture
def unit_a(site_a):
    return UnitFactory(site=site_a, name="Les Lilas")


@pytest.fixture
def unit_b(site_b):
    return UnitFactory(site=site_b, name="Les Palmiers")


@pytest.fixture
def staff_a(site_a, unit_a):
    return make_staff(site_a, unit=unit_a, email="aide.a@carehub.test", first_name="Hélène", last_name="Lefèvre")


@pytest.fixture
def staff_b(site_b, unit_b):
    return make_staff(site_b, unit=unit_b, email="aide.b@carehub.test", first_name="Marc", last_name="Dupont")


@pytest.fixture
def coordinator_a(site_a):
    from directory.models import Job

    return make_staff(
        site_a, job=Job.NURSE_COORDINATOR, coordinator=True, email="idec.a@carehub.test", first_name="Claire"
    )


@pytest.fixture
def group_admin(db):
    return make_group_admin(email="siege@carehub.test", first_name="Paul")


@pytest.fixture
def family_user(db):
    return FamilyUserFactory(email="famille@carehub.test", first_name="Jeanne")


@pytest.fixture
def verified_client():
    """Return a function: verified_client(user) -> a signed-in, 2FA-verified test client."""

    def make(user):
        return login_verified(Client(), user)

    return make


@pytest.fixture(autouse=True)
def _fresh_policy_cache_and_language(settings):
    settings.LANGUAGE_CODE = "fr"


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """A channel layer of its own for each test: channels_redis keeps asyncio locks bound to the event
    loop that first used them, and each async test runs its own loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
