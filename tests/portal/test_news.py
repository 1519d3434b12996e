"""The news feed: family-visible notes of the relative only, family-facing fields only."""

import re
import uuid
from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from carehub.models import AccessLog
from coordination.models import CareNote
from tests.coordination.factories import target
from tests.portal.factories import shared_note


def news_url(resident, **query):
    url = reverse("portal:news", kwargs={"public_id": resident.public_id})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def test_feed_shows_shared_notes_with_first_name_and_job_only(family_a, nurse_a, verified_client):
    shared_note(family_a.resident, nurse_a, data="Marie a fait une belle promenade au jardin.", priority="urgent")
    response = verified_client(family_a.user).get(news_url(family_a.resident))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Marie a fait une belle promenade au jardin." in html
    assert "Sophie" in html and "Garnier" not in html
    assert "IDE" in html or "Nurse" in html or "Infirmier" in html
    assert "urgent" not in html.lower().replace("urgence", "")


def test_feed_never_shows_unshared_retracted_or_other_residents_notes(
    family_a, family_b, nurse_a, staff_b, verified_client
):
    shared_note(family_a.resident, nurse_a, data="Texte partagé avec la famille.")
    shared_note(family_a.resident, nurse_a, family_visible=False, data="Note interne de l'équipe.")
    retracted = shared_note(family_a.resident, nurse_a, data="Note retirée par la coordinatrice.")
    retracted.retracted_at = timezone.now()
    retracted.retracted_by = nurse_a
    retracted.retraction_reason = "erreur de résident"
    retracted.save()
    shared_note(family_b.resident, staff_b, data="Nouvelles de Louis pour sa famille.")
    html = verified_client(family_a.user).get(news_url(family_a.resident)).content.decode()
    assert "Texte partagé avec la famille." in html
    assert "Note interne de l'équipe." not in html
    assert "Note retirée" not in html
    assert "Nouvelles de Louis" not in html


def test_flipping_the_family_flag_makes_the_note_vanish(family_a, nurse_a, verified_client):
    note = shared_note(family_a.resident, nurse_a, data="Anniversaire fêté avec les autres résidents.")
    client = verified_client(family_a.user)
    assert "Anniversaire fêté" in client.get(news_url(family_a.resident)).content.decode()
    note.is_family_visible = False
    note.save(update_fields=["is_family_visible"])
    assert "Anniversaire fêté" not in client.get(news_url(family_a.resident)).content.decode()


def test_every_feed_read_is_in_the_access_log(family_a, verified_client):
    verified_client(family_a.user).get(news_url(family_a.resident))
    entry = AccessLog.objects.filter(user=family_a.user, action=AccessLog.Action.VIEW).first()
    assert entry.subject_id == family_a.resident.public_id
    assert entry.site_id == family_a.resident.site_id


