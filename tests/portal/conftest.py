"""Two families of two residents on two sites: the world every isolation test runs in."""

from dataclasses import dataclass

import pytest

from tests.conftest import clear_cache
from tests.factories import FamilyUserFactory, make_staff
from tests.portal.factories import ResidentFactory, link


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    """Every test writes its files under its own temporary directory."""


@pytest.fixture(autouse=True)
def _clear_cache(db):
    """Rate-limit buckets and cached sessions live in the cache: every test starts clean."""
    clear_cache()
    yield
    clear_cache()


@dataclass
class Family:
    user: object
    resident: object
    link: object


@pytest.fixture
def marie(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, first_name="Marie", last_name="Durand")


@pytest.fixture
def louis(site_b, unit_b):
    return ResidentFactory(site=site_b, unit=unit_b, first_name="Louis", last_name="Bernard")


@pytest.fixture
def family_a(marie):
    user = FamilyUserFactory(email="jeanne.durand@famille.test", first_name="Jeanne", last_name="Durand")
    return Family(user, marie, link(user, marie))


@pytest.fixture
def family_b(louis):
    user = FamilyUserFactory(email="paul.bernard@famille.test", first_name="Paul", last_name="Bernard")
    return Family(user, louis, link(user, louis))


@pytest.fixture
def nurse_a(site_a, unit_a):
    from directory.models import Job

    return make_staff(
        site_a, unit=unit_a, job=Job.NURSE, email="ide.a@carehub.test", first_name="Sophie", last_name="Garnier"
    )
