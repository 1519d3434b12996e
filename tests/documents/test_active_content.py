"""Macros and embedded objects in office files are refused, with the reason, on every upload path.

The files are built here as Word, Excel and LibreOffice write them (see tests/documents/factories.py):
the parts and relationships that make a macro or an embedded object run are real ones.
"""

import io
import secrets
import uuid
import zipfile
from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.detection import Refused, detect
from documents.models import Document, DocumentVersion
from messaging.models import Message
from tests.documents.factories import (
    docx_with_ole_package,
    make_document,
    odf_bytes,
    ods_with_basic_macros,
    office_zip,
    ole_bytes,
    ole_package_bytes,
    ooxml_bytes,
    upload,
    xlsm_bytes,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

MACROS = "The document contains macros (programs); save it without macros and upload it again."
FACTURE_EXE = (
    "The document contains an embedded file “facture.exe”, which could run a program when opened; "
    "delete it from the document (or paste it as a picture) and upload it again."
)
OLE_OBJECT = (
    "The document contains an embedded object (an OLE object), which could run a program when opened; "
    "delete it from the document (or paste it as a picture) and upload it again."
)


def _reason(name, content) -> str:
    with pytest.raises(Refused) as exc:
        detect(io.BytesIO(content), name, len(content))
    return str(exc.value)


def _kind(name, content) -> str:
    return detect(io.BytesIO(content), name, len(content)).code


# --- What is refused, and the reason given ---------------------------------------------------------


def test_a_spreadsheet_with_a_libreoffice_basic_library_is_refused_for_its_macros():
    assert _reason("planning.ods", ods_with_basic_macros()) == MACROS


def test_a_spreadsheet_whose_manifest_names_a_basic_library_is_refused():
    content = odf_bytes(manifest_entries={"Basic/Standard/Module1.xml": "text/xml"})
    assert _reason("planning.ods", content) == MACROS


def test_a_macro_bound_to_opening_the_document_is_refused():
    content = odf_bytes(
        content=(
            b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            b'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<office:scripts><office:event-listeners><script:event-listener script:language="ooo:script" '
            b'script:event-name="office:load" '
            b'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=application"/>'
            b"</office:event-listeners></office:scripts></office:document-content>"
        )
    )
    assert _reason("planning.ods", content) == MACROS


def test_an_opendocument_with_an_embedded_ole_object_is_refused_naming_the_file():
    content = odf_bytes(
        mimetype="application/vnd.oasis.opendocument.text",
        parts={"Object 1": ole_package_bytes("facture.exe", b"MZ" + b"\0" * 100)},
        manifest_entries={"Object 1": "application/vnd.sun.star.oleobject"},
    )
    assert _reason("courrier.odt", content) == FACTURE_EXE


def test_a_word_document_with_an_embedded_ole_package_is_refused_naming_the_file():
    assert _reason("courrier.docx", docx_with_ole_package("facture.exe")) == FACTURE_EXE


def test_an_ole_object_hidden_under_an_image_name_is_refused():
    content = ooxml_bytes(parts={"word/media/image1.png": ole_bytes({"Contents": b"\x01\x02"})})
    assert _reason("courrier.docx", content) == OLE_OBJECT


def test_an_excel_macro_workbook_is_refused_for_its_macros():
    assert _reason("budget.xlsm", xlsm_bytes()) == MACROS


def test_a_macro_workbook_renamed_xlsx_is_refused_for_its_macros():
    assert _reason("budget.xlsx", xlsm_bytes()) == MACROS


def test_an_excel_4_macro_sheet_is_refused():
    content = xlsx_bytes(parts={"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"})
    assert _reason("budget.xlsx", content) == MACROS


def test_a_ribbon_that_runs_a_macro_on_opening_is_refused():
    content = ooxml_bytes(
        parts={
            "customUI/customUI14.xml": b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui" '
            b'onLoad="Auto_Open"/>'
        }
    )
    assert _reason("courrier.docx", content) == MACROS


def test_an_activex_control_is_refused():
    content = ooxml_bytes(parts={"word/activeX/activeX1.xml": b'<ax:ocx xmlns:ax="urn:x" ax:classid="{x}"/>'})
    assert _reason("courrier.docx", content) == (
        "The document contains an embedded object (an ActiveX control), which could run a program when opened; "
        "delete it from the document (or paste it as a picture) and upload it again."
    )


def test_a_remote_template_is_refused_naming_where_it_comes_from():
    content = ooxml_bytes(
        parts={
            "word/settings.xml": b'<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>',
            "word/_rels/settings.xml.rels": (
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'attachedTemplate" Target="http://exemple.invalid/modele.dotm" TargetMode="External"/>'
                b"</Relationships>"
            ),
        }
    )
    assert _reason("courrier.docx", content) == (
        "The document fetches content from outside of it when opened (http://exemple.invalid/modele.dotm); "
        "remove that link (or the template it points to) and upload it again."
    )


def test_a_chart_whose_embedded_workbook_has_macros_is_refused():
    content = ooxml_bytes(parts={"word/embeddings/Microsoft_Excel_Worksheet.xlsx": xlsm_bytes()})
    assert _reason("rapport.docx", content) == MACROS


def test_another_file_embedded_in_a_word_document_is_refused_naming_it():
    content = ooxml_bytes(parts={"word/embeddings/consignes.pdf": b"%PDF-1.4\n"})
    assert _reason("courrier.docx", content) == (
        "The document contains an embedded file “consignes.pdf”, which could run a program when opened; "
        "delete it from the document (or paste it as a picture) and upload it again."
    )


# --- What is still accepted -------------------------------------------------------------------------


def test_a_clean_word_document_is_accepted():
    assert _kind("courrier.docx", ooxml_bytes()) == "docx"


def test_a_clean_spreadsheet_is_accepted():
    assert _kind("planning.ods", odf_bytes()) == "ods"


def test_a_clean_workbook_is_accepted():
    assert _kind("menus.xlsx", xlsx_bytes()) == "xlsx"


def test_a_web_link_in_a_word_document_is_accepted():
    content = ooxml_bytes(relationships=(("rId5", "hyperlink", "https://www.has-sante.fr/", "External"),))
    assert _kind("protocole.docx", content) == "docx"


def test_a_chart_with_its_clean_embedded_workbook_is_accepted():
    content = ooxml_bytes(
        relationships=(("rId4", "chart", "charts/chart1.xml", ""),),
        parts={
            "word/charts/chart1.xml": b'<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"/>',
            "word/charts/_rels/chart1.xml.rels": (
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'package" Target="../embeddings/Microsoft_Excel_Worksheet.xlsx"/></Relationships>'
            ),
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx": xlsx_bytes(),
        },
    )
    assert _kind("rapport.docx", content) == "docx"


def test_a_spreadsheet_with_a_chart_object_is_accepted():
    content = odf_bytes(
        parts={
            "Object 1/content.xml": b"<office:document-content/>",
            "ObjectReplacements/Object 1": b"\x00\x01 a picture of the chart",
        },
        manifest_entries={"Object 1/": "application/vnd.oasis.opendocument.chart"},
    )
    assert _kind("planning.ods", content) == "ods"


# --- The reason reaches the person, on every path -------------------------------------------------


def test_the_plain_upload_form_shows_the_reason_and_stores_nothing(verified_client, coordinator_a, folder_a):
    response = verified_client(coordinator_a).post(
        reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id}),
        {"files": [upload("courrier.docx", docx_with_ole_package("facture.exe"))]},
    )
    assert (response.status_code, Document.objects.count()) == (HTTPStatus.BAD_REQUEST, 0)
    assert "“facture.exe”, which could run a program when opened" in response.content.decode()


