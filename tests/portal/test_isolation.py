"""Two families of two residents on two sites: each tries every portal URL and every
staff URL with the other family's objects, by id. Every answer is 404: nothing leaks,
not even that the object exists."""

import uuid
from http import HTTPStatus

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter

from messaging import services as messaging_services
from messaging.models import Conversation, Kind
from portal import services
from portal.models import Invitation, Relationship
from tests.portal.factories import shared_document, shared_note

#: Namespaces and names whose URLs address no object of a family (sign-in, allauth keys…).
#: Not reached with a session at all: the admin (tests/access/test_admin_scope.py) and the FHIR API,
#: which answers 401 to every session and reads only API tokens (tests/fhirapi).
NOT_OBJECT_URLS = {"admin", "fhirapi"}
TOKEN_URLS = {"portal:invitation_accept"}


def _patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace in NOT_OBJECT_URLS:
                continue
            yield from _patterns(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.pattern.converters


def object_urls():
    """Every named URL that takes an object id (uuid or int), with its converters."""
    return sorted(
        (name, converters)
        for name, converters in _patterns()
        if converters
        and name not in TOKEN_URLS
        and all(isinstance(c, UUIDConverter | IntConverter) for c in converters.values())
    )


def _world(family, staff, coordinator, site, unit):
    """Every kind of object a family's portal or a staff page could address, for one family."""
    note = shared_note(family.resident, staff)
    document = shared_document(family.resident, coordinator)
    thread = Conversation.objects.get(kind=Kind.FAMILY, resident=family.resident)
    message = messaging_services.message_send(
        conversation=thread, sender=family.user, body="Bonjour", client_token=uuid.uuid4()
    ).message
    invitation = services.invitation_create(
        actor=coordinator,
        resident=family.resident,
        email=f"autre.{family.resident.pk}@famille.test",
        relationship=Relationship.SIBLING,
        may_see_news=True,
        may_see_documents=False,
        may_see_messages=False,
    )
    return {
        "resident": family.resident,
        "note": note,
        "document": document,
        "version": document.current_version,
        "folder": document.folder,
        "thread": thread,
        "message": message,
        "link": family.link,
        "invitation": invitation,
        "site": site,
        "unit": unit,
        "user": family.user,
    }


@pytest.fixture
def worlds(family_a, family_b, staff_a, staff_b, coordinator_a, group_admin, site_a, site_b, unit_a, unit_b):
    return {
        "a": (family_a, _world(family_a, staff_a, coordinator_a, site_a, unit_a)),
        "b": (family_b, _world(family_b, staff_b, group_admin, site_b, unit_b)),
    }


def _value(converter, obj):
    if isinstance(converter, UUIDConverter):
        return getattr(obj, "public_id", None)
    return obj.pk


def _try(client, url):
    response = client.get(url)
    if response.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        response = client.post(url)
    return response.status_code


#: The kinds of object each app's URLs address (an app not listed is tried with every kind).
RELEVANT = {
    "portal": ("resident", "document", "link", "invitation", "site"),
    "coordination": ("resident", "note", "site", "unit"),
    "documents": ("document", "version", "folder", "resident", "site"),
    "messaging": ("thread", "message", "resident", "user"),
    "directory": ("site", "unit", "user"),
    "backoffice": ("resident", "site", "user", "unit"),
}


def _absent_kwargs(converters):
    return {
        key: (uuid.uuid4() if isinstance(conv, UUIDConverter) else 2_000_000_000) for key, conv in converters.items()
    }


@pytest.mark.parametrize(("me", "other"), [("a", "b"), ("b", "a")])
def test_each_family_gets_404_on_every_url_with_the_other_familys_objects(worlds, me, other, verified_client):
    """Portal URLs: 404, always. Staff URLs of the other apps: 404, or a refusal that
    does not depend on the object at all (the same answer as for an id that exists
    nowhere), so that nothing leaks; those blanket refusals are listed in the report."""
    family, _own = worlds[me]
    _other_family, theirs = worlds[other]
    client = verified_client(family.user)
    failures, tried = [], 0
    for name, converters in object_urls():
        absent_status = _try(client, reverse(name, kwargs=_absent_kwargs(converters)))
        labels = RELEVANT.get(name.split(":")[0], tuple(theirs))
        for label in labels:
            obj = theirs[label]
            kwargs = {key: _value(conv, obj) for key, conv in converters.items()}
            if any(v is None for v in kwargs.values()):
                continue
            url = reverse(name, kwargs=kwargs)
            status = _try(client, url)
            tried += 1
            if status == HTTPStatus.NOT_FOUND:
                continue
            if name.startswith("portal:") or status != absent_status or status != HTTPStatus.FORBIDDEN:
                failures.append(f"{name} with the other family's {label}: {status} ({url})")
    assert tried > 150
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("me", "other"), [("a", "b"), ("b", "a")])
def test_mixing_ones_own_resident_with_the_other_familys_objects_is_404(worlds, me, other, verified_client):
    family, own = worlds[me]
    _other_family, theirs = worlds[other]
    client = verified_client(family.user)
    resident = own["resident"].public_id
    for url in (
        reverse(
            "portal:document_download", kwargs={"public_id": resident, "document_id": theirs["document"].public_id}
        ),
        reverse(
            "portal:document_download",
            kwargs={"public_id": theirs["resident"].public_id, "document_id": own["document"].public_id},
        ),
    ):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    # And their own objects do open: the 404s above are not a broken portal.
    assert client.get(reverse("portal:news", kwargs={"public_id": resident})).status_code == HTTPStatus.OK
    assert (
        client.get(
            reverse(
                "portal:document_download", kwargs={"public_id": resident, "document_id": own["document"].public_id}
            )
        ).status_code
        == HTTPStatus.OK
    )
    assert Invitation.objects.count() == 2
