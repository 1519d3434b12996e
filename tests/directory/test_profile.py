"""Profile pages, own profile editing, photos, and who sees a private mobile number."""

import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from directory.models import Job, StaffProfile
from directory.selectors import site_leads
from tests.directory.factories import jpeg_bytes
from tests.factories import AssignmentFactory, SiteFactory, make_staff

MOBILE = "06 12 34 56 78"


@pytest.fixture(autouse=True)
def _media_in_memory(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def _set_mobile(user, visibility=StaffProfile.MobileVisibility.SITE):
    profile = user.staff_profile
    profile.mobile = MOBILE
    profile.mobile_visibility = visibility
    profile.save()
    return profile


def _profile_url(user):
    return reverse("directory:profile", args=[user.public_id])


# --- Profile page ---------------------------------------------------------------------------
def test_profile_shows_contact_assignments_languages_and_site_leads(verified_client, staff_a, staff_b, site_a):
    director = make_staff(site_a, job=Job.SITE_DIRECTOR, coordinator=True, first_name="Didier", last_name="Dir")
    idec = make_staff(site_a, job=Job.NURSE_COORDINATOR, coordinator=True, first_name="Isabelle", last_name="Idec")
    profile = staff_a.staff_profile
    profile.languages = ["fr", "pt"]
    profile.save()
    response = verified_client(staff_b).get(_profile_url(staff_a))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Hélène Lefèvre" in html and "Les Lilas" in html and site_a.name in html
    assert "mailto:aide.a@carehub.test" in html
    assert "ortugais" in html or "ortuguese" in html
    assert html.index("Didier Dir") < html.index("Isabelle Idec")  # director first, then IDEC
    assert [u.pk for u in site_leads(site=site_a)] == [director.pk, idec.pk]


def test_profile_of_unknown_or_departed_person_is_404(verified_client, staff_a, site_a):
    import uuid

    from django.utils import timezone

    client = verified_client(staff_a)
    assert client.get(reverse("directory:profile", args=[uuid.uuid4()])).status_code == HTTPStatus.NOT_FOUND
    gone = make_staff(site_a, email="gone@t.test")
    gone.assignments.update(end_date=timezone.localdate() - timezone.timedelta(days=2))
    assert client.get(_profile_url(gone)).status_code == HTTPStatus.NOT_FOUND


def test_family_cannot_open_a_profile(verified_client, family_user, staff_a):
    assert verified_client(family_user).get(_profile_url(staff_a)).status_code == HTTPStatus.NOT_FOUND


# --- Mobile visibility -------------------------------------------------------------------------
def test_private_mobile_shown_to_colleagues_of_the_same_site_only(verified_client, staff_a, staff_b, site_a):
    _set_mobile(staff_a)
    colleague = make_staff(site_a, email="colleague@t.test")
    assert MOBILE in verified_client(colleague).get(_profile_url(staff_a)).content.decode()
    assert MOBILE in verified_client(staff_a).get(_profile_url(staff_a)).content.decode()
    other_site = verified_client(staff_b).get(_profile_url(staff_a)).content.decode()
    assert MOBILE not in other_site and "0612345678" not in other_site
    # Nor in the results list, nor in the exports.
    client_b = verified_client(staff_b)
    assert MOBILE not in client_b.get("/directory/", {"q": "helene"}).content.decode()
    assert MOBILE not in client_b.get(reverse("directory:profile_vcard", args=[staff_a.public_id])).content.decode()
    assert MOBILE in verified_client(colleague).get("/directory/", {"q": "helene"}).content.decode()


def test_group_wide_mobile_when_the_person_opts_in(verified_client, staff_a, staff_b):
    _set_mobile(staff_a, StaffProfile.MobileVisibility.GROUP)
    assert MOBILE in verified_client(staff_b).get(_profile_url(staff_a)).content.decode()


def test_colleague_of_a_second_site_sees_the_mobile(verified_client, staff_a, staff_b, site_a):
    _set_mobile(staff_a)
    AssignmentFactory(user=staff_b, site=site_a, is_primary=False)
    assert MOBILE in verified_client(staff_b).get(_profile_url(staff_a)).content.decode()


def test_group_admin_sees_mobiles_of_every_site(verified_client, staff_a, group_admin):
    _set_mobile(staff_a)
    assert MOBILE in verified_client(group_admin).get(_profile_url(staff_a)).content.decode()


# --- Own profile ---------------------------------------------------------------------------------
def test_staff_edit_their_own_contact_fields(verified_client, staff_a):
    client = verified_client(staff_a)
    assert client.get(reverse("directory:profile_edit")).status_code == HTTPStatus.OK
    response = client.post(
        reverse("directory:profile_edit"),
        {
            "phone_extension": "30 12",
            "mobile": "+33 6 11 22 33 44",
            "mobile_visibility": "group",
            "languages": ["pt", "fr"],
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == _profile_url(staff_a)
    profile = StaffProfile.objects.get(user=staff_a)
    assert (profile.phone_extension, profile.mobile, profile.mobile_visibility) == (
        "30 12",
        "+33 6 11 22 33 44",
        "group",
    )
    assert profile.languages == ["fr", "pt"]
    assert " 3012 " in profile.search_document and " portugais " in profile.search_document


def test_bad_contact_fields_get_clear_errors_and_keep_the_typing(verified_client, staff_a):
    response = verified_client(staff_a).post(
        reverse("directory:profile_edit"),
        {"phone_extension": "abc", "mobile": "call me", "mobile_visibility": "world", "languages": ["xx"]},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert html.count('class="errorlist') >= 4
    assert 'value="call me"' in html
    profile = StaffProfile.objects.get(user=staff_a)
    assert profile.mobile == "" and profile.phone_extension != "abc"


def test_edit_page_creates_a_missing_profile(verified_client, site_a):
    user = make_staff(site_a, email="noprofile@t.test")
    StaffProfile.objects.filter(user=user).delete()
    assert verified_client(user).get(reverse("directory:profile_edit")).status_code == HTTPStatus.OK
    assert StaffProfile.objects.filter(user=user).exists()


def test_family_cannot_edit_a_profile(verified_client, family_user):
    assert verified_client(family_user).get(reverse("directory:profile_edit")).status_code == HTTPStatus.FORBIDDEN
    assert not StaffProfile.objects.filter(user=family_user).exists()


# --- Photos --------------------------------------------------------------------------------------
def _upload(client, content, name="photo.jpg", content_type="image/jpeg", **extra):
    data = {
        "phone_extension": "",
        "mobile": "",
        "mobile_visibility": "site",
        "photo": SimpleUploadedFile(name, content, content_type),
    }
    data.update(extra)
    return client.post(reverse("directory:profile_edit"), data)


def test_photo_is_resized_and_stripped_of_metadata(verified_client, staff_a, staff_b, settings):
    settings.DIRECTORY_PHOTO_SIZE = 300
    response = _upload(verified_client(staff_a), jpeg_bytes((1200, 900)))
    assert response.status_code == HTTPStatus.FOUND
    profile = StaffProfile.objects.get(user=staff_a)
    assert profile.photo.name.startswith("staff-photos/") and profile.photo.name.endswith(".jpg")
    served = verified_client(staff_b).get(reverse("directory:profile_photo", args=[staff_a.public_id]))
    assert served.status_code == HTTPStatus.OK
    assert served["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert max(image.size) == 300
    assert image.size == (225, 300)  # the EXIF orientation was applied before it was dropped
    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info


def test_png_is_accepted_and_stored_as_jpeg(verified_client, staff_a):
    out = io.BytesIO()
    Image.new("RGBA", (64, 64), (0, 0, 255, 128)).save(out, "PNG")
    assert _upload(verified_client(staff_a), out.getvalue(), name="me.png", content_type="image/png").status_code == 302
    assert StaffProfile.objects.get(user=staff_a).photo.name.endswith(".jpg")


def test_non_image_renamed_jpg_is_refused_and_nothing_is_lost(verified_client, staff_a):
    client = verified_client(staff_a)
    _upload(client, jpeg_bytes((100, 100)))
    before = StaffProfile.objects.get(user=staff_a)
    response = _upload(client, b"%PDF-1.7\n1 0 obj <<>> endobj\n", name="holiday.jpg", mobile="06 99 99 99 99")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert 'class="errorlist' in html
    assert "image" in html.lower()
    after = StaffProfile.objects.get(user=staff_a)
    assert after.photo.name == before.photo.name  # the previous photo stays
    assert after.mobile == ""  # nothing half-saved
    assert 'value="06 99 99 99 99"' in html  # what was typed is still in the form


def test_truncated_image_is_refused(verified_client, staff_a):
    response = _upload(verified_client(staff_a), jpeg_bytes((400, 400))[:600])
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StaffProfile.objects.get(user=staff_a).photo


def test_oversized_file_is_refused_with_the_limit(verified_client, staff_a, settings):
    settings.DIRECTORY_PHOTO_MAX_BYTES = 50_000
    big = jpeg_bytes((2500, 2500), exif=False, color=(10, 10, 10))
    noisy = Image.effect_noise((1500, 1500), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=95)
    big = out.getvalue()
    assert len(big) > 50_000
    response = _upload(verified_client(staff_a), big)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "48,8" in html or "48.8" in html or "KB" in html or "Ko" in html
    assert not StaffProfile.objects.get(user=staff_a).photo


def test_image_with_too_many_pixels_is_refused(verified_client, staff_a):
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # a tiny file that decodes to 81 megapixels
    assert len(out.getvalue()) < 200_000
    response = _upload(verified_client(staff_a), out.getvalue(), name="big.png", content_type="image/png")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "9000" in response.content.decode().replace("\u202f", "").replace(" ", "")
    assert not StaffProfile.objects.get(user=staff_a).photo


def test_photo_can_be_removed(verified_client, staff_a):
    client = verified_client(staff_a)
    _upload(client, jpeg_bytes((100, 100)))
    response = client.post(reverse("directory:profile_edit"), {"mobile_visibility": "site", "remove_photo": "on"})
    assert response.status_code == HTTPStatus.FOUND
    assert not StaffProfile.objects.get(user=staff_a).photo
    assert client.get(reverse("directory:profile_photo", args=[staff_a.public_id])).status_code == 404


def test_photo_is_private_to_staff(verified_client, client, staff_a, family_user):
    _upload(verified_client(staff_a), jpeg_bytes((100, 100)))
    url = reverse("directory:profile_photo", args=[staff_a.public_id])
    assert verified_client(family_user).get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.get(url).status_code == HTTPStatus.FOUND  # anonymous: to the sign-in page


def test_head_office_staff_are_listed_once_assigned_to_the_head_office(verified_client, staff_a, group_admin):
    from directory.models import Site

    client = verified_client(staff_a)
    assert client.get(_profile_url(group_admin)).status_code == HTTPStatus.NOT_FOUND
    head_office = SiteFactory(name="Siège", kind=Site.Kind.HEAD_OFFICE)
    AssignmentFactory(user=group_admin, site=head_office)
    response = client.get(_profile_url(group_admin))
    assert response.status_code == HTTPStatus.OK
    assert "Siège" in response.content.decode()
    # A group admin reaches the directory with or without an assignment.
    assert verified_client(group_admin).get(reverse("directory:search")).status_code == HTTPStatus.OK


def test_site_leads_ignore_other_sites_and_leavers(site_a):
    from django.utils import timezone

    other = SiteFactory(name="Ailleurs")
    make_staff(other, job=Job.SITE_DIRECTOR, coordinator=True, email="dir.other@t.test")
    gone = make_staff(site_a, job=Job.COORDINATING_DOCTOR, coordinator=True, email="doc.gone@t.test")
    gone.assignments.update(end_date=timezone.localdate() - timezone.timedelta(days=1))
    doctor = make_staff(site_a, job=Job.COORDINATING_DOCTOR, coordinator=True, email="doc@t.test")
    idec = make_staff(site_a, job=Job.NURSE_COORDINATOR, coordinator=True, email="idec@t.test")
    make_staff(site_a, job=Job.NURSE, email="nurse@t.test")
    assert [u.pk for u in site_leads(site=site_a)] == [idec.pk, doctor.pk]
