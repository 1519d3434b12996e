"""MEDIA_STORAGE=s3: every stored file lives in a bucket, against a real S3 API server on loopback.

moto's server speaks the S3 protocol over HTTP; the storage is configured the way
production configures it (carehub/settings.py read with MEDIA_STORAGE=s3 and the AWS_*
variables), and each test gets a bucket of its own. Nothing may land under MEDIA_ROOT.
"""

from __future__ import annotations

import importlib.util
import io
import os
import secrets
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer
from PIL import Image

from backoffice.gdpr import resident_record_zip
from carehub.models import AccessLog
from directory.models import StaffProfile
from documents import services
from documents.models import Document, DocumentVersion
from documents.tasks import purge_bin
from documents.uploads import CHUNK_SIZE, partial_dir
from tests.directory.factories import jpeg_bytes
from tests.documents.factories import make_document, pdf_bytes, png_bytes, upload
from tests.processes import celery_worker, output

pytestmark = pytest.mark.django_db

SETTINGS_PATH = Path(django_settings.BASE_DIR) / "carehub" / "settings.py"
STORAGE_VARIABLES = (
    "MEDIA_ROOT",
    "UPLOAD_PIECES_DIR",
    "MEDIA_STORAGE",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_LOCATION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)


def load_settings(monkeypatch, **environment):
    """carehub/settings.py executed afresh with these storage variables (and no others of theirs)."""
    for name in STORAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("carehub_settings_storage_probe", SETTINGS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _environment(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "carehub-test",
        "AWS_SECRET_ACCESS_KEY": "carehub-test-secret",
    }


class Bucket:
    """The bucket as the S3 API shows it, read with boto3 beside the application."""

    def __init__(self, endpoint: str, name: str):
        self.name = name
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="carehub-test",
            aws_secret_access_key="carehub-test-secret",
        )
        self.client.create_bucket(Bucket=name)

    def object_names(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def acl_grants(self, key: str) -> list[dict]:
        return self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, media_root):
    """A fresh bucket, and the default storage pointed at it as production settings would."""
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    created = Bucket(s3_endpoint, name)
    loaded = load_settings(monkeypatch, **_environment(s3_endpoint, name))
    settings.STORAGES = {**settings.STORAGES, "default": loaded.STORAGES["default"]}
    yield created
    # Whatever a test did, MEDIA_ROOT stayed empty: the bucket holds every file.
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def _download(client, version) -> bytes:
    response = client.get(reverse("documents:version_download", kwargs={"public_id": version.public_id}))
    assert response.status_code == HTTPStatus.OK
    return b"".join(response.streaming_content)


# --- Configuration ---------------------------------------------------------------------------------


def test_s3_without_a_bucket_is_refused_at_start_up(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=r"\bAWS_STORAGE_BUCKET_NAME\b"):
        load_settings(monkeypatch, MEDIA_STORAGE="s3")


def test_an_unknown_storage_is_refused_with_the_variables_name(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=r"\bMEDIA_STORAGE\b"):
        load_settings(monkeypatch, MEDIA_STORAGE="ftp")


def test_the_filesystem_stays_the_default_with_pieces_next_to_media(monkeypatch):
    loaded = load_settings(monkeypatch, AWS_STORAGE_BUCKET_NAME="unused")
    assert loaded.STORAGES["default"]["BACKEND"] == "carehub.storage.MediaStorage"
    assert loaded.STORAGES["default"]["OPTIONS"]["location"] == str(loaded.VAR_DIR / "media")
    assert loaded.UPLOAD_PIECES_DIR == loaded.VAR_DIR / "upload-pieces"


def test_both_folders_come_from_the_environment(monkeypatch, tmp_path):
    loaded = load_settings(monkeypatch, MEDIA_ROOT=str(tmp_path / "m"), UPLOAD_PIECES_DIR=str(tmp_path / "p"))
    assert loaded.STORAGES["default"]["OPTIONS"]["location"] == str(tmp_path / "m")
    assert str(loaded.UPLOAD_PIECES_DIR) == str(tmp_path / "p")


def test_s3_options_come_from_the_environment_and_keys_from_files(monkeypatch, tmp_path):
    key_file, secret_file = tmp_path / "key", tmp_path / "secret"
    key_file.write_text("AKIAFROMFILE\n", encoding="utf-8")
    secret_file.write_text("secret-from-file\n", encoding="utf-8")
    loaded = load_settings(
        monkeypatch,
        MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="carehub-documents",
        AWS_S3_ENDPOINT_URL="https://s3.gra.io.cloud.ovh.net",
        AWS_S3_REGION_NAME="gra",
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_LOCATION="/ehpad-nord/",
        AWS_ACCESS_KEY_ID_FILE=str(key_file),
        AWS_SECRET_ACCESS_KEY_FILE=str(secret_file),
    )
    storage = loaded.STORAGES["default"]
    assert storage["BACKEND"] == "carehub.storage_s3.MediaS3Storage"
    assert storage["OPTIONS"].pop("transfer_config").use_threads is False  # one part in memory at a time
    assert storage["OPTIONS"] == {
        "bucket_name": "carehub-documents",
        "endpoint_url": "https://s3.gra.io.cloud.ovh.net",
        "region_name": "gra",
        "addressing_style": "path",
        "location": "ehpad-nord",
        "default_acl": "private",
        "querystring_auth": False,
        "file_overwrite": False,
        "max_memory_size": 2 * 1024 * 1024,
        "access_key": "AKIAFROMFILE",
        "secret_key": "secret-from-file",
    }


