"""The audit trail: hash-chained access log (verify_audit) and django-auditlog change history."""

from http import HTTPStatus
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from carehub.access_log import log_access
from carehub.models import AccessLog
from directory.models import Assignment, Site, Unit
from tests.accounts.flows import fresh_client, sign_in
from tests.carehub.admin_forms import admin_form_data
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def chain(staff_a, site_a):
    """Ten entries: sign-in events through the real form, then reads."""
    client = fresh_client()
    sign_in(client, staff_a.email, "wrong-password-123")
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    for n in range(8):
        log_access(None, AccessLog.Action.SEARCH, user=staff_a, query=f"recherche {n}", site_id=site_a.pk)
    entries = list(AccessLog.objects.order_by("id"))
    assert len(entries) == 10
    return entries


def _verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def _raw(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_audit_passes_on_an_intact_chain(chain):
    assert "10" in _verify()


def test_verify_audit_passes_on_an_empty_log(db):
    assert "0" in _verify()


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "someone.else@carehub.test"), ("query", "rien"), ("ip", "10.9.9.9"), ("action", "view")],
)
def test_an_entry_altered_in_the_database_is_reported_with_its_id(chain, column, value):
    target = chain[4]
    _raw(f"UPDATE carehub_accesslog SET {column} = %s WHERE id = %s", [value, target.pk])
    with pytest.raises(CommandError, match=rf"#{target.pk}\b"):
        _verify()


def test_a_timestamp_moved_in_the_database_is_reported(chain):
    target = chain[2]
    _raw("UPDATE carehub_accesslog SET at = %s WHERE id = %s", [target.at.replace(year=2020), target.pk])
    with pytest.raises(CommandError, match=rf"#{target.pk}\b"):
        _verify()


def test_a_rehashed_entry_is_reported_by_the_next_one(chain):
    """Recomputing the altered row's own hash does not help: the next entry points at the old one."""
    target = chain[5]
    target.actor = "forger@carehub.test"
    new_hash = target.compute_hash()
    _raw("UPDATE carehub_accesslog SET actor = %s, hash = %s WHERE id = %s", [target.actor, new_hash, target.pk])
    with pytest.raises(CommandError, match=rf"#{chain[6].pk}\b"):
        _verify()


def test_a_deleted_middle_entry_is_reported(chain):
    _raw("DELETE FROM carehub_accesslog WHERE id = %s", [chain[3].pk])
    with pytest.raises(CommandError, match=rf"#{chain[4].pk}\b"):
        _verify()


def test_deleted_last_entries_are_reported(chain):
    _raw("DELETE FROM carehub_accesslog WHERE id >= %s", [chain[8].pk])
    with pytest.raises(CommandError, match=r"removed"):
        _verify()


def test_verify_audit_exits_non_zero_from_the_command_line(chain):
    # The management command is what an operator runs: CommandError → exit status 1.
    _raw("UPDATE carehub_accesslog SET actor = %s WHERE id = %s", ["x", chain[1].pk])
    with pytest.raises(CommandError) as excinfo:
        _verify()
    assert excinfo.value.returncode == 1


def test_new_entries_after_a_check_keep_the_chain(chain, staff_a):
    _verify()
    log_access(None, AccessLog.Action.VIEW, user=staff_a)
    assert "11" in _verify()


# --- django-auditlog: who changed what, from where ---------------------------------------------------


def _entries_for(obj):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_pk=str(obj.pk)
    ).order_by("id")


@pytest.fixture
def admin_client_(group_admin, verified_client):
    client = verified_client(group_admin)
    client.defaults["REMOTE_ADDR"] = "192.0.2.44"
    return client


def test_site_change_through_the_admin_is_recorded_with_actor_and_address(admin_client_, group_admin, site_a, unit_a):
    url = reverse("admin:directory_site_change", args=[site_a.pk])
    data = admin_form_data(admin_client_.get(url))
    data["phone"] = "04 72 99 99 99"
    response = admin_client_.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context and response.context["adminform"].form.errors
    site_a.refresh_from_db()
    assert site_a.phone == "04 72 99 99 99"
    entry = _entries_for(site_a).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == group_admin
    assert entry.remote_addr == "192.0.2.44"
    assert entry.changes_dict["phone"][1] == "04 72 99 99 99"


def test_unit_and_assignment_creation_through_the_admin_are_recorded(admin_client_, group_admin, site_a, staff_b):
    response = admin_client_.post(
        reverse("admin:directory_unit_add"), {"site": site_a.pk, "name": "Les Mimosas", "nurse_station_phone": "120"}
    )
    assert response.status_code == HTTPStatus.FOUND
    unit = Unit.objects.get(name="Les Mimosas")
    created = _entries_for(unit).get(action=LogEntry.Action.CREATE)
    assert created.actor == group_admin and created.remote_addr == "192.0.2.44"

    response = admin_client_.post(
        reverse("admin:directory_assignment_add"),
        {"user": staff_b.pk, "site": site_a.pk, "unit": unit.pk, "role": "staff", "start_date": "", "end_date": ""},
    )
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    assignment = Assignment.objects.get(user=staff_b, site=site_a)
    created = _entries_for(assignment).get(action=LogEntry.Action.CREATE)
    assert created.actor == group_admin and created.remote_addr == "192.0.2.44"


def test_user_change_through_the_admin_is_recorded_without_the_password(admin_client_, group_admin, staff_a):
    url = reverse("admin:accounts_user_change", args=[staff_a.pk])
    data = admin_form_data(admin_client_.get(url))
    data["last_name"] = "Lefèvre-Martin"
    response = admin_client_.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    entry = _entries_for(staff_a).filter(action=LogEntry.Action.UPDATE).latest("id")
    assert entry.actor == group_admin and entry.remote_addr == "192.0.2.44"
    assert "last_name" in entry.changes_dict
    assert "password" not in entry.changes_dict


def test_coordinator_change_is_recorded_as_theirs(coordinator_a, verified_client, unit_a):
    client = verified_client(coordinator_a)
    url = reverse("admin:directory_unit_change", args=[unit_a.pk])
    data = admin_form_data(client.get(url))
    data["nurse_station_phone"] = "4412"
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    unit_a.refresh_from_db()
    assert unit_a.nurse_station_phone == "4412"
    assert _entries_for(unit_a).filter(action=LogEntry.Action.UPDATE).get().actor == coordinator_a


def test_changes_outside_a_request_are_recorded_without_actor(site_a):
    site = Site.objects.get(pk=site_a.pk)
    site.city = "Bron"
    site.save()
    entry = _entries_for(site).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor is None
