"""Virus scanning behind one small interface; ClamAV (clamd) when configured, nothing otherwise.

With ``DOCUMENTS_CLAMD_URL`` unset, no scanner exists and the upload page says
that files are not scanned: we never claim a check we do not make. With it
set, a file is stored only after clamd answered "OK"; if clamd cannot be
reached the upload is refused (fail closed) and the person may try again.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

from django.conf import settings

CHUNK = 64 * 1024


class ScanUnavailable(Exception):
    """The scanner could not give an answer."""


@dataclass(frozen=True)
class ScanResult:
    infected: bool
    signature: str = ""


class Scanner(Protocol):
    name: str

    def scan(self, fileobj: BinaryIO) -> ScanResult: ...


class ClamdScanner:
    """The clamd INSTREAM protocol over TCP or a Unix socket (no extra package)."""

    name = "ClamAV"

    def __init__(self, url: str, timeout: float):
        self.url = url
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(parts.path)
        else:
            sock = socket.create_connection((parts.hostname, parts.port or 3310), timeout=self.timeout)
        return sock

    def scan(self, fileobj: BinaryIO) -> ScanResult:
        fileobj.seek(0)
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                while chunk := fileobj.read(CHUNK):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    data = sock.recv(4096)
                    if not data:
                        break
                    reply += data
        except OSError as exc:
            raise ScanUnavailable(str(exc)) from exc
        finally:
            fileobj.seek(0)
        answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
        # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
        if answer.endswith(" OK"):
            return ScanResult(infected=False)
        if answer.endswith(" FOUND"):
            return ScanResult(infected=True, signature=answer.removeprefix("stream:").removesuffix("FOUND").strip())
        raise ScanUnavailable(answer or "empty answer from clamd")


def get_scanner() -> Scanner | None:
    if not settings.DOCUMENTS_CLAMD_URL:
        return None
    return ClamdScanner(settings.DOCUMENTS_CLAMD_URL, settings.DOCUMENTS_CLAMD_TIMEOUT)
