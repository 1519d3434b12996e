"""Documents as DocumentReference, their file as Binary: another site's are absent, downloads logged."""

from http import HTTPStatus

import pytest

from carehub.models import AccessLog
from documents.models import Folder
from tests.documents.factories import FolderFactory, make_document, pdf_bytes
from tests.factories import make_staff

from .conftest import valid


@pytest.fixture
def documents(group, media_root, resident_a):
    author = make_staff(group.site_a, coordinator=True, email="idec.docs@fhir.test")
    author_b = make_staff(group.site_b, coordinator=True, email="idec.docs.b@fhir.test")
    folder = FolderFactory(scope=Folder.Scope.RESIDENT, site=group.site_a, resident=resident_a, name="Dossier de Rose")
    mine = make_document(folder, author, name="pap.pdf", title="PAP de Rose", content=pdf_bytes("PAP Rose"))
    theirs = make_document(
        FolderFactory(scope=Folder.Scope.SITE, site=group.site_b), author_b, name="b.pdf", title="Procédure B"
    )
    return mine, theirs


def test_document_reference_search_lists_only_the_token_sites(api, documents):
    mine, _theirs = documents
    data = valid(api.get("/fhir/DocumentReference"))
    assert [e["resource"]["id"] for e in data["entry"]] == [str(mine.public_id)]


def test_document_reference_of_a_resident(api, documents, resident_a):
    data = valid(api.get("/fhir/DocumentReference", {"subject": f"Patient/{resident_a.public_id}"}))
    assert data["entry"][0]["resource"]["subject"]["reference"] == f"Patient/{resident_a.public_id}"


def test_binary_download_gives_the_file_and_logs_it_under_the_token(api, documents):
    mine, _theirs = documents
    url = valid(api.get(f"/fhir/DocumentReference/{mine.public_id}"))["content"][0]["attachment"]["url"]
    response = api.get(url)
    body = b"".join(response.streaming_content)
    entry = AccessLog.objects.first()
    assert (response.status_code, body[:5], entry.action, entry.actor) == (
        HTTPStatus.OK,
        b"%PDF-",
        AccessLog.Action.DOWNLOAD,
        "api:DPI Tilleuls",
    )


def test_binary_of_another_site_is_not_found(api, documents):
    _mine, theirs = documents
    response = api.get(f"/fhir/Binary/{theirs.current_version.public_id}")
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (HTTPStatus.NOT_FOUND, "not-found")
