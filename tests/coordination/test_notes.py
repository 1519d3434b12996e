"""Writing care notes: DAR, shift, idempotency, correction window, amendments, retraction, follow-ups."""

import uuid
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from carehub.models import AccessLog
from coordination import services
from coordination.models import CareNote, CareNoteFollowUp, CareNoteRevision, Resident
from coordination.shifts import Shift
from tests.coordination.factories import CareNoteFactory, ResidentFactory, target
from tests.factories import make_staff


@pytest.fixture
def resident(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, last_name="Martin", first_name="Louise", room="12")


def _post_note(client, resident, **overrides):
    data = {
        "target": "douleur",
        "target_detail": "hanche gauche",
        "data": "Se plaint de la hanche gauche, EVA 6/10.",
        "action": "Paracétamol 1 g donné.",
        "result": "",
        "priority": "routine",
        "client_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return client.post(reverse("coordination:note_create", args=[resident.public_id]), data)


# --- service ----------------------------------------------------------------------------


def test_create_sets_shift_in_site_zone(staff_a, resident):
    moment = datetime(2026, 6, 10, 19, 30, tzinfo=UTC)  # 21:30 in Paris: night of the 10th
    note, created = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="Agitée au coucher.", now=moment
    )
    assert created
    assert (note.shift, note.shift_date) == (Shift.NIGHT, date(2026, 6, 10))
    assert note.site_id == resident.site_id and note.unit_id == resident.unit_id
    assert "agitee" in note.search_text  # normalised: no accents, lower case


def test_create_in_overseas_site_uses_its_zone(staff_b, site_b, unit_b):
    resident = ResidentFactory(site=site_b, unit=unit_b)
    moment = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)  # 19:30 in Cayenne
    note, _ = services.care_note_create(author=staff_b, resident=resident, target=target(), data="x", now=moment)
    assert (note.shift, note.shift_date) == (Shift.AFTERNOON, date(2026, 6, 10))


def test_same_client_token_stores_once(staff_a, resident):
    token = uuid.uuid4()
    first, created = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="Chute dans la chambre.", client_token=token
    )
    second, created_again = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="Chute dans la chambre.", client_token=token
    )
    assert created and not created_again
    assert first.pk == second.pk
    assert CareNote.objects.count() == 1


def test_archived_resident_refuses_notes(staff_a, resident):
    Resident.objects.filter(pk=resident.pk).update(status=Resident.Status.DECEASED, discharge_date=date(2026, 1, 2))
    resident.refresh_from_db()
    with pytest.raises(ValidationError):
        services.care_note_create(author=staff_a, resident=resident, target=target(), data="x")
    assert not CareNote.objects.exists()


def test_staff_of_another_site_cannot_write(staff_b, resident):
    with pytest.raises(PermissionDenied):
        services.care_note_create(author=staff_b, resident=resident, target=target(), data="x")


def test_author_corrects_within_window_and_history_is_kept(staff_a, resident):
    written = timezone.now() - timedelta(minutes=5)
    note, _ = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="EVA 8/10", now=written
    )
    services.care_note_correct(
        note=note,
        user=staff_a,
        target=target("chute"),
        data="EVA 6/10",
        priority="important",
        is_family_visible=False,
        is_open_target=True,
    )
    note.refresh_from_db()
    assert note.data == "EVA 6/10" and note.target.code == "chute" and note.corrected_at
    revision = CareNoteRevision.objects.get(note=note)
    assert revision.data == "EVA 8/10" and revision.target.code == "douleur"


def test_correction_refused_after_window_and_for_others(staff_a, resident, site_a, coordinator_a):
    note, _ = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="EVA 8/10", now=timezone.now() - timedelta(minutes=11)
    )
    kwargs = {
        "target": target(),
        "data": "changed",
        "priority": "routine",
        "is_family_visible": False,
        "is_open_target": False,
    }
    with pytest.raises(ValidationError):
        services.care_note_correct(note=note, user=staff_a, **kwargs)
    fresh, _ = services.care_note_create(author=staff_a, resident=resident, target=target(), data="EVA 3/10")
    with pytest.raises(ValidationError):
        services.care_note_correct(note=fresh, user=coordinator_a, **kwargs)
    assert CareNote.objects.get(pk=note.pk).data == "EVA 8/10"
    assert CareNote.objects.get(pk=fresh.pk).data == "EVA 3/10"
    assert not CareNoteRevision.objects.exists()


def test_correction_window_is_a_site_setting(staff_a, resident, site_a):
    from coordination.models import SiteCareSettings

    SiteCareSettings.objects.create(site=site_a, correction_window_minutes=30)
    note, _ = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="x", now=timezone.now() - timedelta(minutes=20)
    )
    note.site.refresh_from_db()
    assert services.can_correct(staff_a, CareNote.objects.select_related("site", "resident").get(pk=note.pk))


