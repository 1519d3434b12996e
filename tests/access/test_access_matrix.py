"""Every URL of the project × every role: allowed or denied, as the matrix says."""

import importlib
import pkgutil
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests.access as access_pkg
from tests.access.matrix import ROLES, World
from tests.conftest import login_verified
from tests.factories import FamilyUserFactory, SiteFactory, UnitFactory, make_group_admin, make_staff

#: Namespaces checked by their own tests (the admin: tests/access/test_admin_scope.py).
SEPARATELY_CHECKED_NAMESPACES = {"admin"}


def _rule_modules():
    for info in pkgutil.iter_modules(access_pkg.__path__):
        if info.name.startswith("rules_"):
            yield importlib.import_module(f"tests.access.{info.name}")


def _all_rules():
    rules = {}
    for module in _rule_modules():
        for rule in module.RULES:
            assert rule.name not in rules, f"two rows for {rule.name}"
            rules[rule.name] = rule
    return rules


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, ns)
        elif isinstance(entry, URLPattern):
            if entry.name:
                yield f"{namespace}{entry.name}"
            else:
                yield f"{namespace}<unnamed {entry.pattern}>"


def test_every_url_has_a_row_in_the_matrix():
    rules = _all_rules()
    missing = sorted(
        name
        for name in set(_named_patterns())
        if name.split(":")[0] not in SEPARATELY_CHECKED_NAMESPACES and name not in rules
    )
    assert not missing, f"URLs without an access-matrix row: {missing}"
    unknown = sorted(set(rules) - set(_named_patterns()))
    assert not unknown, f"matrix rows for URLs that do not exist: {unknown}"


@pytest.fixture
def world(db):
    site_a = SiteFactory(name="Site A")
    site_b = SiteFactory(name="Site B")
    unit_a = UnitFactory(site=site_a, name="Unit A")
    unit_b = UnitFactory(site=site_b, name="Unit B")
    users = {
        "family": FamilyUserFactory(email="family@matrix.test"),
        "staff_a": make_staff(site_a, unit=unit_a, email="staff.a@matrix.test"),
        "staff_b": make_staff(site_b, unit=unit_b, email="staff.b@matrix.test"),
        "coordinator_a": make_staff(site_a, coordinator=True, email="coord.a@matrix.test"),
        "group_admin": make_group_admin(email="admin@matrix.test"),
    }
    w = World(site_a=site_a, site_b=site_b, unit_a=unit_a, unit_b=unit_b, users=users)
    for module in _rule_modules():
        if hasattr(module, "build"):
            module.build(w)
    return w


def _client_for(world, role):
    client = Client()
    if role == "anonymous":
        return client
    return login_verified(client, world.users[role])


@pytest.mark.parametrize("rule_name", sorted(_all_rules()))
def test_access_matrix(world, rule_name):
    rule = _all_rules()[rule_name]
    url = reverse(rule.name, kwargs=rule.kwargs(world) if rule.kwargs else None)
    failures = []
    for role in ROLES:
        client = _client_for(world, role)
        data = rule.data(world) if rule.data else None
        response = getattr(client, rule.method)(url, data=data)
        expected = rule.statuses[role]
        if response.status_code != expected:
            failures.append(f"{role}: got {response.status_code}, expected {expected}")
        if (
            role == "anonymous"
            and expected == HTTPStatus.FOUND
            and rule.name not in ("session_keepalive", "set_language")
        ):
            assert "/accounts/login/" in response.url or rule.name.startswith("account_"), (role, response.url)
    assert not failures, f"{rule.name} ({url}): " + "; ".join(failures)
