"""Every URL of the project × every role: allowed or denied, as the matrix says."""

import importlib
import pkgutil
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

import tests.access as access_pkg
from directory.models import Assignment, Job
from tests.access.matrix import ROLES, World, expected_status
from tests.conftest import login_verified
from tests.coordination.factories import ResidentFactory
from tests.factories import FamilyUserFactory, SiteFactory, UnitFactory, make_group_admin, make_staff
from tests.portal.factories import link

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


def build_world() -> World:
    """The matrix's objects: two sites, the ten roles, and what each app's ``build`` adds."""
    site_a = SiteFactory(name="Site A")
    site_b = SiteFactory(name="Site B")
    unit_a = UnitFactory(site=site_a, name="Unit A")
    unit_b = UnitFactory(site=site_b, name="Unit B")
    today = timezone.localdate()
    ended = make_staff(site_a, unit=unit_a, email="interim.a@matrix.test")
    Assignment.objects.filter(user=ended).update(
        start_date=today - timedelta(days=30), end_date=today - timedelta(days=1)
    )
    users = {
        "family": FamilyUserFactory(email="family@matrix.test"),
        "family_b": FamilyUserFactory(email="family.b@matrix.test"),
        "staff_a": make_staff(site_a, unit=unit_a, email="staff.a@matrix.test"),
        "nurse_a": make_staff(site_a, unit=unit_a, job=Job.NURSE, email="nurse.a@matrix.test"),
        "staff_b": make_staff(site_b, unit=unit_b, job=Job.NURSE, email="staff.b@matrix.test"),
        "doctor_a": make_staff(site_a, job=Job.COORDINATING_DOCTOR, email="doctor.a@matrix.test"),
        "coordinator_a": make_staff(site_a, coordinator=True, job=Job.SITE_DIRECTOR, email="coord.a@matrix.test"),
        "group_admin": make_group_admin(email="admin@matrix.test"),
        "ended_a": ended,
    }
    w = World(site_a=site_a, site_b=site_b, unit_a=unit_a, unit_b=unit_b, users=users)
    # The other family follows a resident of site B: nothing of site A is theirs.
    link(users["family_b"], ResidentFactory(site=site_b, unit=unit_b, first_name="Paul"))
    for module in _rule_modules():
        if hasattr(module, "build"):
            module.build(w)
    return w


@pytest.fixture
def world(db):
    return build_world()


def _client_for(world, role):
    client = Client()
    if role == "anonymous":
        return client
    return login_verified(client, world.users[role])


#: Every method a browser or a script may try on a URL.
METHODS = ("get", "post", "put", "patch", "delete")


def _denied(role: str, expected: int) -> bool:
    return expected in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND) or (
        role == "anonymous" and expected == HTTPStatus.FOUND
    )


@pytest.mark.parametrize("rule_name", sorted(_all_rules()))
def test_access_matrix(world, rule_name):
    """The row's method gets exactly the row's status; every other method gets no 500, and nothing
    (no 2xx) for a role the row denies."""
    rule = _all_rules()[rule_name]
    url = reverse(rule.name, kwargs=rule.kwargs(world) if rule.kwargs else None)
    failures = []
    for role in ROLES:
        client = _client_for(world, role)
        data = rule.data(world) if rule.data else None
        response = getattr(client, rule.method)(url, data=data)
        expected = expected_status(rule.name, rule.statuses, role)
        if response.status_code != expected:
            failures.append(f"{role}: got {response.status_code}, expected {expected}")
        for method in METHODS:
            if method == rule.method:
                continue
            other = getattr(client, method)(url).status_code
            if other >= HTTPStatus.INTERNAL_SERVER_ERROR or (_denied(role, expected) and other < 300):
                failures.append(f"{role} {method.upper()}: got {other} (denied with {rule.method.upper()})")
        if (
            role == "anonymous"
            and expected == HTTPStatus.FOUND
            and rule.name not in ("session_keepalive", "set_language")
        ):
            assert "/accounts/login/" in response.url or rule.name.startswith("account_"), (role, response.url)
    assert not failures, f"{rule.name} ({url}): " + "; ".join(failures)


# --- WebSocket routes ------------------------------------------------------------------------

#: Who may open each WebSocket route: staff in post and relatives (their family threads); not a visitor,
#: nor someone whose assignment ended.
SOCKET_RULES = {"ws_messages": {role: role not in ("anonymous", "ended_a") for role in ROLES}}


def test_every_websocket_route_has_a_row():
    from carehub.routing import websocket_urlpatterns

    assert sorted(p.name for p in websocket_urlpatterns) == sorted(SOCKET_RULES)


async def _socket_accepted(client, path: str) -> bool:
    from channels.testing import WebsocketCommunicator
    from django.conf import settings

    from carehub.asgi import application

    headers = [(b"origin", b"http://testserver")]
    if settings.SESSION_COOKIE_NAME in client.cookies:
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect(timeout=10)
    accepted = connected and (await comm.receive_json_from(timeout=10)).get("type") == "hello"
    await comm.disconnect()
    return accepted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(SOCKET_RULES))
def test_websocket_routes_per_role(world, route):
    from asgiref.sync import async_to_sync

    from carehub.routing import websocket_urlpatterns

    path = "/" + str(next(p.pattern for p in websocket_urlpatterns if p.name == route))
    got = {role: async_to_sync(_socket_accepted)(_client_for(world, role), path) for role in ROLES}
    assert got == SOCKET_RULES[route]
