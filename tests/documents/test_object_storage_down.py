"""The bucket unreachable (its S3 server stopped, for real): an upload answers a translated 503 with
Retry-After, and no document row is kept."""

from __future__ import annotations

import secrets
import uuid
from http import HTTPStatus

import pytest
from moto.server import ThreadedMotoServer

from documents.models import Document
from tests.documents.factories import pdf_bytes
from tests.documents.pieces import send_piece
from tests.documents.test_object_storage import Bucket, _environment, load_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def stopped_bucket(settings, monkeypatch):
    """The default storage points at a bucket whose server has just stopped."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint, name = f"http://{host}:{port}", f"carehub-{uuid.uuid4().hex[:12]}"
    Bucket(endpoint, name)
    loaded = load_settings(monkeypatch, **_environment(endpoint, name))
    options = {**loaded.STORAGES["default"]["OPTIONS"], "client_config": _no_retries()}
    settings.STORAGES = {**settings.STORAGES, "default": {**loaded.STORAGES["default"], "OPTIONS": options}}
    server.stop()


def _no_retries():
    from botocore.config import Config

    # Fewer retries than production's default: the answer is the same, sooner.
    return Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=2)


def test_an_upload_to_an_unreachable_bucket_answers_503_as_json(
    verified_client, coordinator_a, folder_a, stopped_bucket
):
    content = pdf_bytes("Protocole")
    response = send_piece(
        verified_client(coordinator_a), folder_a, content, upload_id=secrets.token_hex(16), offset=0, total=len(content)
    )
    assert (response.status_code, response["Retry-After"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "300")


def test_an_upload_to_an_unreachable_bucket_keeps_no_document(verified_client, coordinator_a, folder_a, stopped_bucket):
    content = pdf_bytes("Protocole")
    send_piece(
        verified_client(coordinator_a), folder_a, content, upload_id=secrets.token_hex(16), offset=0, total=len(content)
    )
    assert Document.objects.count() == 0
