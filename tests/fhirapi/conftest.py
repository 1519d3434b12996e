import pytest
from fhir.resources.R4B import get_fhir_model_class

from tests.conftest import clear_cache
from tests.coordination.factories import ResidentFactory
from tests.factories import SiteFactory, UnitFactory

from .factories import api_client, make_token


def valid(response) -> dict:
    """The response's JSON, checked against the R4B model of its resourceType (and of every entry)."""
    assert response["Content-Type"].startswith("application/fhir+json"), response["Content-Type"]
    data = response.json()
    get_fhir_model_class(data["resourceType"]).model_validate(data)
    return data


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db):
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def group(db):
    class Group:
        site_a = SiteFactory(name="Les Tilleuls")
        site_b = SiteFactory(name="Les Chênes")
        unit_a = UnitFactory(site=site_a, name="Jardin")
        unit_a2 = UnitFactory(site=site_a, name="Verger")
        unit_b = UnitFactory(site=site_b, name="Forêt")

    return Group


@pytest.fixture
def token_a(group):
    return make_token(group.site_a, name="DPI Tilleuls")


@pytest.fixture
def api(token_a):
    return api_client(token_a[1])


@pytest.fixture
def resident_a(group):
    return ResidentFactory(
        site=group.site_a, unit=group.unit_a, first_name="Rose", last_name="Martin", birth_name="Durand"
    )


@pytest.fixture
def resident_b(group):
    return ResidentFactory(site=group.site_b, unit=group.unit_b, first_name="Paul", last_name="Martin")
