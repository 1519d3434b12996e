"""Access rows for the shared documents (issue 5).

The world: a site-A folder managed by coordinators (with a PDF), a site-A
folder open to staff uploads, a group folder (with a PDF), a resident of
site A with a document in their folder, a binned document, a required reading.
Staff of site B get 404 on every site-A object; families 404 on objects and
403 on the staff pages; care staff 403 on management pages.
"""

from documents import services
from documents.models import Folder
from documents.previews import version_preview_make
from tests.access.matrix import Rule, expect
from tests.documents.factories import ResidentFactory, make_document, pdf_bytes, png_bytes, upload

#: Visible to staff of site A, their coordinator and group admins; 404 for others.
SITE_A_READ = expect(family=404, staff_b=404)
#: Management of a site-A object: coordinator of A and group admins only.
SITE_A_MANAGE = expect(family=404, staff_b=404, staff_a=403)


def build(world):
    coordinator = world.users["coordinator_a"]
    admin = world.users["group_admin"]
    world.doc_folder = Folder.objects.create(scope=Folder.Scope.SITE, site=world.site_a, name="Matrix folder")
    world.doc_group_folder = Folder.objects.create(scope=Folder.Scope.GROUP, name="Matrix procedures")
    world.doc_document = make_document(world.doc_folder, coordinator, name="matrix.png", content=png_bytes())
    world.doc_group_document = make_document(world.doc_group_folder, admin, content=pdf_bytes("matrix group"))
    # The preview task runs on commit, which a test transaction never reaches: run it now.
    version_preview_make(version_id=world.doc_document.current_version_id)
    world.doc_resident = ResidentFactory(site=world.site_a, unit=world.unit_a)
    resident_folder = services.resident_folder_get_or_create(resident=world.doc_resident)
    world.doc_resident_document = services.document_upload(
        folder=resident_folder, uploaded=upload("pap.pdf", pdf_bytes("PAP")), user=coordinator
    )
    world.doc_binned = make_document(world.doc_folder, coordinator, name="old.pdf", content=pdf_bytes("old"))
    services.document_bin(document=world.doc_binned, user=coordinator)
    world.doc_requirement = services.reading_requirement_add(
        document=world.doc_document, user=coordinator, site=world.site_a
    )


def _doc(w):
    return {"public_id": w.doc_document.public_id}


def _version(w):
    return {"public_id": w.doc_document.current_version.public_id}


RULES = [
    Rule("documents:index"),
    Rule("documents:search", statuses=expect()),
    Rule("documents:bin", statuses=expect(staff_a=403, staff_b=403)),
    Rule("documents:folder_create", statuses=expect(staff_a=403, staff_b=403)),
    Rule("documents:folder_detail", lambda w: {"public_id": w.doc_folder.public_id}, SITE_A_READ),
    Rule("documents:folder_new_child", lambda w: {"public_id": w.doc_folder.public_id}, SITE_A_MANAGE),
    Rule("documents:folder_edit", lambda w: {"public_id": w.doc_folder.public_id}, SITE_A_MANAGE),
    Rule("documents:folder_upload", lambda w: {"public_id": w.doc_folder.public_id}, SITE_A_MANAGE),
    Rule(
        "documents:folder_upload_chunk",
        lambda w: {"public_id": w.doc_folder.public_id},
        expect(family=404, staff_b=404, staff_a=403, coordinator_a=400, group_admin=400),
        method="post",
        note="allowed callers get 400: the matrix sends no upload headers",
    ),
    Rule(
        "documents:resident_folder",
        lambda w: {"public_id": w.doc_resident.public_id},
        expect(family=404, staff_b=404, staff_a=302, coordinator_a=302, group_admin=302),
        note="redirects to the resident's root folder",
    ),
    Rule("documents:document_detail", _doc, SITE_A_READ),
    Rule("documents:document_edit", _doc, SITE_A_MANAGE),
    Rule("documents:document_move", _doc, SITE_A_MANAGE),
    Rule(
        "documents:document_family",
        lambda w: {"public_id": w.doc_resident_document.public_id},
        expect(family=404, staff_b=404, staff_a=403, coordinator_a=302, group_admin=302),
        method="post",
        data=lambda w: {"visible": "1"},
    ),
    Rule(
        "documents:document_bin",
        _doc,
        expect(family=404, staff_b=404, staff_a=403, coordinator_a=302, group_admin=404),
        method="post",
        note="the coordinator bins it first, so the group admin then finds it gone",
    ),
    Rule(
        "documents:document_restore",
        lambda w: {"public_id": w.doc_binned.public_id},
        expect(family=404, staff_b=404, staff_a=403, coordinator_a=302, group_admin=404),
        method="post",
        note="restored by the coordinator, so no longer in the bin for the group admin",
    ),
    Rule("documents:document_new_version", _doc, SITE_A_MANAGE),
    Rule(
        "documents:document_version_chunk",
        _doc,
        expect(family=404, staff_b=404, staff_a=403, coordinator_a=400, group_admin=400),
        method="post",
        note="allowed callers get 400: the matrix sends no upload headers",
    ),
    Rule("documents:document_reading", _doc, SITE_A_MANAGE),
    Rule(
        "documents:document_read_confirm",
        _doc,
        expect(family=404, staff_b=404, staff_a=302, coordinator_a=302, group_admin=302),
        method="post",
    ),
    Rule(
        "documents:reading_remove",
        lambda w: {"public_id": w.doc_requirement.public_id},
        expect(family=404, staff_b=404, staff_a=404, coordinator_a=302, group_admin=404),
        method="post",
        note="removed by the coordinator first; care staff manage no site",
    ),
    Rule("documents:version_download", _version, SITE_A_READ),
    Rule("documents:version_preview", _version, SITE_A_READ),
    Rule(
        "documents:version_thumbnail",
        _version,
        SITE_A_READ,
        note="the thumbnail is made by the (eager) preview task on upload",
    ),
]
