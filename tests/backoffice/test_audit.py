"""The audit viewer: access log and change history, filtered, scoped, read-only; a resident's access history exports."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carehub.access_log import log_access
from carehub.admin.paginator import EXACT_COUNT_BELOW, EstimatedCountPaginator
from carehub.models import AccessLog
from coordination.models import Resident
from directory.models import Unit
from tests.jobs.helpers import content, download_export

ACCESS_LOG = reverse("admin:carehub_accesslog_changelist")
HISTORY = reverse("admin:auditlog_logentry_changelist")


@pytest.fixture
def resident_a(site_a, unit_a):
    return Resident.objects.create(site=site_a, unit=unit_a, first_name="Rose", last_name="Martin", room="12")


@pytest.fixture
def resident_b(site_b, unit_b):
    return Resident.objects.create(site=site_b, unit=unit_b, first_name="Paul", last_name="Bernard", room="3")


def _listed(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK
    # Reading the log is a read too (of the residents on the page): those entries of the reader's are not counted.
    rows = response.context["cl"].result_list
    return response, [obj.pk for obj in rows if getattr(obj, "object_type", "") != "carehub.accesslog"]


def test_access_log_filters_by_resident_user_action_site_and_dates(
    coordinator_a, staff_a, resident_a, site_a, verified_client
):
    seen = log_access(None, AccessLog.Action.VIEW, resident_a, user=staff_a)
    exported = log_access(None, AccessLog.Action.EXPORT, resident_a, user=coordinator_a)
    other = log_access(None, AccessLog.Action.VIEW, site_a, user=staff_a)
    client = verified_client(coordinator_a)

    response, ids = _listed(client, ACCESS_LOG, subject_id__exact=str(resident_a.public_id))
    assert set(ids) == {seen.pk, exported.pk}
    assert response.context["resident_exports"] == resident_a  # export links offered
    assert reverse("backoffice:history_pdf", args=[resident_a.public_id]) in response.content.decode()

    _, ids = _listed(client, ACCESS_LOG, user__id__exact=staff_a.pk)
    assert seen.pk in ids and other.pk in ids and exported.pk not in ids
    _, ids = _listed(client, ACCESS_LOG, action__exact="export")
    assert ids == [exported.pk]
    _, ids = _listed(client, ACCESS_LOG, site=str(site_a.pk))
    assert {seen.pk, exported.pk, other.pk} <= set(ids)  # a site page view is filed under that site
    _, ids = _listed(client, ACCESS_LOG, site=str(site_a.pk + 1000))
    assert ids == []
    _, ids = _listed(client, ACCESS_LOG, q=str(resident_a.public_id))
    assert set(ids) == {seen.pk, exported.pk}
    _, ids = _listed(client, ACCESS_LOG, q=staff_a.email)
    assert exported.pk not in ids and seen.pk in ids
    day = seen.at.date().isoformat()
    _, ids = _listed(client, ACCESS_LOG, at__from=day, at__to=day)
    assert seen.pk in ids
    _, ids = _listed(client, ACCESS_LOG, at__from="2001-01-01", at__to="2001-01-31")
    assert ids == []
    response, _ = _listed(client, ACCESS_LOG, at__from="2026-02-31")  # impossible date: ignored, not a 500
    assert response.status_code == HTTPStatus.OK


def test_a_coordinator_gets_no_export_of_another_sites_resident(coordinator_a, resident_b, verified_client):
    client = verified_client(coordinator_a)
    response, ids = _listed(client, ACCESS_LOG, subject_id__exact=str(resident_b.public_id))
    assert response.context["resident_exports"] is None
    for name in ("backoffice:history_csv", "backoffice:history_pdf", "backoffice:gdpr_export"):
        assert client.post(reverse(name, args=[resident_b.public_id])).status_code == HTTPStatus.NOT_FOUND
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


def test_access_history_csv_lists_who_opened_the_file_and_is_logged(
    coordinator_a, staff_a, resident_a, resident_b, verified_client
):
    log_access(None, AccessLog.Action.VIEW, resident_a, user=staff_a)
    log_access(None, AccessLog.Action.VIEW, resident_b, user=staff_a)
    response = download_export(
        verified_client(coordinator_a), reverse("backoffice:history_csv", args=[resident_a.public_id])
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(content(response).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2  # header + the one access to resident A
    assert rows[1][1] == staff_a.email
    export = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
    assert (export.user, export.subject_id, export.site_id) == (coordinator_a, resident_a.public_id, resident_a.site_id)


def test_access_history_pdf_is_a_pdf_and_is_logged(coordinator_a, staff_a, resident_a, verified_client):
    for _ in range(3):
        log_access(None, AccessLog.Action.VIEW, resident_a, user=staff_a)
    response = download_export(
        verified_client(coordinator_a), reverse("backoffice:history_pdf", args=[resident_a.public_id])
    )
    assert response["Content-Type"] == "application/pdf"
    body = content(response)
    assert body.startswith(b"%PDF-")
    import pypdfium2

    pdf = pypdfium2.PdfDocument(body)
    text = pdf[0].get_textpage().get_text_range()
    assert "Martin" in text.replace("MARTIN", "Martin")
    assert staff_a.email in text
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, subject_id=resident_a.public_id).count() == 1


def test_the_logs_are_read_only_for_group_admins_too(group_admin, resident_a, staff_a, verified_client):
    entry = log_access(None, AccessLog.Action.VIEW, resident_a, user=staff_a)
    client = verified_client(group_admin)
    assert client.get(reverse("admin:carehub_accesslog_change", args=[entry.pk])).status_code == HTTPStatus.OK
    assert client.post(reverse("admin:carehub_accesslog_change", args=[entry.pk]), {}).status_code == 403
    change = LogEntry.objects.get_for_object(resident_a).first()
    assert change is not None
    assert client.get(reverse("admin:auditlog_logentry_change", args=[change.pk])).status_code == HTTPStatus.OK
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == HTTPStatus.FORBIDDEN
    response = client.post(reverse("admin:auditlog_logentry_delete", args=[change.pk]), {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert LogEntry.objects.filter(pk=change.pk).exists()


def test_change_history_is_scoped_to_the_coordinators_sites(
    coordinator_a, resident_a, resident_b, unit_a, unit_b, verified_client
):
    Unit.objects.filter(pk=unit_a.pk).first().save()
    mine = LogEntry.objects.get_for_object(resident_a).first()
    theirs = LogEntry.objects.get_for_object(resident_b).first()
    client = verified_client(coordinator_a)
    _, ids = _listed(client, HISTORY)
    assert mine.pk in ids and theirs.pk not in ids
    response = client.get(reverse("admin:auditlog_logentry_change", args=[theirs.pk]))
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.NOT_FOUND)
    _, ids = _listed(client, HISTORY, resident=str(resident_a.public_id))
    assert ids == [mine.pk]
    _, ids = _listed(client, HISTORY, resident=str(resident_b.public_id))
    assert ids == []
    _, ids = _listed(client, HISTORY, site=str(resident_a.site_id))
    assert mine.pk in ids
    page = client.get(HISTORY).content.decode()
    assert "Bernard" not in page and "Les Oliviers" not in page  # nothing of site B, not even in filters


def test_staff_and_families_do_not_reach_the_logs(staff_a, family_user, verified_client):
    for user in (staff_a, family_user):
        client = verified_client(user)
        for url in (ACCESS_LOG, HISTORY):
            assert client.get(url).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)


def _bulk_log(n, resident, user):
    """``n`` entries with a valid hash chain, inserted in bulk."""
    from carehub.models import AccessLogHead

    head, _ = AccessLogHead.objects.get_or_create(pk=1)
    prev, entries = head.last_hash, []
    for _ in range(n):
        entry = AccessLog(
            user=user,
            actor=user.email,
            action="view",
            object_type="coordination.resident",
            object_id=str(resident.public_id),
            object_repr=str(resident),
            site_id=resident.site_id,
            subject_id=resident.public_id,
            prev_hash=prev,
        )
        entry.hash = prev = entry.compute_hash()
        entries.append(entry)
    AccessLog.objects.bulk_create(entries, batch_size=1000)
    AccessLogHead.objects.filter(pk=1).update(last_hash=prev, last_id=AccessLog.objects.order_by("-id")[0].pk)


def _bulk_changes(n, resident, user):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Resident)
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=content_type,
                object_pk=str(resident.pk),
                object_id=resident.pk,
                object_repr=str(resident),
                action=LogEntry.Action.UPDATE,
                changes={"room": ["1", str(i)]},
                actor=user,
            )
            for i in range(n)
        ],
        batch_size=1000,
    )


@pytest.mark.parametrize("url", [ACCESS_LOG, HISTORY])
@pytest.mark.parametrize("role", ["group_admin", "coordinator_a"])
def test_audit_changelists_run_a_fixed_number_of_queries(request, url, role, staff_a, resident_a, verified_client):
    client = verified_client(request.getfixturevalue(role))
    _bulk_log(50, resident_a, staff_a)
    _bulk_changes(50, resident_a, staff_a)
    client.get(url)  # warm the content-type cache
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == HTTPStatus.OK
    _bulk_log(4950, resident_a, staff_a)
    _bulk_changes(4950, resident_a, staff_a)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response.context["cl"].result_count >= 5000
    assert len(large.captured_queries) == len(small.captured_queries)


def test_paginator_counts_exactly_when_small(staff_a, resident_a):
    _bulk_log(5, resident_a, staff_a)
    paginator = EstimatedCountPaginator(AccessLog.objects.all(), 100)
    assert paginator.count == AccessLog.objects.count()
    assert not paginator.estimated


@pytest.mark.postgres
def test_paginator_estimates_a_large_table_without_counting_it(group_admin, verified_client):
    """On PostgreSQL the first page of a large log costs no COUNT(*) (the planner's estimate is used)."""
    from django.db import connection as conn

    rows = EXACT_COUNT_BELOW + 5000
    with conn.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO carehub_accesslog (at, actor, action, object_type, object_id, object_repr, query,
                                           user_agent, prev_hash, hash)
            SELECT now() - (g || ' seconds')::interval, 'bench@carehub.test', 'view', 'coordination.resident',
                   g::text, 'Resident ' || g, '', '', md5((g - 1)::text) || md5((g - 1)::text),
                   md5(g::text) || md5(g::text)
            FROM generate_series(1, %s) AS g
            """,
            [rows],
        )
        cursor.execute("ANALYZE carehub_accesslog")
    paginator = EstimatedCountPaginator(AccessLog.objects.all(), 100)
    with CaptureQueriesContext(conn) as queries:
        count = paginator.count
    assert paginator.estimated
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert abs(count - rows) < rows * 0.2
    with CaptureQueriesContext(conn) as queries:
        response = verified_client(group_admin).get(ACCESS_LOG)
    assert response.status_code == HTTPStatus.OK
    assert not any('COUNT(*) AS "__count" FROM "carehub_accesslog"' in q["sql"] for q in queries.captured_queries)
