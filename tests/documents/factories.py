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


def ole_bytes(streams: dict[str, bytes]) -> bytes:
    """A real OLE2 compound file (what Office embeds and what holds VBA) with these streams at its root.

    Written by hand to the [MS-CFB] layout (version 3, 512-byte sectors): sector 0 the FAT,
    sector 1 the directory, then each stream padded to 4096 bytes (the mini-stream cut-off), so
    that olefile and oletools read it as they read Office's own.
    """
    import struct

    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    assert 1 <= len(streams) <= 3
    fat = [fat_sector, end]
    entries = []
    body = b""
    for index, (name, data) in enumerate(streams.items()):
        data = data.ljust(4096, b"\0")
        data += b"\0" * (-len(data) % 512)
        first = len(fat)
        count = len(data) // 512
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        right = index + 2 if index + 1 < len(streams) else no_stream
        entries.append((name, 2, no_stream, right, no_stream, first, len(data)))
        body += data
    assert len(fat) <= 128
    root = ("Root Entry", 5, no_stream, no_stream, 1, end, 0)
    directory = b""
    for name, kind, left, right, child, start, size in [root, *entries]:
        encoded = (name + "\0").encode("utf-16-le")
        directory += (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(encoded), kind, 1, left, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )
    directory = directory.ljust(512, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", 0, *([free] * 108))
    )
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", free) * (128 - len(fat))
    return header + fat_bytes + directory + body


def ole_package_bytes(filename: str, data: bytes) -> bytes:
    """An embedded OLE "Package" object carrying a file (how a program rides inside a Word document)."""
    import struct

    name = filename.encode("latin-1") + b"\0"
    path = f"C:\\Users\\x\\{filename}".encode("latin-1") + b"\0"
    native = struct.pack("<H", 2) + name + path + struct.pack("<II", 0, len(path)) + path
    native += struct.pack("<I", len(data)) + data
    return ole_bytes({"\x01Ole10Native": struct.pack("<I", len(native)) + native})


# --- Office files as Word, Excel and LibreOffice write them (the parts that matter here) ----------

_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _rels(*relationships: tuple[str, str, str, str]) -> bytes:
    """A .rels part; each relationship is (id, type's last word, target, target mode or "")."""
    items = "".join(
        f'<Relationship Id="{rid}" Type="{_R}/{kind}" Target="{target}"'
        + (f' TargetMode="{mode}"' if mode else "")
        + "/>"
        for rid, kind, target, mode in relationships
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_RELS}">{items}</Relationships>'.encode()


def ooxml_bytes(
    *,
    main: str = "word/document.xml",
    main_type: str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    body: bytes = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Bonjour</w:t></w:r></w:p></w:body></w:document>',
    relationships: tuple = (),
    parts: dict[str, bytes] | None = None,
    overrides: dict[str, str] | None = None,
) -> bytes:
    """A Word document (or, with ``main``, an Excel workbook): content types, package and part relationships."""
    folder, _slash, leaf = main.rpartition("/")
    override_items = {f"/{main}": main_type, **(overrides or {})}
    types = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{_CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>'
        + "".join(f'<Override PartName="{name}" ContentType="{ct}"/>' for name, ct in override_items.items())
        + "</Types>"
    ).encode()
    members = {
        "[Content_Types].xml": types,
        "_rels/.rels": _rels(("rId1", "officeDocument", main, "")),
        main: body,
        f"{folder}/_rels/{leaf}.rels": _rels(*relationships),
        **(parts or {}),
    }
    return office_zip(members)


def xlsx_bytes(**kwargs) -> bytes:
    return ooxml_bytes(
        main="xl/workbook.xml",
        main_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        body=b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>',
        **kwargs,
    )


def odf_bytes(
    *,
    mimetype: str = "application/vnd.oasis.opendocument.spreadsheet",
    content: bytes = b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"><office:body><office:spreadsheet/></office:body></office:document-content>',
    parts: dict[str, bytes] | None = None,
    manifest_entries: dict[str, str] | None = None,
) -> bytes:
    """An OpenDocument file as LibreOffice writes it: ``mimetype`` first and stored, then the manifest."""
    entries = {"/": mimetype, "content.xml": "text/xml", **(manifest_entries or {})}
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        + "".join(
            f'<manifest:file-entry manifest:full-path="{path}" manifest:media-type="{media}"/>'
            for path, media in entries.items()
        )
        + "</manifest:manifest>"
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        for name, data in (parts or {}).items():
            archive.writestr(name, data)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


def ods_with_basic_macros() -> bytes:
    """A spreadsheet with a LibreOffice Basic library whose macro starts a program."""
    module = (
        b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">'
        b'<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">'
        b'Sub Main\n  Shell("cmd.exe /c calc")\nEnd Sub</script:module>'
    )
    library = (
        b'<?xml version="1.0" encoding="UTF-8"?><library:library xmlns:library="http://openoffice.org/2000/library" '
        b'library:name="Standard" library:readonly="false" library:passwordprotected="false">'
        b'<library:element library:name="Module1"/></library:library>'
    )
    libraries = (
        b'<?xml version="1.0" encoding="UTF-8"?><library:libraries xmlns:library="http://openoffice.org/2000/library">'
        b'<library:library library:name="Standard" library:link="false"/></library:libraries>'
    )
    return odf_bytes(
        parts={
            "Basic/script-lc.xml": libraries,
            "Basic/Standard/script-lb.xml": library,
            "Basic/Standard/Module1.xml": module,
        },
        manifest_entries={
            "Basic/script-lc.xml": "text/xml",
            "Basic/Standard/script-lb.xml": "text/xml",
            "Basic/Standard/Module1.xml": "text/xml",
        },
    )


def docx_with_ole_package(filename: str = "facture.exe") -> bytes:
    """A letter carrying a program as an embedded OLE "Package" object (the icon one double-clicks)."""
    body = (
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        b'xmlns:o="urn:schemas-microsoft-com:office:office" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<w:body><w:p><w:r><w:object><o:OLEObject Type="Embed" ProgID="Package" ShapeID="_x0000_i1025" '
        b'DrawAspect="Icon" ObjectID="_1" r:id="rId7"/></w:object></w:r></w:p></w:body></w:document>'
    )
    return ooxml_bytes(
        body=body,
        relationships=(("rId7", "oleObject", "embeddings/oleObject1.bin", ""),),
        parts={"word/embeddings/oleObject1.bin": ole_package_bytes(filename, b"MZ" + b"\0" * 200)},
    )


def xlsm_bytes() -> bytes:
    """An Excel workbook with a VBA project, as Excel saves a .xlsm."""
    vba = ole_bytes({"PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nModule=Module1\r\n'})
    return ooxml_bytes(
        main="xl/workbook.xml",
        main_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        body=b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>',
        relationships=(("rId9", "vbaProject", "vbaProject.bin", ""),),
        parts={"xl/vbaProject.bin": vba},
        overrides={"/xl/vbaProject.bin": "application/vnd.ms-office.vbaProject"},
    )
