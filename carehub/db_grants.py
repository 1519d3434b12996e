"""The application's own PostgreSQL role: every table to read and write, except the access log,
which it may only read and append to.

Migrations run as the owner of the tables; Daphne, Gunicorn and the Celery worker connect as a
role without UPDATE, DELETE or TRUNCATE on the access log, so that a flaw in the application, or
someone holding its credentials, cannot erase who read what. ``manage.py grant_app_role ROLE``
(run as the owner, after ``migrate``) grants it; the default privileges cover tables that later
migrations create.
"""

from __future__ import annotations

from django.db import connection

from carehub.models import AccessLog

#: Tables the application may only SELECT and INSERT.
APPEND_ONLY = (AccessLog,)


def grant_statements(role: str) -> list[str]:
    q = connection.ops.quote_name
    who = q(role)
    schema = "public"
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {who}",
    ]
    statements += [f"REVOKE UPDATE, DELETE, TRUNCATE ON {q(m._meta.db_table)} FROM {who}" for m in APPEND_ONLY]
    return statements


def grant_app_role(role: str) -> list[str]:
    statements = grant_statements(role)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements
