"""Browsing and managing folders: scopes, permissions, fixed query counts, moves, family sharing."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from carehub.models import AccessLog
from documents import services
from documents.models import Document, Folder
from tests.documents.factories import FolderFactory, ResidentFactory, make_document, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def _fill(folder, user, count, start=0):
    for i in range(start, start + count):
        make_document(folder, user, name=f"doc{i}.pdf", content=pdf_bytes(f"document {i}"))
        FolderFactory(scope=folder.scope, site=folder.site, parent=folder, name=f"sous-dossier {i}")


def test_folder_listing_runs_a_fixed_number_of_queries(
    verified_client, coordinator_a, folder_a, django_assert_max_num_queries
):
    client = verified_client(coordinator_a)
    url = folder_a.get_absolute_url()
    _fill(folder_a, coordinator_a, 2)
    client.get(url)  # warm the session
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == HTTPStatus.OK
    _fill(folder_a, coordinator_a, 25, start=2)
    with django_assert_max_num_queries(20) as large:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().count("doc2") >= 1
    assert len(large.captured_queries) == len(small.captured_queries)


def test_index_runs_a_fixed_number_of_queries(
    verified_client, staff_a, site_a, group_admin, django_assert_max_num_queries
):
    client = verified_client(staff_a)
    FolderFactory(scope=Folder.Scope.GROUP, name="G0")
    client.get(reverse("documents:index"))
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("documents:index"))
    for i in range(15):
        folder = FolderFactory(scope=Folder.Scope.GROUP, name=f"G{i + 1}")
        make_document(folder, group_admin, name=f"g{i}.pdf", content=pdf_bytes(f"g{i}"))
        FolderFactory(scope=Folder.Scope.SITE, site=site_a, name=f"S{i}")
    with django_assert_max_num_queries(20) as large:
        response = client.get(reverse("documents:index"))
    assert "G15" in response.content.decode() and "S14" in response.content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)


def test_staff_see_group_folders_and_their_sites_only(verified_client, staff_b, folder_a, group_folder, site_b):
    site_b_folder = FolderFactory(scope=Folder.Scope.SITE, site=site_b, name="Protocoles Oliviers")
    content = verified_client(staff_b).get(reverse("documents:index")).content.decode()
    assert group_folder.name in content
    assert site_b_folder.name in content
    assert folder_a.name not in content
    response = verified_client(staff_b).get(folder_a.get_absolute_url())
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_family_is_refused_the_staff_pages(verified_client, family_user, group_folder):
    client = verified_client(family_user)
    assert client.get(reverse("documents:index")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(group_folder.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_coordinator_creates_a_site_folder_and_a_subfolder(verified_client, coordinator_a, site_a):
    client = verified_client(coordinator_a)
    response = client.post(
        reverse("documents:folder_create"),
        {"name": "  Protocoles   de nuit ", "place": f"site:{site_a.public_id}", "staff_may_upload": "on"},
    )
    assert response.status_code == HTTPStatus.FOUND
    folder = Folder.objects.get()
    assert (folder.name, folder.scope, folder.site, folder.staff_may_upload) == (
        "Protocoles de nuit",
        Folder.Scope.SITE,
        site_a,
        True,
    )
    response = client.post(
        reverse("documents:folder_new_child", kwargs={"public_id": folder.public_id}), {"name": "Été"}
    )
    child = Folder.objects.get(parent=folder)
    assert (child.scope, child.site) == (Folder.Scope.SITE, site_a)
    # Same name twice in one folder: a clear error, nothing created.
    response = client.post(
        reverse("documents:folder_new_child", kwargs={"public_id": folder.public_id}), {"name": "été"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already exists" in response.content.decode()
    assert Folder.objects.count() == 2


def test_coordinator_cannot_create_group_folders_or_folders_elsewhere(verified_client, coordinator_a, site_b):
    client = verified_client(coordinator_a)
    for place in ("group", f"site:{site_b.public_id}"):
        response = client.post(reverse("documents:folder_create"), {"name": "X", "place": place})
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Folder.objects.exists()


def test_group_admin_creates_group_folder(verified_client, group_admin):
    response = verified_client(group_admin).post(
        reverse("documents:folder_create"), {"name": "Procédures", "place": "group"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Folder.objects.get().scope == Folder.Scope.GROUP


def test_folder_rename(verified_client, coordinator_a, folder_a):
    response = verified_client(coordinator_a).post(
        reverse("documents:folder_edit", kwargs={"public_id": folder_a.public_id}), {"name": "Renommé"}
    )
    assert response.status_code == HTTPStatus.FOUND
    folder_a.refresh_from_db()
    assert (folder_a.name, folder_a.staff_may_upload) == ("Renommé", False)


def _resident_folder_url(resident):
    return reverse("documents:resident_folder", kwargs={"public_id": resident.public_id})


def test_following_the_residents_documents_link_makes_no_folder(verified_client, staff_a, resident_a):
    verified_client(staff_a).get(_resident_folder_url(resident_a))
    assert Folder.objects.count() == 0


def test_before_the_first_document_the_page_says_so_and_offers_the_upload(verified_client, staff_a, resident_a):
    response = verified_client(staff_a).get(_resident_folder_url(resident_a))
    page = response.content.decode()
    assert (response.status_code, "No document has been added for this resident yet." in page) == (HTTPStatus.OK, True)
    assert 'name="files"' in page


def test_the_empty_residents_documents_page_is_logged(verified_client, staff_a, resident_a):
    verified_client(staff_a).get(_resident_folder_url(resident_a))
    entry = AccessLog.objects.get(action=AccessLog.Action.VIEW)
    assert (entry.object_type, entry.subject_id) == ("coordination.resident", resident_a.public_id)


def test_the_create_button_makes_the_folder_once(verified_client, staff_a, resident_a):
    client = verified_client(staff_a)
    first = client.post(_resident_folder_url(resident_a), {"create": "1"})
    second = client.post(_resident_folder_url(resident_a), {"create": "1"})
    folder = Folder.objects.get(scope=Folder.Scope.RESIDENT)
    assert (first.url, second.url) == (folder.get_absolute_url(), folder.get_absolute_url())
    assert (folder.resident, folder.site_id, folder.staff_may_upload) == (resident_a, resident_a.site_id, True)


def test_once_made_the_link_leads_to_the_folder_and_its_visit_is_logged(verified_client, staff_a, resident_a):
    client = verified_client(staff_a)
    client.post(_resident_folder_url(resident_a), {"create": "1"})
    folder = Folder.objects.get(scope=Folder.Scope.RESIDENT)
    assert client.get(_resident_folder_url(resident_a)).url == folder.get_absolute_url()
    client.get(folder.get_absolute_url())
    entry = AccessLog.objects.get(action=AccessLog.Action.VIEW, object_type="documents.folder")
    assert entry.subject_id == resident_a.public_id


def test_the_first_upload_makes_the_folder_with_the_document(verified_client, staff_a, resident_a):
    response = verified_client(staff_a).post(
        _resident_folder_url(resident_a), {"files": [upload("pap.pdf", pdf_bytes("PAP"))]}
    )
    document = Document.objects.get()
    assert (response.url, document.folder.resident, document.title) == (
        document.folder.get_absolute_url(),
        resident_a,
        "pap.pdf",
    )


def test_a_refused_only_file_makes_no_folder(verified_client, staff_a, resident_a):
    """Refused, it writes nothing (as an oversize one): the folder is made by the first file stored."""
    client = verified_client(staff_a)
    client.post(_resident_folder_url(resident_a), {"files": [upload("virus.exe", b"MZ" + b"\0" * 100)]})
    client.post(_resident_folder_url(resident_a), {"files": [upload("virus.exe", b"MZ" + b"\0" * 100)]})
    assert (Folder.objects.count(), Document.objects.count()) == (0, 0)


def test_an_oversize_first_upload_says_so_and_makes_no_folder(settings, verified_client, staff_a, resident_a):
    settings.DOCUMENTS_MAX_UPLOAD_SIZE = 10_000
    big = pdf_bytes("gros") + b"%" + b"0" * 20_000
    response = verified_client(staff_a).post(_resident_folder_url(resident_a), {"files": [upload("gros.pdf", big)]})
    assert (response.status_code, Folder.objects.count()) == (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, 0)


def test_the_oversize_first_upload_is_named_on_the_page(settings, verified_client, staff_a, resident_a):
    settings.DOCUMENTS_MAX_UPLOAD_SIZE = 10_000
    big = pdf_bytes("gros") + b"%" + b"0" * 20_000
    response = verified_client(staff_a).post(_resident_folder_url(resident_a), {"files": [upload("gros.pdf", big)]})
    assert "“gros.pdf” is larger than the limit of" in response.content.decode()


def test_sending_the_upload_form_without_a_file_asks_for_one_and_makes_no_folder(verified_client, staff_a, resident_a):
    response = verified_client(staff_a).post(_resident_folder_url(resident_a), {"comment": "PAP"})
    assert (response.status_code, Folder.objects.count()) == (HTTPStatus.BAD_REQUEST, 0)


def test_a_family_member_cannot_make_the_residents_folder(verified_client, family_user, resident_a):
    from tests.portal.factories import link

    link(family_user, resident_a)
    response = verified_client(family_user).post(_resident_folder_url(resident_a), {"create": "1"})
    assert (response.status_code, Folder.objects.count()) == (HTTPStatus.NOT_FOUND, 0)


def test_resident_folder_of_another_site_is_404(verified_client, staff_b, resident_a):
    url = reverse("documents:resident_folder", kwargs={"public_id": resident_a.public_id})
    assert verified_client(staff_b).get(url).status_code == HTTPStatus.NOT_FOUND
    assert verified_client(staff_b).post(url, {"create": "1"}).status_code == HTTPStatus.NOT_FOUND
    assert not Folder.objects.exists()


def test_family_visible_queryset_and_flag(verified_client, coordinator_a, staff_a, resident_folder_a, folder_a):
    shared = make_document(resident_folder_a, staff_a, name="pap.pdf", content=pdf_bytes("PAP"))
    private = make_document(resident_folder_a, staff_a, name="dlu.pdf", content=pdf_bytes("DLU"))
    procedure = make_document(folder_a, coordinator_a)
    url = reverse("documents:document_family", kwargs={"public_id": shared.public_id})
    assert verified_client(staff_a).post(url, {"visible": "1"}).status_code == HTTPStatus.FORBIDDEN
    assert verified_client(coordinator_a).post(url, {"visible": "1"}).status_code == HTTPStatus.FOUND
    assert list(Document.objects.family_visible()) == [shared]
    assert list(Document.objects.family_visible().for_resident(resident_folder_a.resident)) == [shared]
    assert private not in Document.objects.family_visible()
    # A shared (non-resident) document cannot be made family-visible.
    response = verified_client(coordinator_a).post(
        reverse("documents:document_family", kwargs={"public_id": procedure.public_id}), {"visible": "1"}
    )
    assert response.status_code == HTTPStatus.FOUND
    procedure.refresh_from_db()
    assert procedure.is_family_visible is False
    services.document_bin(document=shared, user=coordinator_a)
    assert not Document.objects.family_visible().exists()


def test_move_document_between_folders(verified_client, coordinator_a, folder_a, open_folder_a):
    from auditlog.models import LogEntry

    document = make_document(folder_a, coordinator_a)
    client = verified_client(coordinator_a)
    url = reverse("documents:document_move", kwargs={"public_id": document.public_id})
    page = client.get(url).content.decode()
    assert str(open_folder_a.public_id) in page
    response = client.post(url, {"folder": str(open_folder_a.public_id)})
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    assert document.folder == open_folder_a
    change = LogEntry.objects.get_for_object(document).filter(action=LogEntry.Action.UPDATE).first()
    assert "folder" in change.changes_dict


def test_resident_document_cannot_leave_the_residents_folders(coordinator_a, resident_folder_a, folder_a, site_a):
    from django.core.exceptions import ValidationError

    document = make_document(resident_folder_a, coordinator_a)
    with pytest.raises(ValidationError):
        services.document_move(document=document, folder=folder_a)
    other = services.resident_folder_get_or_create(resident=ResidentFactory(site=site_a))
    with pytest.raises(ValidationError):
        services.document_move(document=document, folder=other)
    document.refresh_from_db()
    assert document.folder == resident_folder_a


def test_move_to_a_folder_outside_the_choices_is_refused(verified_client, coordinator_a, folder_a, site_b):
    document = make_document(folder_a, coordinator_a)
    elsewhere = FolderFactory(scope=Folder.Scope.SITE, site=site_b, name="B")
    response = verified_client(coordinator_a).post(
        reverse("documents:document_move", kwargs={"public_id": document.public_id}),
        {"folder": str(elsewhere.public_id)},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    document.refresh_from_db()
    assert document.folder == folder_a


def test_rename_document_is_audited(verified_client, coordinator_a, folder_a):
    from auditlog.models import LogEntry

    document = make_document(folder_a, coordinator_a)
    response = verified_client(coordinator_a).post(
        reverse("documents:document_edit", kwargs={"public_id": document.public_id}),
        {"title": "Conduite à tenir — chute", "description": "Version validée en CVS"},
    )
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    assert document.title == "Conduite à tenir — chute"
    entry = LogEntry.objects.get_for_object(document).filter(action=LogEntry.Action.UPDATE).first()
    assert entry.actor == coordinator_a and "title" in entry.changes_dict
    response = verified_client(coordinator_a).post(
        reverse("documents:document_edit", kwargs={"public_id": document.public_id}), {"title": "   "}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_folder_scope_constraint():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Folder.objects.create(scope=Folder.Scope.SITE, name="sans site")
