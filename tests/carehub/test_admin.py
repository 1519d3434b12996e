"""The coordinators' admin: second factor, coordinator level, site scope, read-only access log."""

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from carehub.access_log import log_access
from carehub.models import AccessLog
from directory.models import Assignment, Site, Unit
from tests.accounts.flows import fresh_client
from tests.factories import AssignmentFactory, make_staff


@pytest.fixture
def coordinator_client(coordinator_a, verified_client):
    return verified_client(coordinator_a)


@pytest.fixture
def admin_client_(group_admin, verified_client):
    return verified_client(group_admin)


def _assert_refused(client, path="/admin/"):
    """Signed in but not allowed: a plain 403 (through the admin's login URL), never a sign-in loop."""
    response = client.get(path)
    if response.status_code == HTTPStatus.FOUND:
        assert response.url.startswith("/admin/login/"), response.url
        response = client.get(response.url)
    assert response.status_code == HTTPStatus.FORBIDDEN, path


def test_anonymous_admin_goes_through_the_site_sign_in(db):
    for path in ("/admin/", "/admin/login/"):
        response = fresh_client().get(path, follow=False)
        assert response.status_code == HTTPStatus.FOUND
        if response.url.startswith("/admin/login/"):
            response = fresh_client().get(response.url)
        assert response.url.startswith(reverse("account_login"))


def test_admin_login_form_is_not_a_second_way_in(staff_a):
    # Posting credentials to the admin's own login page signs nobody in.
    client = fresh_client()
    client.post("/admin/login/", {"username": staff_a.email, "password": "correct-horse-battery-staple"})
    assert "_auth_user_id" not in client.session


