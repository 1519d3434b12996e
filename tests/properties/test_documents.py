"""Hostile input on the shared documents: folders, uploads (forms and pieces), edits, readings."""

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

from tests.properties.checks import Endpoint, property_test
from tests.properties.hostile import LONG, NASTY, TEXT, Raw, form_data, refs, uploaded_files

BOOLEANS = st.sampled_from(["on", "1", "true", "0", ""])
PLACES = st.one_of(
    st.sampled_from(["group", "site:", "unit:", "site:not-a-uuid"]),
    refs("site_a.public_id", "site_b.public_id", "unit_b.public_id").map(lambda r: r),
    st.builds(lambda kind, ref: [kind, ref], st.sampled_from(["site:", "unit:"]), refs("site_b.public_id")),
)
FOLDERS = refs("doc_folder.public_id", "doc_group_folder.public_id", "doc_folder.pk", "site_b.public_id")
UPLOAD_IDS = st.one_of(st.uuids().map(lambda u: u.hex), st.sampled_from(NASTY))
FILES = st.one_of(uploaded_files(), st.lists(uploaded_files(), min_size=2, max_size=3))
NAMES = st.sampled_from(["Protocoles", "Procédures de nuit"])


def _folder(w):
    return {"public_id": w.doc_folder.public_id}


def _doc(w):
    return {"public_id": w.doc_document.public_id}


def _title(w):
    from documents.models import Document

    return Document.objects.values_list("title", "description", "folder_id", "is_family_visible").get(
        pk=w.doc_document.pk
    )


test_folder_create = property_test(
    Endpoint("documents:folder_create", "coordinator_a"),
    form_data({"place": PLACES, "name": NAMES, "staff_may_upload": BOOLEANS}),
)
test_folder_new_child = property_test(
    Endpoint("documents:folder_new_child", "coordinator_a", _folder),
    form_data({"name": NAMES, "staff_may_upload": BOOLEANS}),
)
test_folder_edit = property_test(
    Endpoint(
        "documents:folder_edit",
        "coordinator_a",
        _folder,
        unchanged=lambda w: type(w.doc_folder).objects.values_list("name").get(pk=w.doc_folder.pk),
    ),
    form_data({"name": NAMES, "staff_may_upload": BOOLEANS}),
)
test_folder_upload = property_test(
    Endpoint("documents:folder_upload", "coordinator_a", _folder, mixed_results=True),
    form_data({"files": FILES, "comment": TEXT, "upload_id": UPLOAD_IDS}),
)
test_resident_folder = property_test(
    Endpoint(
        "documents:resident_folder", "coordinator_a", lambda w: {"public_id": w.resident.public_id}, mixed_results=True
    ),
    form_data({"files": FILES, "comment": TEXT, "create": BOOLEANS, "upload_id": UPLOAD_IDS}),
    # Found by this test: an empty file refused with 400 had made the resident's folder all the same.
    examples=[{"files": SimpleUploadedFile("vide.pdf", b"")}],
)
test_document_new_version = property_test(
    Endpoint("documents:document_new_version", "coordinator_a", _doc),
    form_data({"file": FILES, "comment": TEXT, "upload_id": UPLOAD_IDS}),
)
test_document_edit = property_test(
    Endpoint("documents:document_edit", "coordinator_a", _doc, unchanged=_title),
    form_data({"title": NAMES, "description": TEXT}),
)
test_document_move = property_test(
    Endpoint("documents:document_move", "coordinator_a", _doc, unchanged=_title), form_data({"folder": FOLDERS})
)
test_document_family = property_test(
    Endpoint("documents:document_family", "coordinator_a", _doc), form_data({"visible": BOOLEANS})
)
test_document_bin = property_test(Endpoint("documents:document_bin", "coordinator_a", _doc), form_data({}))
test_document_restore = property_test(
    Endpoint("documents:document_restore", "coordinator_a", lambda w: {"public_id": w.doc_binned.public_id}),
    form_data({}),
)
test_document_reading = property_test(
    Endpoint("documents:document_reading", "coordinator_a", _doc),
    form_data(
        {
            "site": refs("site_a.public_id", "site_b.public_id"),
            "unit": refs("unit_a.public_id", "unit_b.public_id"),
            "job": st.sampled_from(["nurse", "care_assistant", "pilot"]),
        }
    ),
)
test_document_read_confirm = property_test(Endpoint("documents:document_read_confirm", "staff_a", _doc), form_data({}))
test_reading_remove = property_test(
    Endpoint("documents:reading_remove", "coordinator_a", lambda w: {"public_id": w.doc_requirement.public_id}),
    form_data({}),
)

# --- pieces of a file sent by the page's script (JSON answers) -----------------------------------

PIECE_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "X-Upload-Id": UPLOAD_IDS,
        "X-Upload-Offset": st.one_of(st.integers(-5, 3000).map(str), st.sampled_from(NASTY)),
        "X-Upload-Total": st.one_of(st.integers(-5, 3000).map(str), st.sampled_from(NASTY), st.just(str(2**70))),
        "X-Upload-Name": st.one_of(st.sampled_from(["protocole.pdf", "%00.pdf", "..%2F..%2Fx", "%F0%9F%92%89"]), TEXT),
        "X-Upload-Comment": st.one_of(st.sampled_from(["%00", "%E9t%E9", "%ZZ"]), TEXT),
        "Accept": st.just("application/json"),
    },
)
PIECES = st.builds(
    Raw,
    st.one_of(st.binary(max_size=3000), st.sampled_from(["", "%PDF-1.4\n"]), LONG),
    st.sampled_from(["application/octet-stream", "application/json", "multipart/form-data", "text/plain; charset=x"]),
    PIECE_HEADERS,
)

test_folder_upload_chunk = property_test(Endpoint("documents:folder_upload_chunk", "coordinator_a", _folder), PIECES)
test_document_version_chunk = property_test(Endpoint("documents:document_version_chunk", "coordinator_a", _doc), PIECES)
