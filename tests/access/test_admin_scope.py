"""Every model registered on the admin, as every role: a coordinator of site A never reaches site B.

The models come from the admin registry, not from a hand-written list: an app that
registers a new ModelAdmin is checked the moment it does. A site-scoped admin needs
an entry in ``SITE_OBJECT_FACTORIES`` (how to make one object of that model at a
given site); without one, ``test_every_scoped_admin_has_a_factory`` fails and says so.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carehub.admin.access_log import AccessLogAdmin
from carehub.admin.scoping import SiteScopedAdmin
from tests.access.matrix import World
from tests.conftest import login_verified
from tests.factories import (
    AssignmentFactory,
    FamilyUserFactory,
    SiteFactory,
    UnitFactory,
    UserFactory,
    make_group_admin,
    make_staff,
)

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


# --- How to make one object of each site-scoped model at a site -------------------------
# Each function gets (world, site, unit) and returns a saved object belonging to that site.
# Keys are model labels, so that an app's models need not exist yet to be listed here.


def _resident(w, site, unit):
    Resident = apps.get_model("coordination", "Resident")
    n = _n()
    return Resident.objects.create(site=site, unit=unit, first_name=f"Rose{n}", last_name=f"Martin{n}", room=str(n))


def _target():
    Target = apps.get_model("coordination", "Target")
    target, _ = Target.objects.get_or_create(code="scope-pain", defaults={"name_fr": "Douleur", "name_en": "Pain"})
    return target


def _care_note(w, site, unit):
    CareNote = apps.get_model("coordination", "CareNote")
    resident = _resident(w, site, unit)
    return CareNote.objects.create(
        resident=resident,
        site=site,
        unit=unit,
        author=make_staff(site, email=f"author{_n()}@scope.test"),
        target=_target(),
        data="Observation",
        shift="morning",
        shift_date=timezone.localdate(),
    )


def _handover_ack(w, site, unit):
    Ack = apps.get_model("coordination", "HandoverAcknowledgement")
    return Ack.objects.create(
        site=site,
        unit=unit,
        shift="morning",
        shift_date=timezone.localdate(),
        user=make_staff(site, email=f"relay{_n()}@scope.test"),
    )


def _note_template(w, site, unit):
    NoteTemplate = apps.get_model("coordination", "NoteTemplate")
    return NoteTemplate.objects.create(target=_target(), site=site, label=f"Modèle {_n()}", data="Observation")


def _note_phrase(w, site, unit):
    NotePhrase = apps.get_model("coordination", "NotePhrase")
    return NotePhrase.objects.create(target=_target(), site=site, part="action", text=f"Phrase {_n()}")


def _site_care_settings(w, site, unit):
    Settings = apps.get_model("coordination", "SiteCareSettings")
    return Settings.objects.get_or_create(site=site)[0]


def _conversation(w, site, unit):
    Conversation = apps.get_model("messaging", "Conversation")
    return Conversation.objects.create(kind="group", title=f"Groupe {_n()}", site=site)


def _on_call(w, site, unit):
    OnCallShift = apps.get_model("directory", "OnCallShift")
    return OnCallShift.objects.create(
        site=site, date=timezone.localdate(), user=make_staff(site, email=f"oncall{_n()}@scope.test")
    )


def _folder(w, site, unit):
    Folder = apps.get_model("documents", "Folder")
    return Folder.objects.create(name=f"Procédures {_n()}", site=site, scope="site")


def _family_link(w, site, unit):
    FamilyLink = apps.get_model("portal", "FamilyLink")
    return FamilyLink.objects.create(
        user=FamilyUserFactory(email=f"proche{_n()}@scope.test"), resident=_resident(w, site, unit)
    )


def _invitation(w, site, unit):
    Invitation = apps.get_model("portal", "Invitation")
    n = _n()
    return Invitation.objects.create(
        email=f"invite{n}@scope.test",
        resident=_resident(w, site, unit),
        relationship="child",
        token_hash=f"{n:064d}",
        expires_at=timezone.now() + datetime.timedelta(days=7),
        created_by=make_staff(site, email=f"inviter{n}@scope.test"),
    )


def _site_family_info(w, site, unit):
    SiteFamilyInfo = apps.get_model("portal", "SiteFamilyInfo")
    return SiteFamilyInfo.objects.get_or_create(site=site)[0]


def _api_token(w, site, unit):
    from fhirapi.tokens import api_token_create

    # Made by the world's own head-office account: no extra user in the pickers and autocompletes.
    creator = w.users["group_admin"]
    return api_token_create(created_by=creator, name=f"Logiciel {_n()}", sites=[site], scopes=["Patient.read"])[0]


SITE_OBJECT_FACTORIES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "directory.site": lambda w, site, unit: site,
    "directory.unit": lambda w, site, unit: UnitFactory(site=site),
    "directory.assignment": lambda w, site, unit: AssignmentFactory(
        site=site, user=UserFactory(email=f"assigned{_n()}@scope.test")
    ),
    "directory.staffprofile": lambda w, site, unit: make_staff(site, email=f"profile{_n()}@scope.test").staff_profile,
    "directory.oncallshift": _on_call,
    "accounts.user": lambda w, site, unit: make_staff(site, unit=unit, email=f"member{_n()}@scope.test"),
    "coordination.resident": _resident,
    "coordination.sitecaresettings": _site_care_settings,
    "coordination.carenote": _care_note,
    "coordination.handoveracknowledgement": _handover_ack,
    "coordination.notetemplate": _note_template,
    "coordination.notephrase": _note_phrase,
    "messaging.conversation": _conversation,
    "documents.folder": _folder,
    "portal.familylink": _family_link,
    "portal.invitation": _invitation,
    "portal.sitefamilyinfo": _site_family_info,
    "fhirapi.apitoken": _api_token,
}

#: Admins scoped by other means than site_field, with their own tests (audit viewer).
AUDIT_ADMINS = {"carehub.accesslog", "auditlog.logentry"}


def _registry() -> dict[str, admin.ModelAdmin]:
    return {model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()}


def _site_scoped_labels() -> list[str]:
    return sorted(
        label
        for label, model_admin in _registry().items()
        if isinstance(model_admin, SiteScopedAdmin) and model_admin.site_field is not None
    )


def _url(label: str, view: str, *args) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


# --- The registry itself -----------------------------------------------------------------


def test_every_scoped_admin_has_a_factory():
    missing = [label for label in _site_scoped_labels() if label not in SITE_OBJECT_FACTORIES]
    assert not missing, (
        f"Site-scoped admins without an entry in SITE_OBJECT_FACTORIES ({__file__}): {missing}. "
        "Add a function making one object of the model at a given site, so that the scope "
        "of the new admin is tested."
    )


def test_every_admin_is_scoped_or_closed_to_coordinators(db):
    """An admin that is not a SiteScopedAdmin must be one of the audit viewers or open to superusers only."""
    for label, model_admin in _registry().items():
        if isinstance(model_admin, SiteScopedAdmin) or label in AUDIT_ADMINS:
            continue
        # Django's permission-based admin: nobody of CareHub holds model permissions.
        assert type(model_admin).has_view_permission is admin.ModelAdmin.has_view_permission, (
            f"{label}: an unscoped admin with its own permission rules; make it a SiteScopedAdmin"
        )


# --- The world: sites A and B, users of each role, one object of every model at each site ---


@pytest.fixture
def world(db):
    site_a = SiteFactory(name="Site A")
    site_b = SiteFactory(name="Site B")
    unit_a = UnitFactory(site=site_a, name="Unit A")
    unit_b = UnitFactory(site=site_b, name="Unit B")
    users = {
        "family": FamilyUserFactory(email="family@scope.test"),
        "staff_a": make_staff(site_a, unit=unit_a, email="staff.a@scope.test"),
        "coordinator_a": make_staff(site_a, coordinator=True, email="coord.a@scope.test"),
        "group_admin": make_group_admin(email="admin@scope.test"),
    }
    w = World(site_a=site_a, site_b=site_b, unit_a=unit_a, unit_b=unit_b, users=users)
    w.objects_a, w.objects_b = {}, {}
    for label in _site_scoped_labels():
        factory = SITE_OBJECT_FACTORIES.get(label)
        if factory is None:
            continue  # reported by test_every_scoped_admin_has_a_factory
        w.objects_a[label] = factory(w, site_a, unit_a)
        w.objects_b[label] = factory(w, site_b, unit_b)
    return w


def _client(world, role) -> Client:
    client = Client()
    return client if role == "anonymous" else login_verified(client, world.users[role])


ALL_LABELS = sorted(_registry())


@pytest.mark.parametrize("label", ALL_LABELS)
@pytest.mark.parametrize("role", ["anonymous", "family", "staff_a"])
def test_no_admin_page_for_people_who_are_not_coordinators(world, label, role):
    client = _client(world, role)
    for view in ("changelist", "add"):
        response = client.get(_url(label, view))
        assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN), (label, view, role)
        if response.status_code == HTTPStatus.FOUND:
            target = response.url
            assert not target.startswith(_url(label, "changelist")), target
            assert target.startswith(("/admin/login/", reverse("account_login"))), target


@pytest.mark.parametrize("label", ALL_LABELS)
@pytest.mark.parametrize("role", ["coordinator_a", "group_admin"])
def test_changelist_and_add_for_coordinators_and_group_admins(world, label, role):
    model_admin = _registry()[label]
    client = _client(world, role)
    user = world.users[role]
    request = _request_for(user)
    changelist = client.get(_url(label, "changelist"))
    add = client.get(_url(label, "add"))
    if isinstance(model_admin, SiteScopedAdmin | AccessLogAdmin) or label in AUDIT_ADMINS:
        assert changelist.status_code == HTTPStatus.OK, (label, role)
        expected_add = HTTPStatus.OK if model_admin.has_add_permission(request) else HTTPStatus.FORBIDDEN
        assert add.status_code == expected_add, (label, role)
    else:  # permission-based third-party admins: closed to everyone but superusers
        assert changelist.status_code == HTTPStatus.FORBIDDEN, (label, role)
        assert add.status_code == HTTPStatus.FORBIDDEN, (label, role)


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _changelist_pks(client, label) -> set:
    response = client.get(_url(label, "changelist"))
    assert response.status_code == HTTPStatus.OK, label
    return {obj.pk for obj in response.context["cl"].result_list}


def _assert_hidden(response, label, obj):
    assert response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FOUND), (label, response.status_code)
    if response.status_code == HTTPStatus.FOUND:
        assert response.url == reverse("admin:index"), (label, response.url)
        texts = [str(m) for m in get_messages(response.wsgi_request)]
        assert any(str(obj.pk) in text for text in texts), (label, texts)


@pytest.mark.parametrize("label", _site_scoped_labels())
def test_coordinator_of_a_never_reaches_site_b_objects(world, label):
    if label not in world.objects_b:
        pytest.fail(f"{label}: no factory (see test_every_scoped_admin_has_a_factory)")
    obj_a, obj_b = world.objects_a[label], world.objects_b[label]
    client = _client(world, "coordinator_a")
    pks = _changelist_pks(client, label)
    assert obj_a.pk in pks, f"{label}: the coordinator does not see their own site's object"
    assert obj_b.pk not in pks, f"{label}: a site-B object is listed for the coordinator of site A"
    for view in ("change", "history"):
        _assert_hidden(client.get(_url(label, view, obj_b.pk)), label, obj_b)
    response = client.post(_url(label, "change", obj_b.pk), {})
    assert response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FOUND, HTTPStatus.FORBIDDEN), label
    delete = client.post(_url(label, "delete", obj_b.pk), {"post": "yes"})
    assert delete.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FOUND, HTTPStatus.FORBIDDEN), label
    assert type(obj_b)._default_manager.filter(pk=obj_b.pk).exists()
    # Searching for it does not find it either.
    search = client.get(_url(label, "changelist"), {"q": str(obj_b)[:20]})
    if search.status_code == HTTPStatus.OK:
        assert obj_b.pk not in {o.pk for o in search.context["cl"].result_list}, label

    admin_pks = _changelist_pks(_client(world, "group_admin"), label)
    assert {obj_a.pk, obj_b.pk} <= admin_pks, f"{label}: the group admin must see every site"


def _model_choice_fields(response):
    """Every model-choice field of the admin form and of its inlines' empty forms."""
    context = response.context
    adminform = context.get("adminform")
    if adminform is not None:
        yield from adminform.form.fields.items()
    for inline in context.get("inline_admin_formsets") or []:
        yield from inline.formset.empty_form.fields.items()


