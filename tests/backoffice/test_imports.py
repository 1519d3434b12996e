"""CSV imports of staff and residents: upload, dry run with row errors, apply; idempotent on the external id."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination.models import Resident
from directory.models import Assignment, StaffProfile

User = get_user_model()

STAFF_URL = reverse("backoffice:import_upload", args=["staff"])
STAFF_APPLY = reverse("backoffice:import_apply", args=["staff"])
RESIDENTS_URL = reverse("backoffice:import_upload", args=["residents"])
RESIDENTS_APPLY = reverse("backoffice:import_apply", args=["residents"])


def _upload(client, url, text, name="export.csv", encoding="utf-8"):
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")})


def _staff_csv(site, unit, *, extra_rows=""):
    return (
        "Matricule;Nom;Prénom;Email;Fonction;Établissement;Unité;Date entrée\n"
        f"RH-1;Durand;Léa;lea.durand@carehub.test;IDE;{site.name};{unit.name};01/09/2026\n"
        f"RH-2;Petit;Hugo;hugo.petit@carehub.test;aide-soignant;{site.name};;\n" + extra_rows
    )


def test_staff_import_previews_then_applies_and_is_idempotent(
    coordinator_a, site_a, unit_a, site_b, verified_client, django_capture_on_commit_callbacks
):
    client = verified_client(coordinator_a)
    bad = (
        f"RH-3;Roux;Anne;not-an-email;IDE;{site_a.name};;\n"
        f"RH-4;Blanc;Luc;luc.blanc@carehub.test;IDE;{site_b.name};;\n"
        f"RH-5;Noir;Eve;eve.noir@carehub.test;sorcier;{site_a.name};Inconnue;31/02/2026\n"
        f"RH-1;Double;Ligne;double@carehub.test;IDE;{site_a.name};;\n"
    )
    preview = _upload(client, STAFF_URL, _staff_csv(site_a, unit_a, extra_rows=bad))
    assert preview.status_code == HTTPStatus.OK
    plan = preview.context["plan"]
    assert plan.summary == {"create": 2, "update": 0, "unchanged": 0, "errors": 4}
    errors = {row.line: " ".join(row.errors) for row in plan.error_rows}
    assert "not-an-email" in errors[4]
    assert site_b.name in errors[5]  # not one of the coordinator's sites
    assert "sorcier" in errors[6] and "Inconnue" in errors[6] and "31/02/2026" in errors[6]
    assert "RH-1" in errors[7]
    assert not User.objects.filter(email="lea.durand@carehub.test").exists()  # dry run wrote nothing

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(STAFF_APPLY, {"digest": preview.context["digest"], "send_welcome": "on"})
    assert done.status_code == HTTPStatus.FOUND
    lea = User.objects.get(email="lea.durand@carehub.test")
    assert lea.staff_profile.external_id == "RH-1" and lea.staff_profile.job == "nurse"
    assignment = Assignment.objects.get(user=lea)
    assert (assignment.site, assignment.unit, str(assignment.start_date)) == (site_a, unit_a, "2026-09-01")
    assert not User.objects.filter(email="luc.blanc@carehub.test").exists()
    assert len(mail.outbox) == 2

    # The same file again: nothing new; a changed name updates the same person.
    again = _upload(client, STAFF_URL, _staff_csv(site_a, unit_a).replace("Durand", "Durand-Martin"))
    assert again.context["plan"].summary == {"create": 0, "update": 1, "unchanged": 1, "errors": 0}
    client.post(STAFF_APPLY, {"digest": again.context["digest"]})
    assert StaffProfile.objects.filter(external_id="RH-1").count() == 1
    lea.refresh_from_db()
    assert lea.last_name == "Durand-Martin"
    assert (
        User.objects.filter(email__endswith="@carehub.test", staff_profile__external_id__startswith="RH-").count() == 2
    )


def test_apply_without_a_preview_or_with_another_file_does_nothing(coordinator_a, site_a, unit_a, verified_client):
    client = verified_client(coordinator_a)
    response = client.post(STAFF_APPLY, {"digest": "0" * 64})
    assert response.status_code == HTTPStatus.FOUND and response.url == STAFF_URL
    preview = _upload(client, STAFF_URL, _staff_csv(site_a, unit_a))
    client.post(STAFF_APPLY, {"digest": "f" * 64})
    assert not User.objects.filter(email="lea.durand@carehub.test").exists()
    assert preview.context["digest"]


def test_someone_of_another_site_is_not_updated_through_an_import(
    coordinator_a, site_a, unit_a, staff_b, verified_client
):
    StaffProfile.objects.filter(user=staff_b).update(external_id="RH-1")
    preview = _upload(verified_client(coordinator_a), STAFF_URL, _staff_csv(site_a, unit_a))
    errors = {row.line: " ".join(row.errors) for row in preview.context["plan"].error_rows}
    assert 2 in errors
    staff_b.refresh_from_db()
    assert staff_b.last_name == "Dupont"


def test_bad_files_get_a_clear_error_not_a_500(coordinator_a, verified_client, settings):
    client = verified_client(coordinator_a)
    response = _upload(client, STAFF_URL, "")
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
    response = _upload(client, STAFF_URL, "colonne;autre\n1;2\n")
    assert response.context["plan"].errors
    settings.BACKOFFICE_IMPORT_MAX_BYTES = 10
    response = _upload(client, STAFF_URL, "Matricule;Nom\n" + "x;y\n" * 10)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors
    # Windows-1252 (Excel "CSV" without UTF-8) is read too.
    settings.BACKOFFICE_IMPORT_MAX_BYTES = 100000
    response = _upload(client, STAFF_URL, "Matricule;Nom;Prénom\nRH-9;Léon;Zoé\n", encoding="cp1252")
    assert response.context["plan"].rows[0].values["first_name"] == "Zoé"
    assert client.get(reverse("backoffice:import_upload", args=["unknown"])).status_code == HTTPStatus.NOT_FOUND


def test_a_file_the_csv_reader_cannot_split_is_refused_with_a_400_not_a_500(coordinator_a, verified_client):
    # A carriage return alone inside a cell (a Mac export, or not a table at all) stops Python's reader.
    upload = SimpleUploadedFile("export.csv", b"Matricule;Nom\nRH-1;Du\rrand\n", content_type="text/csv")
    response = verified_client(coordinator_a).post(STAFF_URL, {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.context["plan"].errors) == (
        HTTPStatus.BAD_REQUEST,
        ["The file could not be read as text: save it as “CSV UTF-8”."],
    )


def test_resident_import_creates_updates_and_moves_within_managed_sites(coordinator_a, site_a, unit_a, verified_client):
    from tests.factories import UnitFactory

    other_unit = UnitFactory(site=site_a, name="Les Roses")
    client = verified_client(coordinator_a)
    text = (
        "IPP,Nom,Prénom,Date de naissance,Établissement,Unité,Chambre\n"
        f"A-100,Martin,Rose,1931-04-02,{site_a.name},{unit_a.name},12\n"
        f"A-101,Bernard,Paul,02/03/1929,{site_a.name},,7\n"
        f"A-102,Futur,Bébé,2999-01-01,{site_a.name},,1\n"
    )
    preview = _upload(client, RESIDENTS_URL, text)
    plan = preview.context["plan"]
    assert plan.summary == {"create": 2, "update": 0, "unchanged": 0, "errors": 1}
    client.post(RESIDENTS_APPLY, {"digest": preview.context["digest"]})
    rose = Resident.objects.get(external_id="A-100")
    assert (rose.site, rose.unit, rose.room, str(rose.birth_date)) == (site_a, unit_a, "12", "1931-04-02")
    assert Resident.objects.filter(external_id="A-101", birth_date="1929-03-02").exists()

    moved = text.replace(f"{unit_a.name},12", f"{other_unit.name},14")
    preview = _upload(client, RESIDENTS_URL, moved)
    assert preview.context["plan"].summary["update"] == 1
    client.post(RESIDENTS_APPLY, {"digest": preview.context["digest"]})
    rose.refresh_from_db()
    assert (rose.unit, rose.room) == (other_unit, "14")
    assert Resident.objects.filter(external_id="A-100").count() == 1


def test_resident_of_another_site_is_not_touched(coordinator_a, site_a, site_b, unit_b, verified_client):
    Resident.objects.create(site=site_b, unit=unit_b, first_name="Paul", last_name="Autre", external_id="B-1")
    text = f"IPP;Nom;Prénom;Établissement\nB-1;Pirate;Paul;{site_a.name}\n"
    preview = _upload(verified_client(coordinator_a), RESIDENTS_URL, text)
    assert preview.context["plan"].summary["errors"] == 1
    assert Resident.objects.get(external_id="B-1").last_name == "Autre"


def test_a_semicolon_file_the_sniffer_cannot_read_leaves_the_process_wide_csv_dialect_alone(
    coordinator_a, site_a, unit_a, verified_client
):
    import csv

    # The second row has no trailing empty cells, as some HR exports write them: the sniffer gives up.
    text = (
        "Matricule;Nom;Prénom;Email;Établissement;Unité\n"
        f"RH-1;Durand;Léa;lea.durand@carehub.test;{site_a.name};{unit_a.name}\n"
        f"RH-2;Petit;Hugo;hugo.petit@carehub.test;{site_a.name}\n"
    )
    preview = _upload(verified_client(coordinator_a), STAFF_URL, text)
    assert preview.context["plan"].summary == {"create": 2, "update": 0, "unchanged": 0, "errors": 0}
    assert csv.excel.delimiter == ","


def test_a_two_digit_year_is_a_row_error_naming_the_line_and_the_column(coordinator_a, site_a, verified_client):
    client = verified_client(coordinator_a)
    text = (
        "IPP;Nom;Prénom;Établissement;Date de naissance\n"
        f"A-200;Martin;Rose;{site_a.name};02/04/1931\n"
        f"A-201;Bernard;Paul;{site_a.name};01/01/25\n"
    )
    preview = client.post(
        RESIDENTS_URL,
        {"file": SimpleUploadedFile("export.csv", text.encode(), content_type="text/csv")},
        headers={"Accept-Language": "en"},
    )
    assert (
        "Line 3, column “Date de naissance”: “01/01/25” has a two-digit year, which could be of two centuries; "
        "write the year in full (DD/MM/YYYY)."
    ) in preview.content.decode()


def test_a_row_with_a_two_digit_year_is_not_imported(coordinator_a, site_a, verified_client):
    client = verified_client(coordinator_a)
    text = (
        "IPP;Nom;Prénom;Établissement;Date de naissance\n"
        f"A-200;Martin;Rose;{site_a.name};02/04/1931\n"
        f"A-201;Bernard;Paul;{site_a.name};01/01/25\n"
    )
    preview = _upload(client, RESIDENTS_URL, text)
    client.post(RESIDENTS_APPLY, {"digest": preview.context["digest"]})
    assert sorted(Resident.objects.filter(external_id__startswith="A-2").values_list("external_id", flat=True)) == [
        "A-200"
    ]
