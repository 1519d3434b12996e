"""The folder tree in the admin panel: coordinators of their sites, group folders for head office."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from documents.models import Folder

pytestmark = pytest.mark.django_db


def test_coordinator_adds_a_site_folder_but_not_a_group_folder(verified_client, coordinator_a, site_a):
    client = verified_client(coordinator_a)
    url = reverse("admin:documents_folder_add")
    response = client.post(url, {"name": "Groupe", "scope": "group"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Only head office" in response.content.decode()
    response = client.post(url, {"name": "Hygiène", "scope": "site", "site": site_a.pk})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    folder = Folder.objects.get()
    assert (folder.scope, folder.site, folder.created_by) == ("site", site_a, coordinator_a)


def test_group_admin_adds_a_group_folder(verified_client, group_admin):
    response = verified_client(group_admin).post(
        reverse("admin:documents_folder_add"), {"name": "Procédures", "scope": "group"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Folder.objects.get().scope == Folder.Scope.GROUP


def test_resident_folder_takes_the_residents_site(verified_client, coordinator_a, resident_a, site_a):
    response = verified_client(coordinator_a).post(
        reverse("admin:documents_folder_add"), {"name": "Consentements", "scope": "resident", "resident": resident_a.pk}
    )
    assert response.status_code == HTTPStatus.FOUND
    folder = Folder.objects.get()
    assert (folder.resident, folder.site) == (resident_a, site_a)


def test_coordinator_sees_only_their_sites_folders(verified_client, coordinator_a, folder_a, site_b, group_folder):
    other = Folder.objects.create(scope="site", site=site_b, name="Oliviers")
    content = verified_client(coordinator_a).get(reverse("admin:documents_folder_changelist")).content.decode()
    assert folder_a.name in content
    assert other.name not in content


def test_an_existing_folder_keeps_its_place(verified_client, coordinator_a, folder_a, site_a):
    from documents.models import Folder as FolderModel

    other = FolderModel.objects.create(scope="site", site=site_a, name="Autre")
    response = verified_client(coordinator_a).post(
        reverse("admin:documents_folder_change", args=[folder_a.pk]),
        {"name": "Protocoles renommés", "parent": other.pk, "scope": "group", "staff_may_upload": "on"},
    )
    assert response.status_code == HTTPStatus.FOUND
    folder_a.refresh_from_db()
    assert (folder_a.name, folder_a.parent, folder_a.scope, folder_a.site) == (
        "Protocoles renommés",
        None,
        "site",
        site_a,
    )
    assert folder_a.staff_may_upload is True