def test_the_resumable_uploader_answers_the_reason_in_json(
    verified_client, coordinator_a, folder_a, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    content = ods_with_basic_macros()
    response = verified_client(coordinator_a).generic(
        "POST",
        reverse("documents:folder_upload_chunk", kwargs={"public_id": folder_a.public_id}),
        content,
        content_type="application/octet-stream",
        HTTP_ACCEPT="application/json",
        HTTP_X_UPLOAD_ID=secrets.token_hex(16),
        HTTP_X_UPLOAD_OFFSET="0",
        HTTP_X_UPLOAD_TOTAL=str(len(content)),
        HTTP_X_UPLOAD_NAME=quote("planning.ods"),
    )
    assert (response.status_code, response.json()["results"][0]["message"]) == (HTTPStatus.BAD_REQUEST, MACROS)


def test_a_new_version_with_macros_is_refused_with_the_reason(verified_client, coordinator_a, folder_a):
    document = make_document(folder_a, coordinator_a, name="menus.xlsx", content=xlsx_bytes())
    response = verified_client(coordinator_a).post(
        reverse("documents:document_new_version", kwargs={"public_id": document.public_id}),
        {"file": upload("menus.xlsx", xlsm_bytes())},
    )
    assert (response.status_code, DocumentVersion.objects.count()) == (HTTPStatus.BAD_REQUEST, 1)
    assert MACROS in response.content.decode()


def test_a_message_attachment_with_an_embedded_object_is_refused_with_the_same_reason(
    verified_client, staff_a, coordinator_a
):
    from tests.messaging.factories import group_with

    group = group_with(staff_a, coordinator_a)
    letter = SimpleUploadedFile("courrier.docx", docx_with_ole_package("facture.exe"))
    response = verified_client(staff_a).post(
        reverse("messaging:conversation", kwargs={"public_id": group.public_id}),
        {"body": "Voir le courrier", "client_token": str(uuid.uuid4()), "files": [letter]},
    )
    assert (response.status_code, Message.objects.count()) == (HTTPStatus.BAD_REQUEST, 0)
    assert "“facture.exe”, which could run a program when opened" in response.content.decode()


def test_the_upload_page_says_embedded_objects_are_refused(verified_client, coordinator_a, folder_a):
    response = verified_client(coordinator_a).get(
        reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id})
    )
    assert "Programs, web pages, files with macros or embedded objects are refused" in response.content.decode()


def test_a_toolbar_button_running_a_macro_is_refused():
    toolbar = (
        b'<toolbar:toolbar xmlns:toolbar="http://openoffice.org/2001/toolbar" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<toolbar:toolbaritem xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>'
        b"</toolbar:toolbar>"
    )
    content = odf_bytes(parts={"Configurations2/toolbar/custom_toolbar_1.xml": toolbar})
    assert _reason("planning.ods", content) == MACROS


def test_a_document_with_a_damaged_part_is_refused_as_damaged_not_a_server_error():
    sound = office_zip(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document>" + b"x" * 200 + b"</w:document>"},
        compression=zipfile.ZIP_STORED,
    )
    damaged = sound.replace(b"x" * 200, b"y" + b"x" * 199)  # the stored bytes no longer match their CRC-32
    assert _reason("courrier.docx", damaged) == "The file is a damaged or unreadable archive."
