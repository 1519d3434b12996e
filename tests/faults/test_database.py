"""A database that goes away during a request answers 503 with Retry-After, never the generic 500.

The failures are real: on PostgreSQL the request's own backend is terminated from a second
connection just before the request writes; on SQLite another connection holds the table's
write lock, so the request's write fails with "database table is locked".
"""

import uuid
from http import HTTPStatus

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from carehub.errors import server_error
from coordination.models import CareNote
from tests.conftest import ON_POSTGRES, login_verified
from tests.coordination.factories import ResidentFactory, default_targets
from tests.faults.locks import SqliteLock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def resident(site_a, unit_a):
    default_targets()
    return ResidentFactory(site=site_a, unit=unit_a)


@pytest.fixture
def nurse_client(staff_a):
    # Not re-raising: the test sees what the person sees, the handler's answer.
    return login_verified(Client(raise_request_exception=False), staff_a)


def _post_note(client, resident, **headers):
    data = {
        "target": "douleur",
        "data": "Se plaint de la hanche gauche.",
        "action": "",
        "result": "",
        "priority": "routine",
        "client_token": str(uuid.uuid4()),
    }
    return client.post(reverse("coordination:note_create", args=[resident.public_id]), data, **headers)


def _terminate_own_backend_before_first_insert():
    """An execute wrapper: the first INSERT of the request finds its backend terminated."""
    state = {"done": False}

    def wrapper(execute, sql, params, many, context):
        if not state["done"] and sql.lstrip().upper().startswith("INSERT"):
            state["done"] = True
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        return execute(sql, params, many, context)

    return wrapper


@pytest.fixture
def postgres_backend_terminated():
    if not ON_POSTGRES:
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    with connection.execute_wrapper(_terminate_own_backend_before_first_insert()):
        yield
    connection.close()  # the next query opens a fresh backend


def test_postgres_terminated_backend_answers_503_page(nurse_client, resident, postgres_backend_terminated):
    response = _post_note(nurse_client, resident, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE


def test_postgres_terminated_backend_sets_retry_after(nurse_client, resident, postgres_backend_terminated):
    response = _post_note(nurse_client, resident)
    assert response["Retry-After"] == "10"


def test_postgres_terminated_backend_page_says_nothing_saved_in_french(
    nurse_client, resident, postgres_backend_terminated
):
    response = _post_note(nurse_client, resident, HTTP_ACCEPT_LANGUAGE="fr")
    assert "n’a pas été enregistré" in response.content.decode()


def test_postgres_terminated_backend_page_in_english(nurse_client, resident, postgres_backend_terminated):
    response = _post_note(nurse_client, resident, HTTP_ACCEPT_LANGUAGE="en")
    assert "was not saved" in response.content.decode()


def test_postgres_terminated_backend_saves_nothing(nurse_client, resident, postgres_backend_terminated):
    _post_note(nurse_client, resident)
    connection.close()
    assert CareNote.objects.count() == 0


def test_postgres_terminated_backend_answers_json_to_scripts(nurse_client, resident, postgres_backend_terminated):
    response = _post_note(nurse_client, resident, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()["code"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "database_unavailable")


def test_postgres_terminated_backend_answers_json_to_htmx(nurse_client, resident, postgres_backend_terminated):
    response = _post_note(nurse_client, resident, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["retry_after"] == 10


def test_postgres_next_request_after_termination_works(
    nurse_client, resident, postgres_backend_terminated, fault_report
):
    answers = [_post_note(nurse_client, resident), _post_note(nurse_client, resident)]
    acknowledged = [a.status_code for a in answers].count(HTTPStatus.FOUND)
    stored = CareNote.objects.count()
    fault_report(
        scenario="PostgreSQL backend terminated during a note post, then the next post",
        sent=2,
        acknowledged=acknowledged,
        stored=stored,
        lost=max(0, acknowledged - stored),
        duplicated=max(0, stored - acknowledged),
    )
    assert answers[1].status_code == HTTPStatus.FOUND


# --- SQLite ---------------------------------------------------------------------------------


@pytest.fixture
def sqlite_table_locked():
    with SqliteLock(CareNote._meta.db_table):
        yield


def test_sqlite_locked_sessions_answer_503_to_a_page_read(nurse_client):
    """Raised in a middleware (the session is read there), not in a view: the same answer."""
    with SqliteLock("django_session"):
        response = nurse_client.get("/accounts/security/", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, "try again in a moment" in response.content.decode()) == (
        HTTPStatus.SERVICE_UNAVAILABLE,
        True,
    )


def test_sqlite_page_read_does_not_speak_of_unsaved_work(nurse_client):
    with SqliteLock("django_session"):
        response = nurse_client.get("/accounts/security/", HTTP_ACCEPT_LANGUAGE="en")
    assert "not saved" not in response.content.decode()


def test_sqlite_locked_table_answers_503(nurse_client, resident, sqlite_table_locked):
    response = _post_note(nurse_client, resident, HTTP_ACCEPT_LANGUAGE="fr")
    assert (response.status_code, response["Retry-After"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "10")


def test_sqlite_locked_table_answers_json(nurse_client, resident, sqlite_table_locked):
    response = _post_note(nurse_client, resident, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"] == [
        "CareHub is briefly unavailable. What you just sent was not saved: try again in a moment."
    ]


def test_other_errors_still_answer_the_generic_500(rf):
    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