def _check_choices(world, response, where):
    b_objects = world.objects_b
    for name, field in _model_choice_fields(response):
        if not isinstance(field, forms.ModelChoiceField):
            continue
        related = field.queryset.model._meta.label_lower
        hidden = b_objects.get(related)
        if hidden is None and related == "directory.site":
            hidden = world.site_b
        if hidden is None:
            continue
        assert not field.queryset.filter(pk=hidden.pk).exists(), f"{where}: field {name} offers a site-B {related}"


@pytest.mark.parametrize("label", _site_scoped_labels())
def test_pickers_of_the_coordinator_offer_no_site_b_object(world, label):
    client = _client(world, "coordinator_a")
    add = client.get(_url(label, "add"))
    if add.status_code == HTTPStatus.OK:
        _check_choices(world, add, f"{label} add")
    obj_a = world.objects_a.get(label)
    if obj_a is not None:
        change = client.get(_url(label, "change", obj_a.pk))
        assert change.status_code == HTTPStatus.OK, label
        _check_choices(world, change, f"{label} change")
    # The sidebar filters do not list other sites' objects either.
    page = client.get(_url(label, "changelist")).content.decode()
    assert "Site B" not in page, f"{label}: the changelist names site B"
    assert "Unit B" not in page, f"{label}: the changelist names unit B"