def test_amendment_links_to_original_which_stays(staff_a, resident, coordinator_a):
    original, _ = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="Pas de selles depuis 3 jours."
    )
    amendment, _ = services.care_note_amend(
        original=original, author=coordinator_a, target=target("elimination"), data="Pas de selles depuis 4 jours."
    )
    assert amendment.amends_id == original.pk
    assert CareNote.objects.get(pk=original.pk).data == "Pas de selles depuis 3 jours."
    assert list(original.amendments.all()) == [amendment]


def test_retraction_needs_coordinator_and_reason(staff_a, resident, coordinator_a):
    note, _ = services.care_note_create(author=staff_a, resident=resident, target=target(), data="Mauvais dossier")
    with pytest.raises(PermissionDenied):
        services.care_note_retract(note=note, user=staff_a, reason="Erreur de résident")
    with pytest.raises(ValidationError):
        services.care_note_retract(note=note, user=coordinator_a, reason="  ")
    services.care_note_retract(note=note, user=coordinator_a, reason="Écrite dans le mauvais dossier")
    note.refresh_from_db()
    assert note.is_retracted and note.retracted_by == coordinator_a
    assert CareNote.objects.filter(pk=note.pk).exists()  # never deleted
    assert not CareNote.objects.family_visible().filter(pk=note.pk).exists()


def test_followup_keeps_its_author_and_closes_open_target(staff_a, resident, site_a, unit_a):
    colleague = make_staff(site_a, unit=unit_a, email="collegue@carehub.test")
    note, _ = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="Douleur hanche", is_open_target=True
    )
    assert list(CareNote.objects.open_targets()) == [note]
    services.care_note_add_followup(note=note, author=colleague, result="Soulagée, EVA 2/10.", close_target=True)
    note.refresh_from_db()
    followup = CareNoteFollowUp.objects.get(note=note)
    assert followup.author == colleague and followup.closes_target
    assert note.target_closed_by == colleague and not note.target_is_open
    assert not CareNote.objects.open_targets().exists()
    assert "soulagee" in note.search_text
    assert note.result == ""  # the original result field is untouched


def test_family_visible_queryset(staff_a, resident):
    shared, _ = services.care_note_create(
        author=staff_a,
        resident=resident,
        target=target("vie-sociale"),
        data="A participé au loto.",
        is_family_visible=True,
    )
    services.care_note_create(author=staff_a, resident=resident, target=target(), data="Douleur")
    assert list(CareNote.objects.family_visible()) == [shared]


# --- views -------------------------------------------------------------------------------


def test_post_note_from_resident_page(verified_client, staff_a, resident):
    client = verified_client(staff_a)
    response = _post_note(client, resident)
    assert response.status_code == HTTPStatus.FOUND
    note = CareNote.objects.get()
    assert note.author == staff_a and note.target_detail == "hanche gauche" and not note.is_family_visible


def test_double_click_stores_once(verified_client, staff_a, resident):
    client = verified_client(staff_a)
    token = str(uuid.uuid4())
    assert _post_note(client, resident, client_token=token).status_code == HTTPStatus.FOUND
    assert _post_note(client, resident, client_token=token).status_code == HTTPStatus.FOUND
    assert CareNote.objects.count() == 1


def test_missing_data_and_too_long_text_are_clear_errors(verified_client, staff_a, resident):
    client = verified_client(staff_a)
    response = _post_note(client, resident, data="")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    response = _post_note(client, resident, data="x" * 4001, action="Gardée")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    content = response.content.decode()
    assert "4000" in content and "Gardée" in content  # what was typed is not lost
    assert not CareNote.objects.exists()


def test_unknown_target_is_a_form_error(verified_client, staff_a, resident):
    response = _post_note(verified_client(staff_a), resident, target="nonexistent")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not CareNote.objects.exists()


def test_html_is_shown_escaped(verified_client, staff_a, resident):
    client = verified_client(staff_a)
    _post_note(client, resident, data='<script>alert("x")</script><b>gras</b>')
    content = client.get(reverse("coordination:resident_detail", args=[resident.public_id])).content.decode()
    assert "<script>alert" not in content and "<b>gras</b>" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content


def test_note_for_resident_of_other_site_is_404(verified_client, staff_b, resident):
    response = _post_note(verified_client(staff_b), resident)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not CareNote.objects.exists()


def test_posting_to_archived_resident_is_refused_with_message(verified_client, staff_a, resident):
    Resident.objects.filter(pk=resident.pk).update(status=Resident.Status.DISCHARGED, discharge_date=date(2026, 1, 2))
    response = _post_note(verified_client(staff_a), resident)
    assert response.status_code == HTTPStatus.CONFLICT
    assert "archiv" in response.content.decode().lower()
    assert not CareNote.objects.exists()


def test_family_preview_without_javascript(verified_client, staff_a, resident):
    client = verified_client(staff_a)
    response = _post_note(client, resident, is_family_visible="on", _preview="1", data="A bien mangé <i>ce midi</i>.")
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "family-preview__card" in content and "A bien mangé &lt;i&gt;ce midi&lt;/i&gt;." in content
    assert not CareNote.objects.exists()  # a preview saves nothing


