"""Several web nodes and workers, one set of files: a shared MEDIA_ROOT and a shared pieces folder.

Each "node" here is a real second process, configured by the environment alone,
working on the same folders as the test process; stale pieces are cleaned by the
worker's purge and by every web process as uploads start.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage

from documents import uploads
from documents.models import Document
from documents.tasks import purge_bin
from documents.uploads import CHUNK_SIZE, PARTIAL_CLEAN_INTERVAL, PARTIAL_MAX_AGE, partial_dir, partial_path
from tests.documents.factories import make_document, pdf_bytes
from tests.documents.pieces import send_piece

pytestmark = pytest.mark.django_db


def _abandoned_piece(user_pk: int, *, age: float) -> Path:
    """The pieces of an upload nobody finished, last written ``age`` seconds ago."""
    path = partial_path(user_pk, secrets.token_hex(16))
    path.write_bytes(b"%PDF-1.7 half a file")
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def _node_environment(**variables) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "carehub.settings", "LOG_LEVEL": "WARNING", **variables}


def _run_node(script: str, *args: str, env: dict[str, str], stdin: bytes = b"") -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", "import sys, django; django.setup()\n" + script, *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=True,
    )
    return done.stdout.decode().strip().splitlines()[-1]


# --- Where the pieces wait ------------------------------------------------------------------------


def test_pieces_wait_in_the_configured_folder(settings, tmp_path, verified_client, coordinator_a, folder_a):
    settings.UPLOAD_PIECES_DIR = tmp_path / "shared" / "pieces"
    content = pdf_bytes("Consignes") + b"%" + b"1" * CHUNK_SIZE
    client = verified_client(coordinator_a)
    upload_id = secrets.token_hex(16)
    response = send_piece(client, folder_a, content[:CHUNK_SIZE], upload_id=upload_id, offset=0, total=len(content))
    assert response.json()["offset"] == CHUNK_SIZE
    (piece,) = (tmp_path / "shared" / "pieces").glob("*.part")
    assert piece.name == f"{coordinator_a.pk}-{upload_id}.part"
    assert piece.stat().st_size == CHUNK_SIZE


# --- Stale pieces, wherever they are ---------------------------------------------------------------


def test_the_bin_purge_removes_pieces_abandoned_for_a_day(coordinator_a):
    stale = _abandoned_piece(coordinator_a.pk, age=PARTIAL_MAX_AGE + 60)
    recent = _abandoned_piece(coordinator_a.pk, age=600)  # an upload still going on
    assert purge_bin.delay().get() == 0  # no document was due; the pieces are cleaned all the same
    assert not stale.exists()
    assert recent.exists()


def test_each_web_node_cleans_its_folder_when_an_upload_starts_at_most_hourly(
    monkeypatch, verified_client, coordinator_a, folder_a
):
    """A node-local folder is never seen by the worker's purge: the node cleans it itself."""
    monkeypatch.setattr(uploads, "_last_clean", None)  # a process that has not cleaned yet
    stale = _abandoned_piece(coordinator_a.pk, age=PARTIAL_MAX_AGE + 60)
    recent = _abandoned_piece(coordinator_a.pk, age=600)
    client = verified_client(coordinator_a)

    def start_an_upload():
        content = secrets.token_hex(8).encode() + b" transmissions de nuit\n" * 1000
        response = send_piece(
            client, folder_a, content, upload_id=secrets.token_hex(16), offset=0, total=len(content), name="n.txt"
        )
        assert response.json()["results"][0]["ok"] is True

    start_an_upload()
    assert not stale.exists()
    assert recent.exists()

    # Within the hour, starting uploads does not scan the folder again.
    later = _abandoned_piece(coordinator_a.pk, age=PARTIAL_MAX_AGE + 60)
    start_an_upload()
    assert later.exists()

    # An hour on, the next upload cleans again.
    monkeypatch.setattr(uploads, "_last_clean", time.monotonic() - PARTIAL_CLEAN_INTERVAL - 1)
    start_an_upload()
    assert not later.exists()
    assert recent.exists()


def test_a_later_piece_does_not_scan_the_folder(monkeypatch, verified_client, coordinator_a, folder_a):
    monkeypatch.setattr(uploads, "_last_clean", None)
    content = pdf_bytes("Suite") + b"%" + b"2" * CHUNK_SIZE
    client = verified_client(coordinator_a)
    upload_id = secrets.token_hex(16)
    send_piece(client, folder_a, content[:CHUNK_SIZE], upload_id=upload_id, offset=0, total=len(content))
    stale = _abandoned_piece(coordinator_a.pk, age=PARTIAL_MAX_AGE + 60)
    monkeypatch.setattr(uploads, "_last_clean", None)
    last = send_piece(
        client, folder_a, content[CHUNK_SIZE:], upload_id=upload_id, offset=CHUNK_SIZE, total=len(content)
    )
    assert last.json()["results"][0]["ok"] is True
    assert stale.exists()  # only the first piece of an upload triggers the clean


# --- Two processes, one set of folders ------------------------------------------------------------


def test_pieces_of_one_upload_may_reach_two_nodes(settings, tmp_path, verified_client, coordinator_a, folder_a):
    """Node A (another process) receives the first piece, this node the last one: one document."""
    shared = tmp_path / "nfs" / "upload-pieces"
    settings.UPLOAD_PIECES_DIR = shared
    content = pdf_bytes("Plan de soins") + b"%" + b"3" * (CHUNK_SIZE + 999)
    upload_id = secrets.token_hex(16)
    script = (
        "from documents.uploads import append_chunk, partial_path\n"
        "path = partial_path(int(sys.argv[1]), sys.argv[2])\n"
        "print(append_chunk(path, sys.stdin.buffer, offset=0, length=int(sys.argv[3]), total=int(sys.argv[4])))\n"
    )
    offset = _run_node(
        script,
        str(coordinator_a.pk),
        upload_id,
        str(CHUNK_SIZE),
        str(len(content)),
        env=_node_environment(UPLOAD_PIECES_DIR=str(shared)),
        stdin=content[:CHUNK_SIZE],
    )
    assert int(offset) == CHUNK_SIZE
    response = send_piece(
        verified_client(coordinator_a),
        folder_a,
        content[CHUNK_SIZE:],
        upload_id=upload_id,
        offset=CHUNK_SIZE,
        total=len(content),
    )
    assert response.status_code == HTTPStatus.OK, response.content
    version = Document.objects.get().current_version
    with default_storage.open(version.file.name, "rb") as stored:
        assert stored.read() == content
    assert not list(shared.glob("*.part"))


def test_a_shared_media_root_is_one_set_of_files_for_every_process(media_root, coordinator_a, folder_a):
    """A second process with the same MEDIA_ROOT (an NFS mount in production) reads and writes the same files."""
    version = make_document(folder_a, coordinator_a, content=pdf_bytes("Un seul dossier partagé")).current_version
    script = (
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import default_storage\n"
        "with default_storage.open(sys.argv[1], 'rb') as f: data = f.read()\n"
        "print(default_storage.save('previews/zz/from-the-worker.png', ContentFile(data[:64])))\n"
    )
    name = _run_node(script, version.file.name, env=_node_environment(MEDIA_ROOT=str(media_root)))
    with default_storage.open(name, "rb") as written:
        assert written.read() == pdf_bytes("Un seul dossier partagé")[:64]
    assert partial_dir() != media_root  # pieces and finished files are separate folders
