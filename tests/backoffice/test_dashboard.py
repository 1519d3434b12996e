"""The coordinator dashboard: per site, what needs attention; notes per day as a server-side SVG."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.charts import bar_chart_svg
from backoffice.selectors import dashboard_figures
from coordination.models import CareNote, HandoverAcknowledgement, Resident, Target
from tests.backoffice.factories import bulk_staff
from tests.factories import SiteFactory, UnitFactory, confirmed_totp, make_group_admin, make_staff

URL = reverse("backoffice:dashboard")


@pytest.fixture
def target(db):
    return Target.objects.get_or_create(code="dash-pain", defaults={"name_fr": "Douleur", "name_en": "Pain"})[0]


def _note(resident, author, target, *, priority="routine", when=None, **extra):
    return CareNote.objects.create(
        resident=resident,
        site=resident.site,
        unit=resident.unit,
        author=author,
        target=target,
        data="Observation",
        shift="morning",
        shift_date=timezone.localdate(),
        priority=priority,
        created_at=when or timezone.now(),
        **extra,
    )


def test_dashboard_shows_each_managed_site_and_nothing_of_others(
    coordinator_a, staff_a, staff_b, site_a, unit_a, site_b, unit_b, target, verified_client
):
    resident = Resident.objects.create(site=site_a, unit=unit_a, first_name="Rose", last_name="Martin")
    resident_b = Resident.objects.create(site=site_b, unit=unit_b, first_name="Paul", last_name="Bernard")
    _note(resident, staff_a, target, priority="urgent")
    _note(resident, staff_a, target, priority="urgent", acknowledged_at=timezone.now(), acknowledged_by=staff_a)
    _note(resident, staff_a, target, when=timezone.now() - datetime.timedelta(days=3))
    _note(resident_b, staff_b, target, priority="urgent")
    confirmed_totp(staff_a)  # staff_a has 2FA; the coordinator of A does not (the test client gives one)

    response = verified_client(coordinator_a).get(URL)
    assert response.status_code == HTTPStatus.OK
    figures = response.context["figures"]
    assert [f.site for f in figures] == [site_a]
    f = figures[0]
    assert f.urgent_notes_pending == 1
    assert f.staff_count == 2
    assert [u.pk for u in f.staff_without_2fa] == []  # both have a confirmed device now
    assert f.handovers_missing == [unit_a]
    assert sum(n for _, n in f.notes_per_day) == 3
    assert f.notes_per_day[-1][0] == timezone.localdate()
    page = response.content.decode()
    assert "<svg" in page and "<script" not in page.split('id="content"')[-1]
    assert site_b.name not in page


def test_staff_without_2fa_and_handover_taken(coordinator_a, site_a, unit_a, verified_client):
    newcomer = make_staff(site_a, unit=unit_a, email="nouveau@carehub.test")
    figures = dashboard_figures(user=coordinator_a)
    assert newcomer in figures[0].staff_without_2fa
    slot = figures[0].current_shift
    HandoverAcknowledgement.objects.create(
        site=site_a, unit=unit_a, shift=slot.shift, shift_date=slot.day, user=newcomer
    )
    assert dashboard_figures(user=coordinator_a)[0].handovers_missing == []


def test_group_admin_sees_every_site(group_admin, site_a, site_b, verified_client):
    response = verified_client(group_admin).get(URL)
    assert {f.site for f in response.context["figures"]} >= {site_a, site_b}


@pytest.mark.parametrize("fixture", ["staff_a", "family_user"])
def test_dashboard_is_refused_to_staff_and_families(request, fixture, verified_client):
    assert verified_client(request.getfixturevalue(fixture)).get(URL).status_code == HTTPStatus.FORBIDDEN


def test_admin_index_links_to_the_dashboard(coordinator_a, verified_client):
    page = verified_client(coordinator_a).get(reverse("admin:index")).content.decode()
    assert URL in page


def test_dashboard_queries_do_not_grow_with_sites_and_staff(db, verified_client):
    admin = make_group_admin(email="siege.dash@carehub.test")
    client = verified_client(admin)
    site = SiteFactory()
    unit = UnitFactory(site=site)
    bulk_staff(site, unit, 10, prefix="dash")
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == HTTPStatus.OK
    for i in range(5):
        more = SiteFactory()
        bulk_staff(more, UnitFactory(site=more), 20, prefix=f"dash{i}x")
    with CaptureQueriesContext(connection) as large:
        assert client.get(URL).status_code == HTTPStatus.OK
    assert len(large.captured_queries) == len(small.captured_queries)


def test_svg_chart_is_escaped_and_accessible():
    today = datetime.date(2026, 11, 29)
    points = [(today - datetime.timedelta(days=29 - i), i % 4) for i in range(30)]
    svg = bar_chart_svg(points, title='<script>alert("x")</script>', chart_id="t")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'role="img"' in svg and 'aria-labelledby="t-title t-desc"' in svg
    assert svg.count("<rect") == 30
    assert "style=" not in svg  # the CSP forbids inline styles


def test_an_unacknowledged_urgent_direct_message_counts_for_its_senders_site(coordinator_a, staff_a, staff_b, site_a):
    import uuid

    from messaging import services as messaging_services

    colleague = make_staff(site_a, email="collegue.dash@carehub.test")
    direct = messaging_services.conversation_direct_get_or_create(user=staff_a, other=colleague)
    messaging_services.message_send(
        conversation=direct, sender=staff_a, body="Besoin d'aide chambre 12", client_token=uuid.uuid4(), urgent=True
    )
    (figures,) = dashboard_figures(user=coordinator_a)
    assert figures.urgent_messages_pending == 1
