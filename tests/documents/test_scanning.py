"""Virus scanning: the clamd client over a real socket, and what uploads do with its answers.

No ClamAV daemon can be installed here (its signature database is downloaded at
run time), so a small TCP server speaks the clamd INSTREAM protocol byte for
byte: length-prefixed chunks, a zero-length terminator, a NUL-terminated reply.
"""

import socket
import struct
import threading
from http import HTTPStatus

import pytest
from django.urls import reverse

from documents.models import Document, DocumentVersion
from documents.scanning import ClamdScanner, ScanUnavailable
from tests.documents.factories import pdf_bytes, upload

pytestmark = pytest.mark.django_db

EICAR_MARK = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"


class FakeClamd:
    """Answers like clamd: FOUND when the stream holds the EICAR marker, OK otherwise."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_exact(self, conn, size):
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def _serve(self):
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += conn.recv(1)
                assert command == b"zINSTREAM\0"
                stream = b""
                while True:
                    (length,) = struct.unpack("!L", self._read_exact(conn, 4))
                    if length == 0:
                        break
                    stream += self._read_exact(conn, length)
                self.received.append(stream)
                answer = b"stream: Eicar-Test-Signature FOUND\0" if EICAR_MARK in stream else b"stream: OK\0"
                conn.sendall(answer)

    def close(self):
        self.server.close()


@pytest.fixture
def clamd(settings):
    server = FakeClamd()
    settings.DOCUMENTS_CLAMD_URL = f"tcp://127.0.0.1:{server.port}"
    yield server
    server.close()


def test_clean_file_is_scanned_and_marked(clamd, verified_client, coordinator_a, folder_a):
    content = pdf_bytes("propre") + b"%" + b"x" * 200_000  # several INSTREAM chunks
    response = verified_client(coordinator_a).post(
        reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id}),
        {"files": [upload("ok.pdf", content)]},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert clamd.received == [content]
    assert DocumentVersion.objects.get().scan_status == DocumentVersion.Scan.CLEAN


def test_infected_file_is_refused_with_the_signature(clamd, verified_client, coordinator_a, folder_a):
    content = pdf_bytes("x") + b"%" + EICAR_MARK
    response = verified_client(coordinator_a).post(
        reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id}),
        {"files": [upload("virus.pdf", content)]},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Eicar-Test-Signature" in response.content.decode()
    assert not Document.objects.exists()


def test_unreachable_scanner_refuses_upload(settings, verified_client, coordinator_a, folder_a):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DOCUMENTS_CLAMD_URL = f"tcp://127.0.0.1:{port}"
    response = verified_client(coordinator_a).post(
        reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id}),
        {"files": [upload("ok.pdf", pdf_bytes())]},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "could not be checked for viruses" in response.content.decode()
    assert not Document.objects.exists()


def test_upload_page_names_the_scanner_when_configured(clamd, verified_client, coordinator_a, folder_a):
    content = (
        verified_client(coordinator_a)
        .get(reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id}))
        .content.decode()
    )
    assert "Scanned for viruses by ClamAV" in content
    assert "No virus scanning" not in content


def test_without_scanner_versions_say_not_scanned(coordinator_a, folder_a):
    from tests.documents.factories import make_document

    assert make_document(folder_a, coordinator_a).current_version.scan_status == DocumentVersion.Scan.NOT_SCANNED


def test_garbled_answer_is_unavailable():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"INSTREAM size limit exceeded. ERROR\0")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    import io

    with pytest.raises(ScanUnavailable):
        ClamdScanner(f"tcp://127.0.0.1:{port}", 5).scan(io.BytesIO(b"data"))
    server.close()
