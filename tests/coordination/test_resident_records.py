"""Residents admitted and kept in the admin panel and by the CSV import go through the
coordination services: the same rules and the same audit on every path."""

from http import HTTPStatus

from auditlog.models import LogEntry
from django.urls import reverse

from coordination.models import Resident
from tests.carehub.admin_forms import admin_form_data
from tests.coordination.factories import CareNoteFactory, ResidentFactory
from tests.factories import UnitFactory

ADD_URL = reverse("admin:coordination_resident_add")


def _change_url(resident):
    return reverse("admin:coordination_resident_change", args=[resident.pk])


def test_admission_in_the_admin_creates_the_resident_with_their_referents(
    verified_client, coordinator_a, site_a, unit_a, staff_a
):
    response = verified_client(coordinator_a).post(
        ADD_URL,
        {
            "site": site_a.pk,
            "unit": unit_a.pk,
            "last_name": "Garnier",
            "first_name": "Odette",
            "status": Resident.Status.PRESENT,
            "room": "14",
            "referents": [staff_a.pk],
            "alerts-TOTAL_FORMS": "0",
            "alerts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    resident = Resident.objects.get(last_name="Garnier")
    assert list(resident.referents.all()) == [staff_a]


def test_the_admin_does_not_offer_discharge_as_a_status(verified_client, coordinator_a):
    response = verified_client(coordinator_a).get(ADD_URL)
    offered = [value for value, _label in response.context["adminform"].form.fields["status"].choices]
    assert Resident.Status.DISCHARGED not in offered


def test_the_admin_change_form_cannot_move_a_resident_between_sites(
    verified_client, group_admin, site_a, site_b, unit_a
):
    """Transfers have their page and service (the notes follow the resident): site and unit are read-only here."""
    resident = ResidentFactory(site=site_a, unit=unit_a, last_name="Roux")
    client = verified_client(group_admin)
    data = admin_form_data(client.get(_change_url(resident)))
    data.update(site=site_b.pk, unit=UnitFactory(site=site_b).pk, room="99")
    assert client.post(_change_url(resident), data).status_code == HTTPStatus.FOUND
    resident.refresh_from_db()
    assert (resident.site_id, resident.room) == (site_a.pk, "99")


def test_a_record_change_in_the_admin_is_in_the_change_history(verified_client, coordinator_a, site_a, unit_a):
    resident = ResidentFactory(site=site_a, unit=unit_a, room="3")
    client = verified_client(coordinator_a)
    data = admin_form_data(client.get(_change_url(resident)))
    data["room"] = "4"
    client.post(_change_url(resident), data)
    entry = LogEntry.objects.get_for_object(resident).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict["room"] == ["3", "4"]


def test_a_move_by_the_import_takes_the_notes_to_the_new_site(group_admin, site_a, unit_a, site_b, unit_b):
    from backoffice import imports

    resident = ResidentFactory(site=site_a, unit=unit_a, external_id="DPI-7", first_name="Jean", last_name="Petit")
    note = CareNoteFactory(resident=resident)
    text = f"external_id,last_name,first_name,site,unit\nDPI-7,Petit,Jean,{site_b.name},{unit_b.name}\n"
    imports.apply_import(kind="residents", text=text, user=group_admin)
    note.refresh_from_db()
    assert note.site_id == site_b.pk
