"""Content sniffing: the content decides, the name must agree, dangerous things are refused."""

import io
import zipfile

import pytest

from documents.detection import Refused, detect
from tests.documents.factories import docx_bytes, odt_bytes, office_zip, pdf_bytes, png_bytes


def _detect(name, content):
    return detect(io.BytesIO(content), name, len(content))


def test_real_pdf_is_accepted():
    kind = _detect("protocole chutes.pdf", pdf_bytes("Prévention des chutes"))
    assert kind.code == "pdf"
    assert kind.mime == "application/pdf"


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"  \n<html><head><title>x</title></head></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    ],
)
def test_html_named_pdf_is_refused_naming_the_reason(content):
    with pytest.raises(Refused) as exc:
        _detect("compte-rendu.pdf", content)
    assert "web page" in str(exc.value)
    assert "compte-rendu.pdf" in str(exc.value)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "Windows program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "Linux program"),
        (b"#!/bin/sh\nrm -rf /\n", "script"),
    ],
)
def test_renamed_executable_is_refused(content, what):
    with pytest.raises(Refused) as exc:
        _detect("planning.pdf", content)
    assert what in str(exc.value)


def test_text_named_pdf_is_refused_for_the_mismatch():
    with pytest.raises(Refused) as exc:
        _detect("note.pdf", b"Bonjour, ceci est du texte.")
    assert "“.pdf”" in str(exc.value)
    assert "plain text" in str(exc.value)


def test_png_named_jpg_is_refused_but_named_png_is_accepted():
    assert _detect("photo.png", png_bytes()).code == "png"
    with pytest.raises(Refused):
        _detect("photo.jpg", png_bytes())


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("pap.docx", docx_bytes(), "docx"),
        ("dlu.odt", odt_bytes(), "odt"),
        (
            "menus.xlsx",
            office_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
            "xlsx",
        ),
        ("liste.csv", "nom;chambre\nDurand;12\n".encode("cp1252"), "csv"),
        ("consignes.txt", "Consignes de nuit : vérifier les portes.".encode(), "txt"),
    ],
)
def test_accepted_types(name, content, code):
    assert _detect(name, content).code == code


def test_zip_bomb_like_office_file_is_refused_without_extracting():
    # 50 MB of zeros compress to ~50 KB: a ratio far above any real document.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    content = buffer.getvalue()
    assert len(content) < 1024 * 1024
    with pytest.raises(Refused) as exc:
        _detect("bombe.docx", content)
    assert "zip bomb" in str(exc.value)


def test_office_file_past_the_uncompressed_limit_is_refused(settings):
    settings.DOCUMENTS_ZIP_MAX_UNCOMPRESSED = 1000
    with pytest.raises(Refused):
        _detect("gros.docx", docx_bytes("x" * 5000))


def test_macro_enabled_document_is_refused():
    content = office_zip(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"\x00" * 10}
    )
    with pytest.raises(Refused) as exc:
        _detect("courrier.docx", content)
    assert "macros" in str(exc.value)


def test_plain_zip_archive_is_refused():
    with pytest.raises(Refused) as exc:
        _detect("photos.docx", office_zip({"a.txt": b"a"}))
    assert "archive" in str(exc.value)


def test_type_not_allowed_by_settings(settings):
    settings.DOCUMENTS_ALLOWED_TYPES = ("pdf",)
    with pytest.raises(Refused) as exc:
        _detect("photo.png", png_bytes())
    assert "not accepted" in str(exc.value)


def test_unknown_binary_is_refused():
    with pytest.raises(Refused):
        _detect("donnees.pdf", bytes(range(256)) * 4)
