"""Factories and helpers for the documents tests: real files through the real services."""

import io
import zipfile

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from coordination.models import Resident
from documents import services
from documents.models import Folder
from documents.samples import png_image, text_pdf


class ResidentFactory(factory.django.DjangoModelFactory):
    """Only the fields every version of Resident has (coordination/migrations/0001)."""

    class Meta:
        model = Resident

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    room = factory.Sequence(lambda n: f"{100 + n}")


class FolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Folder

    scope = Folder.Scope.SITE
    name = factory.Sequence(lambda n: f"Dossier {n}")


def pdf_bytes(*lines: str) -> bytes:
    return text_pdf([list(lines or ["Protocole"])])


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_document(folder, user, *, name="protocole.pdf", content=None, title="", comment=""):
    content = content if content is not None else pdf_bytes(f"Document {name}")
    return services.document_upload(
        folder=folder, uploaded=upload(name, content), user=user, title=title, comment=comment
    )


def office_zip(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes(text: str = "Bonjour") -> bytes:
    return office_zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "word/document.xml": f"<w:document><w:body><w:p>{text}</w:p></w:body></w:document>".encode(),
        }
    )


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def png_bytes() -> bytes:
    return png_image(120, 90)
