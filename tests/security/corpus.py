"""Hostile files, made here in code (no binary blob in the repository), for every upload path.

Each file is what an attacker, a broken phone or a confused colleague sends: polyglots, active
content dressed as a picture, archives that explode, office files that run programs, names that
climb directories or hide their extension, photos that tell where they were taken, files cut short,
empty or too big, and a declared type that lies. ``CORPUS`` is the list the tests run on every
upload path (tests/security/test_hostile_uploads.py).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from PIL import Image

from documents.samples import png_image, text_pdf
from tests.documents.factories import (
    docx_bytes,
    docx_with_ole_package,
    odf_bytes,
    ods_with_basic_macros,
    office_zip,
    ole_bytes,
    ole_package_bytes,
    ooxml_bytes,
    xlsm_bytes,
    xlsx_bytes,
)

GPS_IFD = 0x8825
#: The size the tests give every upload limit, so that "oversized" stays small in memory.
LIMIT = 512 * 1024


@dataclass(frozen=True)
class Hostile:
    family: str
    name: str
    content: bytes
    content_type: str = "application/octet-stream"

    @property
    def id(self) -> str:
        return f"{self.family}:{self.name.encode('unicode_escape').decode()[:40]}"


# --- Building blocks -------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header announces ``width`` × ``height`` pixels over a few bytes of data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b"")


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    return exif.tobytes()


def image_bytes(fmt: str, *, size=(320, 240), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (180, 40, 40))
    image.save(out, fmt, **({"exif": exif} if exif else {}))
    return out.getvalue()


def jpeg_with_comment(comment: bytes) -> bytes:
    """A real JPEG with a COM segment right after SOI (where a polyglot hides its script)."""
    jpeg = image_bytes("JPEG")
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + jpeg[2:]


def jpeg_with_xmp_gps() -> bytes:
    xmp = (
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
        b"xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description "
        b"xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='48,51.4N' "
        b"exif:GPSLongitude='2,21.05E'/></rdf:RDF></x:xmpmeta>"
    )
    jpeg = image_bytes("JPEG")
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp + jpeg[2:]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF0) announces ``width`` × ``height``."""
    jpeg = bytearray(image_bytes("JPEG", size=(16, 16)))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(jpeg)


def zip_of(members: dict[str, bytes]) -> bytes:
    return office_zip(members)