def test_cursor_pagination_walks_every_note_once(family_a, nurse_a, verified_client, settings):
    settings.PORTAL_FEED_PAGE_SIZE = 10
    base = timezone.now() - timedelta(days=3)
    # Two notes at the very same instant: the cursor's id tie-break keeps both.
    notes = [
        shared_note(
            family_a.resident, nurse_a, data=f"Nouvelle {i:02d}", created_at=base + timedelta(minutes=i // 2 * 2)
        )
        for i in range(25)
    ]
    client = verified_client(family_a.user)
    seen, url, pages = [], news_url(family_a.resident), 0
    while url:
        response = client.get(url)
        page = response.context["page"]
        seen += [item.data for item in page.items]
        pages += 1
        url = news_url(family_a.resident, before=page.next_cursor) if page.next_cursor else None
    assert pages == 3
    assert sorted(seen) == sorted(n.data for n in notes)
    assert len(seen) == len(set(seen)) == 25
    assert seen[0] == "Nouvelle 24" or seen[0] == "Nouvelle 23"


def test_jump_to_a_day(family_a, nurse_a, verified_client):
    now = timezone.now()
    shared_note(family_a.resident, nurse_a, data="Ancienne nouvelle", created_at=now - timedelta(days=10))
    shared_note(family_a.resident, nurse_a, data="Nouvelle récente", created_at=now)
    day = (timezone.localdate() - timedelta(days=5)).isoformat()
    html = verified_client(family_a.user).get(news_url(family_a.resident, day=day)).content.decode()
    assert "Ancienne nouvelle" in html and "Nouvelle récente" not in html


@pytest.mark.parametrize("cursor", ["garbage", "1.2.3", "99999999999999999999999999.1", ""])
def test_a_malformed_cursor_or_day_is_not_a_server_error(family_a, verified_client, cursor):
    client = verified_client(family_a.user)
    assert client.get(news_url(family_a.resident, before=cursor)).status_code == HTTPStatus.OK
    assert client.get(news_url(family_a.resident, day="2026-13-45")).status_code == HTTPStatus.OK


def test_feed_runs_a_fixed_number_of_queries(
    family_a, nurse_a, staff_a, verified_client, django_assert_max_num_queries
):
    client = verified_client(family_a.user)
    shared_note(family_a.resident, nurse_a)
    client.get(news_url(family_a.resident))  # warm the session and caches
    with django_assert_max_num_queries(24) as small:
        client.get(news_url(family_a.resident))
    for i in range(30):
        shared_note(family_a.resident, staff_a if i % 2 else nurse_a, data=f"n{i}")
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(news_url(family_a.resident))
    assert len(response.context["page"].items) == 20
    assert len(large.captured_queries) == len(small.captured_queries)


def test_without_the_news_right_the_feed_is_404(family_a, verified_client):
    family_a.link.may_see_news = False
    family_a.link.save(update_fields=["may_see_news"])
    assert verified_client(family_a.user).get(news_url(family_a.resident)).status_code == HTTPStatus.NOT_FOUND


def test_home_lists_followed_residents(family_a, verified_client, site_a):
    from tests.portal.factories import ResidentFactory, link

    robert = ResidentFactory(site=site_a, first_name="Robert", last_name="Durand")
    link(family_a.user, robert, may_see_documents=False)
    response = verified_client(family_a.user).get(reverse("portal:home"))
    html = response.content.decode()
    assert "Marie" in html and "Robert" in html
    assert reverse("portal:documents", kwargs={"public_id": robert.public_id}) not in html
    assert reverse("portal:documents", kwargs={"public_id": family_a.resident.public_id}) in html


def test_times_are_shown_in_the_time_zone_of_the_residents_home(family_b, staff_b, verified_client):
    from datetime import UTC, datetime

    # Louis lives in Cayenne (UTC-3): a note written at 12:00 UTC was written at 09:00 there.
    shared_note(
        family_b.resident, staff_b, data="Sieste au calme.", created_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    )
    html = verified_client(family_b.user).get(news_url(family_b.resident)).content.decode()
    assert "09:00" in html and "13:00" not in html


def test_the_note_forms_preview_is_the_feeds_news_item(family_a, nurse_a, verified_client):
    """The nurse previews, saves, and the relative reads: the very same HTML."""
    target("douleur")
    note = {
        "target": "douleur",
        "target_detail": "hanche <gauche>",
        "data": "Se plaint de la hanche.\nA pu marcher jusqu'au jardin & retour.",
        "action": "Paracétamol donné.",
        "result": "Soulagée en une heure.",
        "priority": "routine",
        "is_family_visible": "on",
    }
    item = re.compile(r'<li class="card portal-news">.*?</li>', re.DOTALL)
    nurse = verified_client(nurse_a)
    url = reverse("coordination:note_create", args=[family_a.resident.public_id])
    [preview] = item.findall(nurse.post(url, {**note, "_preview": "1"}, HTTP_HX_REQUEST="true").content.decode())
    saved = nurse.post(url, {**note, "client_token": str(uuid.uuid4())})
    assert saved.status_code == HTTPStatus.FOUND
    # The preview shows the time it was made; the note keeps that time, so only the rendering is compared.
    previewed_at = datetime.fromisoformat(re.search(r'<time datetime="([^"]+)"', preview).group(1))
    CareNote.objects.update(created_at=previewed_at)
    feed = verified_client(family_a.user).get(news_url(family_a.resident)).content.decode()
    assert item.findall(feed) == [preview]