def test_no_signed_url_is_ever_made(bucket):
    """Files are never public: a URL to the object carries no signature that would open it."""
    name = default_storage.save("documents/zz/probe", io.BytesIO(b"x"))
    url = default_storage.url(name)
    assert "Signature" not in url and "X-Amz" not in url
    grants = bucket.acl_grants(name)
    assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers / AuthenticatedUsers grant


# --- Documents -------------------------------------------------------------------------------------


def test_plain_form_upload_is_stored_in_the_bucket_previewed_and_downloaded(
    bucket, verified_client, coordinator_a, staff_a, folder_a, django_capture_on_commit_callbacks
):
    content = pdf_bytes("Prévention des chutes", "Nuit")
    client = verified_client(coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id}),
            {"files": [upload("Chutes.pdf", content)], "comment": "2026"},
        )
    assert response.status_code == HTTPStatus.FOUND
    version = Document.objects.get(folder=folder_a).current_version
    assert bucket.read(version.file.name) == content
    # The Celery task (eager here) read the object and wrote the thumbnail back to the bucket.
    assert version.preview_status == DocumentVersion.Preview.READY
    assert "chutes" in version.extracted_text
    assert bucket.read(version.thumbnail.name).startswith(b"\x89PNG")
    assert bucket.object_names() == {version.file.name, version.thumbnail.name}

    reader = verified_client(staff_a)
    assert _download(reader, version) == content
    thumbnail = reader.get(reverse("documents:version_thumbnail", kwargs={"public_id": version.public_id}))
    assert b"".join(thumbnail.streaming_content) == bucket.read(version.thumbnail.name)
    assert AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.DOWNLOAD).count() == 1


def test_an_upload_in_pieces_is_saved_into_the_bucket(bucket, verified_client, coordinator_a, folder_a):
    content = pdf_bytes("Projet de soins") + b"%" + b"7" * (CHUNK_SIZE + 4321)
    client = verified_client(coordinator_a)
    upload_id = secrets.token_hex(16)
    for offset in range(0, len(content), CHUNK_SIZE):
        response = client.generic(
            "POST",
            reverse("documents:folder_upload_chunk", kwargs={"public_id": folder_a.public_id}),
            content[offset : offset + CHUNK_SIZE],
            content_type="application/octet-stream",
            HTTP_ACCEPT="application/json",
            HTTP_X_UPLOAD_ID=upload_id,
            HTTP_X_UPLOAD_OFFSET=str(offset),
            HTTP_X_UPLOAD_TOTAL=str(len(content)),
            HTTP_X_UPLOAD_NAME=quote("projet de soins.pdf"),
        )
        assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["results"][0]["ok"] is True
    version = Document.objects.get().current_version
    assert bucket.read(version.file.name) == content
    assert _download(client, version) == content
    assert not list(partial_dir().glob("*.part"))


def test_versions_are_objects_of_their_own_and_each_downloads(bucket, verified_client, coordinator_a, folder_a):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    client = verified_client(coordinator_a)
    response = client.post(
        reverse("documents:document_new_version", kwargs={"public_id": document.public_id}),
        {"file": upload("protocole-v2.pdf", pdf_bytes("v2"))},
    )
    assert response.status_code == HTTPStatus.FOUND
    v1, v2 = document.versions.order_by("number")
    assert v1.file.name != v2.file.name and {v1.file.name, v2.file.name} <= bucket.object_names()
    assert (_download(client, v1), _download(client, v2)) == (pdf_bytes("v1"), pdf_bytes("v2"))