def test_family_preview_fragment_for_htmx(verified_client, staff_a, resident):
    client = verified_client(staff_a)
    url = reverse("coordination:note_create", args=[resident.public_id])
    response = client.post(
        url,
        {"target": "douleur", "data": "Bonne journée", "is_family_visible": "on", "_preview": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == HTTPStatus.OK
    assert "<html" not in response.content.decode() and "Bonne journée" in response.content.decode()
    assert "Hélène, " in response.content.decode()  # first name and job, as the portal shows them
    response = client.post(url, {"target": "douleur", "data": "Bonne journée", "_preview": "1"}, HTTP_HX_REQUEST="true")
    assert "family-preview__card" not in response.content.decode()  # off: nothing is shared


def test_correct_view_author_only(verified_client, staff_a, coordinator_a, resident):
    note = CareNoteFactory(resident=resident, author=staff_a)
    url = reverse("coordination:note_correct", args=[note.public_id])
    assert verified_client(coordinator_a).get(url).status_code == HTTPStatus.FORBIDDEN
    client = verified_client(staff_a)
    response = client.post(url, {"target": "douleur", "data": "Corrigé", "priority": "routine"})
    assert response.status_code == HTTPStatus.FOUND
    note.refresh_from_db()
    assert note.data == "Corrigé" and note.revisions.count() == 1
    detail = client.get(reverse("coordination:note_detail", args=[note.public_id])).content.decode()
    assert "Douleur à la hanche gauche" in detail  # the earlier text is shown in the history


def test_correct_view_after_window_points_to_amendment(verified_client, staff_a, resident):
    note = CareNoteFactory(resident=resident, author=staff_a, created_at=timezone.now() - timedelta(minutes=30))
    response = verified_client(staff_a).post(
        reverse("coordination:note_correct", args=[note.public_id]),
        {"target": "douleur", "data": "x", "priority": "routine"},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    note.refresh_from_db()
    assert note.data != "x"


def test_amend_view(verified_client, staff_a, resident):
    note = CareNoteFactory(resident=resident, author=staff_a, created_at=timezone.now() - timedelta(hours=2))
    client = verified_client(staff_a)
    response = client.post(
        reverse("coordination:note_amend", args=[note.public_id]),
        {
            "target": "douleur",
            "data": "Précision : hanche droite",
            "priority": "routine",
            "client_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    amendment = CareNote.objects.get(amends=note)
    assert amendment.data == "Précision : hanche droite"


def test_retract_view(verified_client, coordinator_a, staff_a, resident):
    note = CareNoteFactory(resident=resident, author=staff_a)
    url = reverse("coordination:note_retract", args=[note.public_id])
    client = verified_client(coordinator_a)
    assert client.post(url, {"reason": ""}).status_code == HTTPStatus.BAD_REQUEST
    assert client.post(url, {"reason": "Mauvais résident"}).status_code == HTTPStatus.FOUND
    note.refresh_from_db()
    assert note.retraction_reason == "Mauvais résident"
    page = client.get(reverse("coordination:resident_detail", args=[resident.public_id])).content.decode()
    assert "note--retracted" in page and "Mauvais résident" in page


def test_followup_view_closes_target(verified_client, staff_a, resident):
    note = CareNoteFactory(resident=resident, author=staff_a, is_open_target=True)
    response = verified_client(staff_a).post(
        reverse("coordination:note_followup", args=[note.public_id]), {"result": "Calme", "close_target": "on"}
    )
    assert response.status_code == HTTPStatus.FOUND
    note.refresh_from_db()
    assert note.target_closed_at is not None


def test_acknowledge_view(verified_client, staff_a, resident, site_a, unit_a):
    colleague = make_staff(site_a, unit=unit_a, email="collegue@carehub.test")
    note = CareNoteFactory(resident=resident, author=colleague, priority="urgent")
    response = verified_client(staff_a).post(reverse("coordination:note_acknowledge", args=[note.public_id]))
    assert response.status_code == HTTPStatus.FOUND
    note.refresh_from_db()
    assert note.acknowledged_by == staff_a


def test_note_detail_is_logged(verified_client, staff_a, resident):
    note = CareNoteFactory(resident=resident, author=staff_a)
    verified_client(staff_a).get(reverse("coordination:note_detail", args=[note.public_id]))
    entry = AccessLog.objects.get(action=AccessLog.Action.VIEW, object_type="coordination.carenote")
    assert entry.subject_id == resident.public_id and entry.user == staff_a


def test_a_notes_name_in_the_logs_gives_its_time_in_the_sites_time_zone(staff_a, resident):
    from datetime import UTC, datetime

    note, _ = services.care_note_create(
        author=staff_a, resident=resident, target=target(), data="x", now=datetime(2026, 6, 10, 11, 36, tzinfo=UTC)
    )
    assert str(note).endswith("(10/06/2026 13:36)")  # 13:36 in Paris, the site's zone
