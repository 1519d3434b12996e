"""What a file is, judged by its content, never by its name.

Pure Python (no libmagic): the signatures of the few types a care home shares
are checked here by hand, zip-based office files by reading the archive's
directory (never extracting it), and ``puremagic`` only names what we refuse.
The name's extension must agree with the content, so that a nurse who opens
"protocole.pdf" gets a PDF and nothing else.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import olefile
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

HEAD_SIZE = 8192


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    mime: str
    extensions: tuple[str, ...]
    #: Shown in the browser (PDF, images) rather than always downloaded.
    inline: bool = False
    image: bool = False


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("pdf", gettext_lazy("PDF document"), "application/pdf", ("pdf",), inline=True),
        Kind("png", gettext_lazy("PNG image"), "image/png", ("png",), inline=True, image=True),
        Kind("jpeg", gettext_lazy("JPEG image"), "image/jpeg", ("jpg", "jpeg", "jpe"), inline=True, image=True),
        Kind("webp", gettext_lazy("WebP image"), "image/webp", ("webp",), inline=True, image=True),
        Kind("heic", gettext_lazy("HEIC photo"), "image/heic", ("heic", "heif")),
        Kind("txt", gettext_lazy("plain text"), "text/plain", ("txt", "text", "log", "md")),
        Kind("csv", gettext_lazy("CSV table"), "text/csv", ("csv",)),
        Kind(
            "docx",
            gettext_lazy("Word document"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        Kind(
            "xlsx",
            gettext_lazy("Excel workbook"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
        ),
        Kind("odt", gettext_lazy("OpenDocument text"), "application/vnd.oasis.opendocument.text", ("odt",)),
        Kind(
            "ods",
            gettext_lazy("OpenDocument spreadsheet"),
            "application/vnd.oasis.opendocument.spreadsheet",
            ("ods",),
        ),
    )
}


class Refused(Exception):
    """The file may not be stored; ``str(exc)`` is a translated sentence naming the reason."""


def allowed_kinds() -> list[Kind]:
    return [KINDS[code] for code in settings.DOCUMENTS_ALLOWED_TYPES if code in KINDS]


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


# Signatures of things that must never be stored, whatever their name.
_EXECUTABLE_SIGNATURES = (
    (b"MZ", gettext_lazy("a Windows program (.exe/.dll)")),
    (b"\x7fELF", gettext_lazy("a Linux program")),
    (b"\xcf\xfa\xed\xfe", gettext_lazy("a macOS program")),
    (b"\xce\xfa\xed\xfe", gettext_lazy("a macOS program")),
    (b"\xca\xfe\xba\xbe", gettext_lazy("a macOS or Java program")),
    (b"#!", gettext_lazy("a script")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", gettext_lazy("an old-format Office file or installer (may carry macros)")),
    (b"{\\rtf", gettext_lazy("an RTF document (may carry embedded objects)")),
)
_MARKUP = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta|\?xml)\b", re.IGNORECASE
)


def _sniff_text(head: bytes) -> str | None:
    """'text' for UTF-8/Latin-1 text without control characters, else None."""
    if not head:
        return "text"
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start < len(head) - 4:
            try:
                text = head.decode("cp1252")  # Excel's French CSV exports
            except UnicodeDecodeError:
                return None
        else:
            text = head[: exc.start].decode("utf-8")
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return "text" if bad == 0 else None


def _describe_unknown(head: bytes, name: str) -> str:
    try:
        import puremagic

        matches = puremagic.magic_string(head, filename=name)
    except Exception:  # puremagic raises on empty or unknown input; naming is best effort
        matches = []
    if matches:
        best = matches[0]
        return best.name or best.mime_type or best.extension
    return ""


def _zip_kind(fileobj: BinaryIO, size: int) -> str:
    """The office kind of a zip archive, after checking it cannot expand into a bomb."""
    try:
        archive = zipfile.ZipFile(fileobj)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Refused(_("The file is a damaged or unreadable archive.")) from exc
    if len(members) > settings.DOCUMENTS_ZIP_MAX_MEMBERS:
        raise Refused(_("The archive holds too many files (%(count)d).") % {"count": len(members)})
    total = sum(m.file_size for m in members)
    compressed = max(1, sum(m.compress_size for m in members), size)
    if total > settings.DOCUMENTS_ZIP_MAX_UNCOMPRESSED or total / compressed > settings.DOCUMENTS_ZIP_MAX_RATIO:
        raise Refused(
            _(
                "The file would expand to %(size)s MB when opened, far more than its own size: "
                "it looks like a “zip bomb” and was refused."
            )
            % {"size": f"{total / 1_048_576:.0f}"}
        )
    names = {m.filename for m in members}
    if any(n.startswith("/") or ".." in n.split("/") for n in names):
        raise Refused(_("The archive contains file paths that point outside of it."))
    code = ""
    if "mimetype" in names:
        mimetype_member = archive.getinfo("mimetype")
        if mimetype_member.file_size <= 100:
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            for candidate in ("odt", "ods"):
                if mimetype == KINDS[candidate].mime:
                    code = candidate
    if not code and "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            code = "docx"
        elif "xl/workbook.xml" in names:
            code = "xlsx"
    if code or "[Content_Types].xml" in names:
        # Macros are refused whatever the archive turns out to be (a .xlsm, a .pptm…).
        try:
            _refuse_active_content(archive, odf=code in ("odt", "ods"))
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            # A damaged part (bad checksum, truncated), an encrypted one or an unknown compression.
            raise Refused(_("The file is a damaged or unreadable archive.")) from exc
    return code


# --- Macros and embedded objects in office files -----------------------------------------------
#
# An office document is refused when it carries what runs or fetches code when opened:
# macros (VBA, Excel 4 macro sheets, LibreOffice Basic and scripts, macros bound to events or
# to the ribbon), embedded objects (OLE objects such as a program packaged inside a letter,
# ActiveX controls, other files) and content fetched from outside (a remote template, an OLE
# link, a frame). oletools reads what the OLE objects are; the rest is read from the archive's
# parts without extracting them. A chart keeps its data in an embedded workbook: such an
# embedded office document is accepted when it passes the same checks itself.

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: How far embedded office documents are opened (a chart's workbook inside a letter).
_NESTING = 1
_EMBEDDED_OFFICE = (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".odg")
#: External relationships of these types fetch content when the document opens (hyperlinks only on a click).
_EXTERNAL_LOADS = frozenset(
    {"attachedTemplate", "oleObject", "frame", "subDocument", "package", "externalLinkPath", "officeDocument"}
)
_ODF_MACRO_MARKS = (b"vnd.sun.star.script:", b"macro://", b"vnd.sun.star.basic")


def _macros_refused() -> Refused:
    return Refused(_("The document contains macros (programs); save it without macros and upload it again."))


def _embedded_refused(*, filename: str = "", what: str = "") -> Refused:
    if filename:
        return Refused(
            _(
                "The document contains an embedded file “%(filename)s”, which could run a program when "
                "opened; delete it from the document (or paste it as a picture) and upload it again."
            )
            % {"filename": filename}
        )
    return Refused(
        _(
            "The document contains an embedded object (%(what)s), which could run a program when opened; "
            "delete it from the document (or paste it as a picture) and upload it again."
        )
        % {"what": what or _("an OLE object")}
    )


def _external_refused(target: str) -> Refused:
    return Refused(
        _(
            "The document fetches content from outside of it when opened (%(target)s); remove that link "
            "(or the template it points to) and upload it again."
        )
        % {"target": target[:120]}
    )


def _contains(archive: zipfile.ZipFile, name: str, marks: tuple[bytes, ...]) -> bool:
    """Whether a part holds one of ``marks``, read in blocks (a spreadsheet's content can be large)."""
    tail = b""
    overlap = max(len(m) for m in marks)
    with archive.open(name) as part:
        while block := part.read(1024 * 1024):
            window = (tail + block).lower()
            if any(mark in window for mark in marks):
                return True
            tail = window[-overlap:]
    return False


def _oletools():
    """oletools' modules, imported on first use (olevba builds its grammar with deprecated pyparsing names)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from oletools import oleobj, olevba, ooxml
    # Their progress notes ("Opening OLE file…") are not ours to log for every upload.
    for name in ("olevba", "oleobj", "ooxml", "olefile"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return oleobj, olevba, ooxml


def _ole_reason(data: bytes) -> Refused:
    """Why an OLE compound file inside a document is refused: its macros, or what it embeds."""
    oleobj, olevba, _ooxml = _oletools()
    try:
        if olevba.VBA_Parser("part", data=data).detect_vba_macros():
            return _macros_refused()
    except Exception:  # noqa: BLE001 - a damaged part is still refused, as an object
        logger.info("oletools could not read the VBA of an embedded OLE part", exc_info=True)
    try:
        ole = olefile.OleFileIO(data)
        try:
            if ole.exists("\x01Ole10Native"):
                native = oleobj.OleNativeStream(ole.openstream("\x01Ole10Native").read())
                if native.filename:
                    return _embedded_refused(filename=str(native.filename)[:120])
        finally:
            ole.close()
    except Exception:  # noqa: BLE001 - naming the embedded file is best effort
        logger.info("oletools could not name an embedded OLE object", exc_info=True)
    return _embedded_refused()


def _member_is_ole(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    with archive.open(info) as part:
        return part.read(len(OLE_MAGIC)) == OLE_MAGIC


def _refuse_ole_members(archive: zipfile.ZipFile) -> None:
    for info in archive.infolist():
        if not info.is_dir() and _member_is_ole(archive, info):
            if info.file_size > settings.DOCUMENTS_MAX_UPLOAD_SIZE:
                raise _embedded_refused()
            raise _ole_reason(archive.read(info))


def _refuse_active_content(archive: zipfile.ZipFile, *, odf: bool, depth: int = 0) -> None:
    """Raise ``Refused`` naming the first macro, embedded object or external load found."""
    if odf:
        _refuse_odf_active_content(archive)
    else:
        _refuse_ooxml_active_content(archive, depth)


def _refuse_ooxml_active_content(archive: zipfile.ZipFile, depth: int) -> None:
    oleobj, _olevba, ooxml = _oletools()

    names = archive.namelist()
    lowered = [n.lower() for n in names]
    if any(n.endswith(("vbaproject.bin", "vbadata.xml")) or "/macrosheets/" in f"/{n}" for n in lowered):
        raise _macros_refused()
    if any("/intlmacrosheets/" in f"/{n}" for n in lowered):
        raise _macros_refused()
    if "[Content_Types].xml" in names and _contains(archive, "[Content_Types].xml", (b"macroenabled", b"vbaproject")):
        raise _macros_refused()
    _refuse_ole_members(archive)
    if any("/activex/" in f"/{n}" for n in lowered):
        raise _embedded_refused(what=_("an ActiveX control"))
    # Relationships and the ribbon, read by oletools' parser (the parts named only: no full parse).
    parts = [n for n, low in zip(names, lowered, strict=True) if low.endswith(".rels") or low.startswith("customui/")]
    wanted = (oleobj.OOXML_RELATIONSHIP_TAG, oleobj.TAG_CUSTOMUI_2007, oleobj.TAG_CUSTOMUI_2010)
    if parts:
        parser = ooxml.XmlParser(archive.fp)
        try:
            for _part, element, _depth in parser.iter_xml(parts, False, wanted):
                if element.tag == oleobj.OOXML_RELATIONSHIP_TAG:
                    kind = element.get("Type", "").rsplit("/", 1)[-1]
                    if element.get("TargetMode") == "External" and kind in _EXTERNAL_LOADS:
                        raise _external_refused(element.get("Target", ""))
                elif element.get("onLoad"):
                    raise _macros_refused()  # a ribbon that runs a macro as the document opens
        except ooxml.BadOOXML as exc:
            raise Refused(_("The file is a damaged or unreadable archive.")) from exc
    for info in archive.infolist():
        low = info.filename.lower()
        if info.is_dir() or "/embeddings/" not in f"/{low}":
            continue
        if not low.endswith(_EMBEDDED_OFFICE) or depth >= _NESTING:
            raise _embedded_refused(filename=info.filename.rsplit("/", 1)[-1][:120])
        if info.file_size > settings.DOCUMENTS_MAX_UPLOAD_SIZE:
            raise _embedded_refused(filename=info.filename.rsplit("/", 1)[-1][:120])
        _refuse_embedded_office(archive.read(info), info.filename.rsplit("/", 1)[-1], depth + 1)


def _refuse_embedded_office(data: bytes, filename: str, depth: int) -> None:
    """An office document inside another (a chart's workbook) passes the same checks, or the whole is refused."""
    try:
        nested = zipfile.ZipFile(io.BytesIO(data))
        names = set(nested.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _embedded_refused(filename=filename[:120]) from None
    members = nested.infolist()
    total = sum(m.file_size for m in members)
    if (
        len(members) > settings.DOCUMENTS_ZIP_MAX_MEMBERS
        or total / max(1, len(data)) > settings.DOCUMENTS_ZIP_MAX_RATIO
    ):
        raise _embedded_refused(filename=filename[:120])
    if any(n.startswith("/") or ".." in n.split("/") for n in names):
        raise _embedded_refused(filename=filename[:120])
    _refuse_active_content(nested, odf="mimetype" in names and "[Content_Types].xml" not in names, depth=depth)


def _refuse_odf_active_content(archive: zipfile.ZipFile) -> None:
    names = archive.namelist()
    # LibreOffice Basic libraries and scripts (Python, JavaScript, BeanShell) live in these folders.
    if any(n.startswith(("Basic/", "Scripts/")) or "/Basic/" in n or "/Scripts/" in n for n in names):
        raise _macros_refused()
    if "META-INF/manifest.xml" in names:
        if _contains(archive, "META-INF/manifest.xml", (b'full-path="basic/', b'full-path="scripts/')):
            raise _macros_refused()
        if _contains(archive, "META-INF/manifest.xml", (b"vnd.sun.star.oleobject",)):
            _refuse_ole_members(archive)
            raise _embedded_refused()
    # A macro bound to opening the document, a button, a cell, a toolbar (content, styles, Configurations2…).
    for part in (n for n in names if n.lower().endswith(".xml") and n != "META-INF/manifest.xml"):
        if _contains(archive, part, _ODF_MACRO_MARKS):
            raise _macros_refused()
    _refuse_ole_members(archive)


def detect(fileobj: BinaryIO, name: str, size: int) -> Kind:
    """The kind of an uploaded file, or ``Refused`` with the reason.

    ``fileobj`` must be seekable; it is left at position 0.
    """
    fileobj.seek(0)
    head = fileobj.read(HEAD_SIZE)
    fileobj.seek(0)
    ext = extension_of(name)
    code = ""
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and not _MARKUP.search(head[:1024])):
        code = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        code = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        code = "jpeg"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        code = "webp"
    elif head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc"):
        code = "heic"
    elif head.startswith(b"PK\x03\x04"):
        code = _zip_kind(fileobj, size)
        fileobj.seek(0)
        if not code:
            raise Refused(_("The file is a zip archive, not an office document. Archives are not accepted."))
    else:
        for signature, what in _EXECUTABLE_SIGNATURES:
            if head.startswith(signature):
                raise Refused(
                    _("“%(name)s” was refused: its content is %(what)s, whatever its name says.")
                    % {"name": name, "what": what}
                )
        if _sniff_text(head) == "text":
            if _MARKUP.search(head[:4096]):
                raise Refused(
                    _(
                        "“%(name)s” was refused: its content is a web page (HTML/SVG/XML), "
                        "which could run code when opened, whatever its name says."
                    )
                    % {"name": name}
                )
            code = "csv" if ext == "csv" else "txt"
    if not code:
        described = _describe_unknown(head, name)
        if described:
            raise Refused(
                _("“%(name)s” was refused: its content is %(what)s, which is not an accepted type.")
                % {"name": name, "what": described}
            )
        raise Refused(_("“%(name)s” was refused: its content is not of a recognised type.") % {"name": name})
    kind = KINDS[code]
    if code not in settings.DOCUMENTS_ALLOWED_TYPES:
        raise Refused(
            _("“%(name)s” was refused: %(kind)s files are not accepted here.") % {"name": name, "kind": kind.label}
        )
    if ext not in kind.extensions:
        raise Refused(
            _("“%(name)s” was refused: its name ends in “.%(ext)s” but its content is a %(kind)s.")
            % {"name": name, "ext": ext or "—", "kind": kind.label}
        )
    return kind
