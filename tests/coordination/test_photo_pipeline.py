"""One photo pipeline for every upload path: a resident's photo given in the admin loses its EXIF
GPS position and is re-encoded, as a staff member's own profile photo already was."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.directory.factories import jpeg_bytes
from tests.messaging.factories import ResidentFactory

pytestmark = pytest.mark.django_db
GPS_IFD = 0x8825


def _form_data(page) -> dict:
    """What the admin's change page sends as it stands: its form's values and every inline's management form."""
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or name == "photo":
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
    return {k: v for k, v in data.items() if v != ""}


@pytest.fixture
def resident(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, room="12")


def _upload_in_admin(client, resident):
    url = reverse("admin:coordination_resident_change", args=[resident.pk])
    data = _form_data(client.get(url))
    data["photo"] = SimpleUploadedFile("IMG_0042.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    resident.refresh_from_db()
    return Image.open(io.BytesIO(resident.photo.read()))


def test_a_resident_photo_from_the_admin_keeps_no_gps_position(coordinator_a, resident, verified_client, media_root):
    image = _upload_in_admin(verified_client(coordinator_a), resident)
    assert GPS_IFD not in image.getexif()


def test_a_resident_photo_from_the_admin_keeps_no_metadata_at_all(coordinator_a, resident, verified_client, media_root):
    image = _upload_in_admin(verified_client(coordinator_a), resident)
    assert dict(image.getexif()) == {}


def test_a_resident_photo_from_the_admin_is_turned_upright(coordinator_a, resident, verified_client, media_root):
    # The phone said "rotate 90°" in its EXIF block: the stored photo is upright, 900 wide.
    image = _upload_in_admin(verified_client(coordinator_a), resident)
    assert image.size[0] < image.size[1]


def test_a_renamed_document_is_refused_as_a_photo(coordinator_a, resident, verified_client, media_root):
    client = verified_client(coordinator_a)
    url = reverse("admin:coordination_resident_change", args=[resident.pk])
    data = _form_data(client.get(url))
    data["photo"] = SimpleUploadedFile("photo.jpg", b"%PDF-1.7 not an image", content_type="image/jpeg")
    response = client.post(url, data)
    assert (response.status_code, bool(response.context["adminform"].form.errors["photo"])) == (400, True)