def zip_bomb_entries(count: int = 4_000) -> bytes:
    """An office-looking archive with a great many tiny entries (the directory itself is the bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
        for index in range(count):
            archive.writestr(f"word/media/{index}.bin", b"")
    return buffer.getvalue()


def zip_bomb_ratio(mimetype: str | None = None, member: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if mimetype:
            archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        else:
            archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr(member, b"\0" * (40 * 1024 * 1024))
    return buffer.getvalue()


def nested_zip_bomb() -> bytes:
    inner = zip_bomb_ratio()
    return zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/embeddings/x.zip": inner})


def legacy_doc_with_macros() -> bytes:
    return ole_bytes({"WordDocument": b"\xec\xa5" + b"\0" * 200, "Macros": b"Attribute VB_Name", "1Table": b"\0"})


def rtf_with_object() -> bytes:
    return rb"{\rtf1\ansi{\object\objemb{\*\objclass Package}{\*\objdata 0105000002000000}}}"


def pdf_with_javascript() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"3 0 obj<</S/JavaScript/JS(app.alert('x'))>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SVG_ONLOAD = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
SVG_XLINK = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<a xlink:href="javascript:alert(1)"><text y="20">Ouvrir</text></a></svg>'
)
SVG_FOREIGN = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><body xmlns="http://www.w3.org/1999/xhtml">'
    b"<iframe src='javascript:alert(1)'></iframe></body></foreignObject></svg>"
)


def _pdf() -> bytes:
    return text_pdf([["Protocole de nuit"]])


def _corpus() -> list[Hostile]:
    pdf, png, jpeg = _pdf(), png_image(64, 48), image_bytes("JPEG")
    return [
        # Polyglots: a real picture or PDF that is also a page, a script or an archive.
        Hostile("polyglot", "gifar.gif", b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.domain)//;"),
        Hostile("polyglot", "photo.jpg", jpeg_with_comment(b"<script>alert(1)</script>"), "image/jpeg"),
        Hostile("polyglot", "capture.png", png + HTML, "image/png"),
        Hostile("polyglot", "protocole.pdf", pdf + zip_of({"evil.exe": b"MZ" + b"\0" * 64}), "application/pdf"),
        Hostile("polyglot", "archive.pdf", zip_of({"a.html": HTML}) + pdf, "application/pdf"),
        Hostile("polyglot", "page.pdf", b"%PDF-1.4\n" + HTML, "application/pdf"),
        Hostile("polyglot", "script.pdf", pdf_with_javascript(), "application/pdf"),
        Hostile("polyglot", "image.jpg", b"\xff\xd8\xff\xe0" + HTML, "image/jpeg"),
        # SVG: a picture that runs script.
        Hostile("svg", "logo.svg", SVG_SCRIPT, "image/svg+xml"),
        Hostile("svg", "onload.svg", SVG_ONLOAD, "image/svg+xml"),
        Hostile("svg", "lien.svg", SVG_XLINK, "image/svg+xml"),
        Hostile("svg", "logo.png", SVG_SCRIPT, "image/png"),
        Hostile("svg", "dessin.jpg", SVG_FOREIGN, "image/jpeg"),
        Hostile("svg", "compresse.svgz", zlib.compress(SVG_ONLOAD), "image/svg+xml"),
        # A web page dressed as a picture or a document.
        Hostile("html", "photo.jpg", HTML, "image/jpeg"),
        Hostile("html", "scan.png", b"\xef\xbb\xbf  " + HTML, "image/png"),
        Hostile("html", "bilan.pdf", b"\n\n  <html><head><meta http-equiv=refresh content=0;url=//x></head></html>"),
        Hostile("html", "image.gif", "<html><script>alert(1)</script></html>".encode("utf-16")),
        Hostile("html", "page.webp", b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>"),
        Hostile("html", "liste.csv", HTML, "text/csv"),
        Hostile("html", "notes.txt", HTML, "text/plain"),
        # Archives that explode when opened.
        Hostile("zip bomb", "bombe.docx", zip_bomb_ratio()),
        Hostile(
            "zip bomb", "bombe.ods", zip_bomb_ratio("application/vnd.oasis.opendocument.spreadsheet", "content.xml")
        ),
        Hostile("zip bomb", "entrees.docx", zip_bomb_entries()),
        Hostile("zip bomb", "gigogne.docx", nested_zip_bomb()),
        Hostile("zip bomb", "photos.zip", zip_of({"a.jpg": jpeg})),
        # Pictures that decode into gigabytes.
        Hostile("decompression bomb", "immense.png", png_claiming(60_000, 60_000), "image/png"),
        Hostile("decompression bomb", "large.png", png_claiming(20_000, 5_000), "image/png"),
        Hostile("decompression bomb", "immense.jpg", jpeg_claiming(65_000, 65_000), "image/jpeg"),
        Hostile("decompression bomb", "immense.gif", b"GIF89a" + struct.pack("<HH", 65_535, 65_535) + b"\0\0\0;"),
        # Office files that run programs.
        Hostile("macro", "budget.xlsm", xlsm_bytes()),
        Hostile("macro", "budget.xlsx", xlsm_bytes()),
        Hostile(
            "macro",
            "courrier.docm",
            office_zip(
                {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"\0"}
            ),
        ),
        Hostile("macro", "planning.ods", ods_with_basic_macros()),
        Hostile("macro", "ancien.doc", legacy_doc_with_macros(), "application/msword"),
        Hostile("ole", "courrier.docx", docx_with_ole_package("facture.exe")),
        Hostile("ole", "image-ole.docx", ooxml_bytes(parts={"word/media/image1.png": ole_bytes({"Contents": b"\1"})})),
        Hostile(
            "ole",
            "courrier.odt",
            odf_bytes(
                mimetype="application/vnd.oasis.opendocument.text",
                parts={"Object 1": ole_package_bytes("run.exe", b"MZ" + b"\0" * 64)},
                manifest_entries={"Object 1": "application/vnd.sun.star.oleobject"},
            ),
        ),
        Hostile("ole", "lettre.rtf", rtf_with_object(), "application/rtf"),
        Hostile("ole", "lettre.docx", rtf_with_object()),
        # Double extensions: the last one decides what the computer does.
        Hostile("double extension", "rapport.pdf.exe", b"MZ\x90\x00" + b"\0" * 200),
        Hostile("double extension", "photo.jpg.html", HTML, "text/html"),
        Hostile("double extension", "facture.pdf.exe", pdf),
        Hostile("double extension", "photo.jpg.svg", SVG_ONLOAD, "image/svg+xml"),
        Hostile("double extension", "consignes.txt.js", b"alert(document.cookie)", "text/javascript"),
        Hostile("double extension", "protocole.pdf.", pdf, "application/pdf"),
        Hostile("double extension", "menus.xlsx.lnk", b"L\0\0\0\x01\x14\x02\0" + b"\0" * 64),
        # Names that climb, hide or break things.
        Hostile("name", "../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "text/plain"),
        Hostile("name", "..\\..\\windows\\win.ini.txt", b"[fonts]\n", "text/plain"),
        Hostile("name", "../../../photo.jpg", jpeg, "image/jpeg"),
        Hostile("name", "note\x00.txt.exe", b"Bonjour", "text/plain"),
        Hostile("name", "rapport\x00.jpg", jpeg, "image/jpeg"),
        Hostile("name", "facture\u202egpj.exe", jpeg, "image/jpeg"),
        Hostile("name", "photo\u202egnp.jpg", png, "image/png"),
        Hostile("name", "a\r\nX-Injected: 1.txt", b"Bonjour", "text/plain"),
        Hostile("name", '"; filename=evil.html.txt', b"Bonjour", "text/plain"),
        Hostile("name", "<img src=x onerror=alert(1)>.jpg", jpeg, "image/jpeg"),
        Hostile("name", "...jpg", jpeg, "image/jpeg"),
        Hostile("name", "CON.txt", b"Bonjour", "text/plain"),
        Hostile("name", ("tres-long-" * 60) + ".pdf", pdf, "application/pdf"),
        Hostile("name", "\u200b\u200b.pdf", pdf, "application/pdf"),
        # Photos that tell where they were taken.
        Hostile("exif gps", "IMG_0042.jpg", image_bytes("JPEG", exif=gps_exif()), "image/jpeg"),
        Hostile("exif gps", "IMG_0043.png", image_bytes("PNG", exif=gps_exif()), "image/png"),
        Hostile("exif gps", "IMG_0044.webp", image_bytes("WEBP", exif=gps_exif()), "image/webp"),
        Hostile("exif gps", "IMG_0045.jpg", jpeg_with_xmp_gps(), "image/jpeg"),
        # Cut short, empty, or lying about their type.
        Hostile("truncated", "coupee.jpg", jpeg[: len(jpeg) // 2], "image/jpeg"),
        Hostile("truncated", "coupee.png", png[: len(png) // 2], "image/png"),
        Hostile("truncated", "coupe.pdf", pdf[:20], "application/pdf"),
        Hostile("truncated", "coupe.docx", docx_bytes()[:200]),
        Hostile("truncated", "coupe.xlsx", xlsx_bytes()[:-30]),
        Hostile("empty", "vide.pdf", b"", "application/pdf"),
        Hostile("empty", "vide.jpg", b"", "image/jpeg"),
        Hostile("empty", "vide.csv", b"", "text/csv"),
        Hostile("wrong type", "protocole.pdf", pdf, "text/html"),
        Hostile("wrong type", "photo.jpg", jpeg, "text/html"),
        Hostile("wrong type", "photo.png", jpeg, "image/png"),
        Hostile("wrong type", "page.html", HTML, "image/jpeg"),
        Hostile("oversized", "enorme.pdf", pdf + b"%" + b"x" * (LIMIT + 1), "application/pdf"),
        Hostile("oversized", "enorme.jpg", jpeg + b"\0" * (LIMIT + 1), "image/jpeg"),
    ]


CORPUS: list[Hostile] = _corpus()
