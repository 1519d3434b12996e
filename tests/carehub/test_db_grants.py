"""The application's PostgreSQL role can append to the access log and never alter it (manage.py
grant_app_role), checked by connecting as such a role."""

import uuid
from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from carehub.access_log import log_access
from carehub.models import AccessLog
from tests.conftest import ON_POSTGRES

INSERT = (
    "INSERT INTO carehub_accesslog (at, actor, action, object_type, object_id, object_repr, query, user_agent, "
    "prev_hash, hash, sealed) VALUES (now(), 'app', 'view', '', '', '', '', '', %s, %s, true)"
)


@pytest.fixture
def app_role(transactional_db):
    """A login role granted as the application's, and a connection to the test database as that role."""
    role = f"carehub_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
    call_command("grant_app_role", role)
    params = connection.get_connection_params()
    params.update(user=role, password="")
    params.pop("cursor_factory", None)
    params.pop("context", None)
    conn = psycopg.connect(**{k: v for k, v in params.items() if k in {"host", "port", "dbname", "user", "password"}})
    conn.autocommit = True
    yield conn
    conn.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def entry(staff_a):
    return log_access(None, AccessLog.Action.VIEW, user=staff_a)


def _refused(conn, sql, params=()) -> bool:
    try:
        conn.execute(sql, params)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


@pytest.mark.postgres
def test_the_app_role_appends_to_the_access_log(app_role, entry):
    app_role.execute(INSERT, ["0" * 64, uuid.uuid4().hex * 2])
    assert AccessLog.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE carehub_accesslog SET actor = 'faussaire' WHERE id = %s",
        "DELETE FROM carehub_accesslog WHERE id = %s",
    ],
)
def test_the_app_role_cannot_alter_or_delete_an_entry(app_role, entry, sql):
    assert _refused(app_role, sql, [entry.pk])


@pytest.mark.postgres
def test_the_app_role_cannot_truncate_the_access_log(app_role, entry):
    assert _refused(app_role, "TRUNCATE carehub_accesslog CASCADE")


@pytest.mark.postgres
def test_the_app_role_still_moves_the_chain_head_and_writes_elsewhere(app_role, entry, staff_a):
    app_role.execute("UPDATE carehub_accessloghead SET last_id = last_id WHERE id = 1")
    app_role.execute("UPDATE accounts_user SET first_name = first_name WHERE id = %s", [staff_a.pk])
    assert AccessLog.objects.count() == 1


def test_the_sql_can_be_printed_for_a_database_administrator():
    # No database needed: what a DBA reviews before running it by hand.
    out = StringIO()
    call_command("grant_app_role", "carehub", "--print", stdout=out)
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON "carehub_accesslog" FROM "carehub";' in out.getvalue()


@pytest.mark.skipif(ON_POSTGRES, reason="the embedded database's answer")
@pytest.mark.django_db
def test_on_sqlite_the_command_says_why_it_does_nothing():
    with pytest.raises(CommandError, match="for PostgreSQL"):
        call_command("grant_app_role", "carehub")
