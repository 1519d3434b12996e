"""Pictures shared as documents or message files lose their metadata, the pixels untouched.

A phone writes where a photo was taken (EXIF GPS, XMP) into the file: a picture of a wound sent
from a relative's home, or of a resident on an outing, would give the place away to whoever
downloads it. People's photos are re-encoded by ``directory.photos``; a shared picture keeps its
exact pixels (a scan, a chart), so only its metadata blocks are dropped here, losslessly. A JPEG
keeps its EXIF orientation (a fresh block holding nothing else), so that it still shows upright.
"""

from __future__ import annotations

import struct

from PIL import Image

ORIENTATION = 0x0112
#: PNG chunks that carry text or EXIF (XMP rides in iTXt): none is needed to show the picture.
PNG_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
#: WebP chunks of metadata, and the VP8X flags that announce them (EXIF 0x08, XMP 0x04).
WEBP_METADATA = {b"EXIF": 0x08, b"XMP ": 0x04}


def strip_metadata(data: bytes, kind: str) -> bytes:
    """``data`` without its metadata blocks; unchanged when the layout is not the one expected
    (the content check already refused what is not a picture)."""
    try:
        if kind == "jpeg":
            return _jpeg(data)
        if kind == "png":
            return _png(data)
        if kind == "webp":
            return _webp(data)
    except (struct.error, ValueError, IndexError):
        return data
    return data


def _orientation_block(segment: bytes) -> bytes:
    """A fresh APP1 holding only the orientation of the EXIF block ``segment``, or nothing."""
    exif = Image.Exif()
    exif.load(segment[6:])
    orientation = exif.get(ORIENTATION)
    if orientation in (None, 1):
        return b""
    fresh = Image.Exif()
    fresh[ORIENTATION] = orientation
    payload = fresh.tobytes()
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        return data
    out, position = [b"\xff\xd8"], 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError("not a marker")
        marker = data[position + 1]
        if marker == 0xDA:  # start of scan: the image data follows, no more metadata
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segment = data[position + 4 : position + 2 + length]
        whole = data[position : position + 2 + length]
        if marker == 0xE1 and segment.startswith(b"Exif\0\0"):
            out.append(_orientation_block(segment))
        elif marker in (0xE1, 0xED, 0xFE):
            pass  # XMP, Photoshop/IPTC (both may hold a place), comments
        else:
            out.append(whole)
        position += 2 + length
    out.append(data[position:])
    return b"".join(out)


def _png(data: bytes) -> bytes:
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        return data
    out, position = [signature], len(signature)
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if kind not in PNG_METADATA:
            out.append(data[position:end])
        position = end
        if kind == b"IEND":
            break
    return b"".join(out)


def _webp(data: bytes) -> bytes:
    if not (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        return data
    chunks, position, cleared = [], 12, 0
    while position + 8 <= len(data):
        kind = data[position : position + 4]
        (length,) = struct.unpack("<I", data[position + 4 : position + 8])
        end = position + 8 + length + (length & 1)
        if kind in WEBP_METADATA:
            cleared |= WEBP_METADATA[kind]
        else:
            chunks.append(bytearray(data[position:end]))
        position = end
    for chunk in chunks:
        if chunk[:4] == b"VP8X":
            chunk[8] &= ~cleared & 0xFF
    body = b"WEBP" + b"".join(bytes(c) for c in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
