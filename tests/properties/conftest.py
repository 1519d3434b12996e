"""Property tests of hostile input (issue 17): the Hypothesis profile and the world they share.

The profile is reproducible in CI (``derandomize``: the same examples every run) and writes no
example database into the repository. ``HYPOTHESIS_PROFILE=carehub-dev`` explores at random;
``carehub-postgres`` (CI's PostgreSQL step) runs 25 examples a property.
"""

import os

import pytest
from django.db import transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, settings

from tests.conftest import login_verified

settings.register_profile(
    "carehub",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    # The signed-in clients and the shared world are made once per test, not per example, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("carehub-dev", parent=settings.get_profile("carehub"), derandomize=False)
# CI's PostgreSQL step: the same properties, fewer examples (the SQLite step runs the 200; the
# explicit @example regressions, NUL characters among them, run in both).
settings.register_profile("carehub-postgres", parent=settings.get_profile("carehub"), max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "carehub"))


@pytest.fixture(scope="module")
def props_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The access matrix's world (ten roles, two sites, an object of every kind), built once per module
    inside a transaction rolled back at its end; each test and each example runs in a savepoint of its
    own within it. (Per module, not per session: the socket tests need the database unlocked.)"""
    from tests.access.test_access_matrix import build_world

    root = tmp_path_factory.mktemp("media")
    pieces = tmp_path_factory.mktemp("pieces")
    storages = {
        "BACKEND": "carehub.storage.MediaStorage",
        "OPTIONS": {"location": str(root), "base_url": "/no-public-media/"},
    }
    from django.conf import settings as django_settings

    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=root, UPLOAD_PIECES_DIR=str(pieces), STORAGES={**django_settings.STORAGES, "default": storages}
        ),
        transaction.atomic(),
    ):
        world = build_world()
        _other_site_objects(world)
        world.media_root, world.pieces_root = root, pieces
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def clients(props_world, db):
    """clients(role) -> a client signed in as that role of the world (second factor passed), made once
    per test; ``clients("anonymous")`` signs nobody in, ``clients("staff_a:password")`` stops at the
    password (the second factor still to pass)."""
    made = {}

    def client_for(role: str) -> Client:
        if role not in made:
            client = Client(HTTP_ACCEPT_LANGUAGE="fr")
            name, _sep, step = role.partition(":")
            if name == "anonymous":
                made[role] = client
            elif step == "password":
                client.force_login(props_world.users[name], backend="django.contrib.auth.backends.ModelBackend")
                made[role] = client
            else:
                made[role] = login_verified(client, props_world.users[name])
        return made[role]

    return client_for


def _other_site_objects(world) -> None:
    """Objects of site B whose ids a hostile request of site A sends."""
    from tests.coordination.factories import CareNoteFactory, ResidentFactory

    world.resident_b = ResidentFactory(site=world.site_b, unit=world.unit_b, last_name="Autre-Site")
    world.note_b = CareNoteFactory(resident=world.resident_b, author=world.users["staff_b"])