def test_admin_needs_a_verified_second_factor(coordinator_a):
    client = Client()
    client.force_login(coordinator_a, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_setup"))


@pytest.mark.parametrize("user_fixture", ["staff_a", "family_user"])
def test_care_staff_and_families_are_refused(request, verified_client, user_fixture):
    client = verified_client(request.getfixturevalue(user_fixture))
    for path in ("/admin/", "/admin/directory/site/", "/admin/carehub/accesslog/"):
        _assert_refused(client, path)


def test_staff_flag_alone_does_not_open_the_admin(site_a, verified_client):
    nurse = make_staff(site_a, email="ide.flag@carehub.test")
    nurse.is_staff = True
    nurse.save(update_fields=["is_staff"])
    _assert_refused(verified_client(nurse))


def test_coordinator_whose_assignment_ended_is_refused(site_a, verified_client):
    import datetime

    from django.utils import timezone

    coordinator = make_staff(site_a, coordinator=True, email="idec.old@carehub.test")
    Assignment.objects.filter(user=coordinator).update(
        start_date=timezone.localdate() - datetime.timedelta(days=30),
        end_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    _assert_refused(verified_client(coordinator))


def test_coordinator_opens_the_admin(coordinator_client):
    response = coordinator_client.get("/admin/")
    assert response.status_code == HTTPStatus.OK


def _changelist_ids(client, model_path):
    response = client.get(f"/admin/{model_path}/")
    assert response.status_code == HTTPStatus.OK, model_path
    return {obj.pk for obj in response.context["cl"].result_list}


def test_coordinator_sees_only_the_objects_of_their_sites(
    coordinator_client, coordinator_a, site_a, site_b, unit_a, unit_b, staff_a, staff_b
):
    assert _changelist_ids(coordinator_client, "directory/site") == {site_a.pk}
    assert _changelist_ids(coordinator_client, "directory/unit") == {unit_a.pk}
    assert _changelist_ids(coordinator_client, "directory/assignment") == set(
        Assignment.objects.filter(site=site_a).values_list("pk", flat=True)
    )
    users = _changelist_ids(coordinator_client, "accounts/user")
    assert users == {staff_a.pk, coordinator_a.pk}


def test_group_admin_sees_every_site(admin_client_, site_a, site_b, unit_a, unit_b, staff_a, staff_b):
    assert _changelist_ids(admin_client_, "directory/site") == {site_a.pk, site_b.pk}
    assert _changelist_ids(admin_client_, "directory/unit") == {unit_a.pk, unit_b.pk}
    assert {staff_a.pk, staff_b.pk} <= _changelist_ids(admin_client_, "accounts/user")


def test_coordinator_cannot_open_site_b_objects(coordinator_client, site_b, unit_b, staff_b):
    assignment_b = Assignment.objects.get(user=staff_b)
    for url in (
        reverse("admin:directory_site_change", args=[site_b.pk]),
        reverse("admin:directory_unit_change", args=[unit_b.pk]),
        reverse("admin:directory_assignment_change", args=[assignment_b.pk]),
        reverse("admin:accounts_user_change", args=[staff_b.pk]),
    ):
        response = coordinator_client.get(url)
        assert response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FOUND), url
        if response.status_code == HTTPStatus.FOUND:
            assert response.url == reverse("admin:index")
        # And cannot change them by posting either.
        coordinator_client.post(url, {"name": "Renamed by A"})
    site_b.refresh_from_db()
    unit_b.refresh_from_db()
    assert site_b.name != "Renamed by A" and unit_b.name != "Renamed by A"


def test_coordinator_cannot_give_anyone_an_assignment_at_another_site(
    coordinator_client, coordinator_a, site_a, site_b, staff_a
):
    response = coordinator_client.get(reverse("admin:directory_assignment_add"))
    assert set(response.context["adminform"].form.fields["site"].queryset) == {site_a}
    response = coordinator_client.post(
        reverse("admin:directory_assignment_add"),
        {"user": staff_a.pk, "site": site_b.pk, "role": "coordinator", "is_primary": ""},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST  # the form refuses the choice
    assert not Assignment.objects.filter(user=staff_a, site=site_b).exists()


def test_coordinator_cannot_grant_a_site_b_assignment_through_the_user_page(
    coordinator_client, coordinator_a, site_a, site_b
):
    """If the user page shows an assignment inline, it offers the coordinator's sites only."""
    url = reverse("admin:accounts_user_change", args=[coordinator_a.pk])
    page = coordinator_client.get(url)
    assert page.status_code == HTTPStatus.OK
    inline = next((f for f in page.context["inline_admin_formsets"] if f.formset.model is Assignment), None)
    if inline is not None:
        assert set(inline.formset.empty_form.fields["site"].queryset) == {site_a}
    existing = list(Assignment.objects.filter(user=coordinator_a))
    prefix = "assignments"
    data = {
        "email": coordinator_a.email,
        "first_name": coordinator_a.first_name,
        "last_name": coordinator_a.last_name,
        "kind": "staff",
        "is_active": "on",
        "is_staff": "on",
        f"{prefix}-TOTAL_FORMS": str(len(existing) + 1),
        f"{prefix}-INITIAL_FORMS": str(len(existing)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, a in enumerate(existing):
        data.update(
            {
                f"{prefix}-{i}-id": str(a.pk),
                f"{prefix}-{i}-user": str(coordinator_a.pk),
                f"{prefix}-{i}-site": str(a.site_id),
                f"{prefix}-{i}-role": a.role,
                f"{prefix}-{i}-is_primary": "on" if a.is_primary else "",
            }
        )
    n = len(existing)
    data.update(
        {
            f"{prefix}-{n}-user": str(coordinator_a.pk),
            f"{prefix}-{n}-site": str(site_b.pk),
            f"{prefix}-{n}-role": "coordinator",
        }
    )
    coordinator_client.post(url, data)
    assert not Assignment.objects.filter(user=coordinator_a, site=site_b).exists()


def test_only_group_admins_make_group_admins(coordinator_client, staff_a):
    page = coordinator_client.get(reverse("admin:accounts_user_change", args=[staff_a.pk]))
    assert "is_group_admin" not in page.context["adminform"].form.fields


def test_nothing_is_deleted_through_the_admin(admin_client_, site_a, unit_a):
    response = admin_client_.post(reverse("admin:directory_site_delete", args=[site_a.pk]), {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Site.objects.filter(pk=site_a.pk).exists()
    response = admin_client_.post(reverse("admin:directory_unit_delete", args=[unit_a.pk]), {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Unit.objects.filter(pk=unit_a.pk).exists()


# --- Access log: read-only for everyone ---------------------------------------------------


@pytest.fixture
def entry(staff_a, site_a):
    return log_access(None, AccessLog.Action.VIEW, site_a, user=staff_a, site_id=site_a.pk)


def test_group_admin_reads_the_access_log_but_cannot_change_it(admin_client_, entry):
    assert admin_client_.get(reverse("admin:carehub_accesslog_changelist")).status_code == HTTPStatus.OK
    assert admin_client_.get(reverse("admin:carehub_accesslog_add")).status_code == HTTPStatus.FORBIDDEN
    change_url = reverse("admin:carehub_accesslog_change", args=[entry.pk])
    page = admin_client_.get(change_url)
    assert page.status_code == HTTPStatus.OK
    assert not page.context["has_change_permission"]
    assert 'name="_save"' not in page.content.decode()
    response = admin_client_.post(change_url, {"actor": "someone.else@carehub.test", "action": "view"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    response = admin_client_.post(reverse("admin:carehub_accesslog_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    response = admin_client_.post(
        reverse("admin:carehub_accesslog_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert AccessLog.objects.filter(pk=entry.pk, actor=entry.actor).exists()
    changelist = admin_client_.get(reverse("admin:carehub_accesslog_changelist"))
    action_form = changelist.context["action_form"]
    assert action_form is None or "delete_selected" not in dict(action_form.fields["action"].choices)


def test_coordinator_reads_only_the_access_log_of_their_sites(coordinator_client, staff_b, site_b, entry):
    other = log_access(None, AccessLog.Action.VIEW, site_b, user=staff_b, site_id=site_b.pk)
    ids = _changelist_ids(coordinator_client, "carehub/accesslog")
    assert entry.pk in ids and other.pk not in ids


def test_access_log_rows_cannot_be_changed_or_deleted_in_code(entry):
    with pytest.raises(PermissionDenied):
        AccessLog.objects.filter(pk=entry.pk).update(actor="rewritten")
    with pytest.raises(PermissionDenied):
        AccessLog.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionDenied):
        AccessLog.objects.all().delete()
    entry.actor = "rewritten"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    assert AccessLog.objects.get(pk=entry.pk).actor != "rewritten"


def test_assignments_made_elsewhere_are_kept(coordinator_client, coordinator_a, site_b):
    """Saving a user page does not drop that person's assignments at sites the coordinator cannot see."""
    AssignmentFactory(user=coordinator_a, site=site_b, is_primary=False)
    url = reverse("admin:accounts_user_change", args=[coordinator_a.pk])
    page = coordinator_client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert Assignment.objects.filter(user=coordinator_a, site=site_b).exists()