def test_the_bin_purge_deletes_the_objects(bucket, coordinator_a, folder_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        gone = make_document(folder_a, coordinator_a, name="gone.png", content=png_bytes())
        kept = make_document(folder_a, coordinator_a, name="kept.pdf", content=pdf_bytes("kept"))
    gone_version = gone.current_version
    gone_version.refresh_from_db()
    assert gone_version.thumbnail.name in bucket.object_names()
    services.document_bin(document=gone, user=coordinator_a)
    long_ago = timezone.now() - timedelta(days=django_settings.DOCUMENTS_BIN_RETENTION_DAYS + 1)
    Document.objects.filter(pk=gone.pk).update(binned_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_bin.delay().get() == 1
    kept.current_version.refresh_from_db()
    assert bucket.object_names() == {kept.current_version.file.name, kept.current_version.thumbnail.name}


def test_a_missing_object_is_a_404_not_an_error(bucket, verified_client, coordinator_a, folder_a):
    version = make_document(folder_a, coordinator_a).current_version
    bucket.client.delete_object(Bucket=bucket.name, Key=version.file.name)
    response = verified_client(coordinator_a).get(
        reverse("documents:version_download", kwargs={"public_id": version.public_id})
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_x_accel_redirect_is_not_used_for_objects(bucket, settings, verified_client, coordinator_a, folder_a):
    """nginx has no file to send from a bucket: Django streams it, after the same checks."""
    settings.DOCUMENTS_X_ACCEL_REDIRECT = "/protected-media/"
    version = make_document(folder_a, coordinator_a, content=pdf_bytes("accel")).current_version
    response = verified_client(coordinator_a).get(
        reverse("documents:version_download", kwargs={"public_id": version.public_id})
    )
    assert "X-Accel-Redirect" not in response.headers
    assert b"".join(response.streaming_content) == pdf_bytes("accel")


def test_the_gdpr_archive_holds_the_documents_from_the_bucket(bucket, coordinator_a, resident_folder_a, resident_a):
    make_document(resident_folder_a, coordinator_a, name="PAP.pdf", content=pdf_bytes("PAP 2026"))
    archive = zipfile.ZipFile(resident_record_zip(resident=resident_a))
    contents = [archive.read(n) for n in archive.namelist() if n.startswith("documents/")]
    assert contents == [pdf_bytes("PAP 2026")]
    assert not [n for n in archive.namelist() if n.endswith(".missing.txt")]


def test_a_staff_photo_is_stored_in_the_bucket_and_served(bucket, verified_client, staff_a, staff_b):
    response = verified_client(staff_a).post(
        reverse("directory:profile_edit"),
        {
            "phone_extension": "",
            "mobile": "",
            "mobile_visibility": "site",
            "photo": SimpleUploadedFile("me.jpg", jpeg_bytes((800, 600)), "image/jpeg"),
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    photo = StaffProfile.objects.get(user=staff_a).photo
    assert photo.name in bucket.object_names()
    served = verified_client(staff_b).get(reverse("directory:profile_photo", args=[staff_a.public_id]))
    body = b"".join(served.streaming_content)
    assert body == bucket.read(photo.name)
    assert Image.open(io.BytesIO(body)).format == "JPEG"


# --- Several processes, one storage -----------------------------------------------------------------


def _process_environment(endpoint: str, bucket_name: str, **extra) -> dict[str, str]:
    return {
        **os.environ,
        **_environment(endpoint, bucket_name),
        "DJANGO_SETTINGS_MODULE": "carehub.settings",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def test_another_process_sees_the_same_objects(bucket, s3_endpoint, verified_client, coordinator_a, folder_a):
    """A second node, configured only by the environment, reads what this one stored and stores for it."""
    version = make_document(folder_a, coordinator_a, content=pdf_bytes("vu par le nœud B")).current_version
    script = (
        "import sys, django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import default_storage\n"
        "with default_storage.open(sys.argv[1], 'rb') as f: data = f.read()\n"
        "print(default_storage.save('documents/zz/from-node-b', ContentFile(data[::-1])))\n"
    )
    node_b = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, version.file.name],
        cwd=django_settings.BASE_DIR,
        env=_process_environment(s3_endpoint, bucket.name),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    name = node_b.stdout.strip().splitlines()[-1]
    with default_storage.open(name, "rb") as written:
        assert written.read() == pdf_bytes("vu par le nœud B")[::-1]


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_previews_from_the_bucket(bucket, s3_endpoint, coordinator_a, folder_a):
    """The worker is another process with the same environment: it reads the object, writes the thumbnail."""
    env = _process_environment(
        s3_endpoint, bucket.name, MEDIA_ROOT=str(Path(django_settings.MEDIA_ROOT) / "unused-by-the-worker")
    )
    with celery_worker(env=env) as worker:
        document = make_document(folder_a, coordinator_a, content=pdf_bytes("Hydratation : proposer à boire"))
        version = DocumentVersion.objects.get(pk=document.current_version_id)
        deadline = time.monotonic() + 60
        while version.preview_status == DocumentVersion.Preview.PENDING and time.monotonic() < deadline:
            time.sleep(0.5)
            version.refresh_from_db()
        assert version.preview_status == DocumentVersion.Preview.READY, output(worker)
        assert "Hydratation" in version.extracted_text
        assert bucket.read(version.thumbnail.name).startswith(b"\x89PNG")
