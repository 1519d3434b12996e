"""Templates and phrases per target, kept per site in the admin, offered by the note form."""

import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from coordination import selectors
from coordination.models import NotePhrase, NoteTemplate
from tests.coordination.factories import ResidentFactory, target


@pytest.fixture(autouse=True)
def _no_seeded_aids(db):
    """The migration seeds the group's defaults: each test starts from its own aids only."""
    NoteTemplate.objects.all().delete()
    NotePhrase.objects.all().delete()


def _template(site=None, label="Chute sans gravité"):
    return NoteTemplate.objects.create(
        target=target("chute"), site=site, label=label, data="Retrouvée au sol.", action="Relevée à deux."
    )


def test_a_site_is_offered_the_groups_aids_and_its_own(site_a, site_b):
    _template()
    _template(site_a, label="Chute — protocole des Tilleuls")
    _template(site_b, label="Chute — protocole des Oliviers")
    labels = [t["label"] for t in selectors.writing_aids(site_a.pk)["chute"]["templates"]]
    assert labels == ["Chute sans gravité", "Chute — protocole des Tilleuls"]


def test_phrases_come_by_part_and_checklist_items_say_so(site_a):
    NotePhrase.objects.create(target=target("chute"), part="action", text="IDE prévenue", is_check=True)
    phrases = selectors.writing_aids(site_a.pk)["chute"]["phrases"]
    assert phrases["action"] == [{"text": "IDE prévenue", "check": True}]


def test_an_aid_switched_off_is_not_offered(site_a):
    template = _template()
    template.is_active = False
    template.save()
    assert "chute" not in selectors.writing_aids(site_a.pk)


def test_the_note_forms_carry_the_aids_of_their_site(verified_client, staff_a, site_a, unit_a):
    _template()
    resident = ResidentFactory(site=site_a, unit=unit_a)
    for url in (reverse("coordination:handover"), reverse("coordination:resident_detail", args=[resident.public_id])):
        response = verified_client(staff_a).get(url)
        html = response.content.decode()
        start = html.index('<script id="writing-aids" type="application/json">') + len(
            '<script id="writing-aids" type="application/json">'
        )
        aids = json.loads(html[start : html.index("</script>", start)])
        assert aids["chute"]["templates"][0]["label"] == "Chute sans gravité"


def test_a_coordinator_keeps_the_aids_of_their_site_not_the_groups(verified_client, coordinator_a):
    response = verified_client(coordinator_a).post(
        reverse("admin:coordination_notephrase_add"),
        {"target": target("chute").pk, "site": "", "part": "action", "text": "Famille prévenue", "sort_order": 10},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST  # the form again, with its error
    assert not NotePhrase.objects.filter(text="Famille prévenue").exists()


def test_a_coordinator_opens_a_target_to_rename_it(verified_client, coordinator_a):
    # The code is read-only once the target exists: the page must not try to fill it from the name.
    response = verified_client(coordinator_a).get(
        reverse("admin:coordination_target_change", args=[target("chute").pk])
    )
    assert response.status_code == HTTPStatus.OK