def _autocomplete_cases():
    for label, model_admin in sorted(_registry().items()):
        for field_name in model_admin.autocomplete_fields:
            field = model_admin.model._meta.get_field(field_name)
            yield label, field_name, field.related_model._meta.label_lower


@pytest.mark.parametrize(("label", "field_name", "related"), list(_autocomplete_cases()))
def test_autocomplete_offers_no_site_b_object(world, label, field_name, related):
    app_label, model_name = label.split(".")
    params = {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""}
    response = _client(world, "coordinator_a").get(reverse("admin:autocomplete"), params)
    assert response.status_code == HTTPStatus.OK, response.content
    ids = {item["id"] for item in response.json()["results"]}
    if related in world.objects_b:
        assert str(world.objects_b[related].pk) not in ids, f"{label}.{field_name} offers a site-B {related}"
        assert str(world.objects_a[related].pk) in ids, f"{label}.{field_name} hides a site-A {related}"
    # Group admins get both.
    response = _client(world, "group_admin").get(reverse("admin:autocomplete"), params)
    ids = {item["id"] for item in response.json()["results"]}
    if related in world.objects_b:
        assert str(world.objects_b[related].pk) in ids


def test_outsider_family_user_gets_no_autocomplete(world):
    params = {"app_label": "directory", "model_name": "assignment", "field_name": "user", "term": ""}
    response = _client(world, "family").get(reverse("admin:autocomplete"), params)
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)


def test_staff_with_an_ended_assignment_at_a_is_still_listed_for_a(world):
    """A coordinator keeps seeing former staff of their site (to re-activate or check them)."""
    former = make_staff(world.site_a, email=f"former{_n()}@scope.test")
    former.assignments.update(
        start_date=timezone.localdate() - datetime.timedelta(days=60),
        end_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert former.pk in _changelist_pks(_client(world, "coordinator_a"), "accounts.user")


@pytest.mark.parametrize("label", _site_scoped_labels())
def test_changelist_queries_do_not_grow_with_rows(world, label):
    """One more page row must not cost one more query (list_select_related, annotations)."""
    factory = SITE_OBJECT_FACTORIES[label]
    client = _client(world, "group_admin")
    url = _url(label, "changelist")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == HTTPStatus.OK
    for _ in range(4):
        factory(world, world.site_a, world.unit_a)
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == HTTPStatus.OK
    assert len(more.captured_queries) == len(few.captured_queries), (
        f"{label}: {len(few.captured_queries)} queries, then {len(more.captured_queries)} with 4 more rows"
    )
