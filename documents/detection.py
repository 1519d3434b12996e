"""What a file is, judged by its content, never by its name.

Pure Python (no libmagic): the signatures of the few types a care home shares
are checked here by hand, zip-based office files by reading the archive's
directory (never extracting it), and ``puremagic`` only names what we refuse.
The name's extension must agree with the content, so that a nurse who opens
"protocole.pdf" gets a PDF and nothing else.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise Refused(_("The document contains macros (programs); save it without macros and upload it again."))
    if "mimetype" in names:
        mimetype_member = archive.getinfo("mimetype")
        if mimetype_member.file_size <= 100:
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            for code in ("odt", "ods"):
                if mimetype == KINDS[code].mime:
                    return code
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return ""


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
