"""The deployment's JSON log: one object per line, with the request's context, never health content."""

import io
import json
import logging
import uuid
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from carehub import logs
from coordination.models import CareNote
from messaging.models import Message
from tests.accounts.flows import fresh_client
from tests.coordination.factories import ResidentFactory, target
from tests.messaging.factories import group_with

NOTE_BODY = "Zorglub-escarre-sacrum-4412"
MESSAGE_BODY = "Quibble-glycemie-0.42-bleu"


@pytest.fixture
def json_log():
    """Every record of the test, at every level, through the deployment's JSON formatter and filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonLogFormatter())
    handler.addFilter(logs.RequestContextFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def _lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_settings_format_logs_as_json_when_asked(monkeypatch):
    from tests.carehub.test_settings_variables import PRODUCTION, load_settings

    settings = load_settings(monkeypatch, **PRODUCTION, LOG_FORMAT="json")
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"
    assert load_settings(monkeypatch, **PRODUCTION).LOGGING["handlers"]["console"]["formatter"] == "plain"


def test_a_line_is_one_json_object_with_the_requests_context(json_log, verified_client, staff_a, site_a):
    client = verified_client(staff_a)
    response = client.get(reverse("coordination:resident_list") + "nowhere/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    refusal = next(line for line in _lines(json_log) if line["logger"] == "django.request")
    assert refusal["request_id"] == response.headers["X-Request-ID"]
    assert refusal["user_id"] == staff_a.pk
    assert refusal["level"] == "WARNING"
    assert refusal["message"].startswith("Not Found")
    assert {"timestamp", "level", "logger", "message", "request_id", "user_id"} <= set(refusal)
    # Django attaches the request object to the record: its text (with the query string) is not logged.
    assert "request" not in refusal


def test_the_site_is_named_when_the_policy_knows_it(json_log, verified_client, staff_a, site_a, site_b, unit_b):
    """A resident of another site: the policy refuses (404) after reading the person's one site."""
    elsewhere = ResidentFactory(site=site_b, unit=unit_b)
    response = verified_client(staff_a).get(reverse("coordination:resident_detail", args=[elsewhere.public_id]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    line = next(line for line in _lines(json_log) if line["logger"] == "django.request")
    assert (line["user_id"], line["site_id"]) == (staff_a.pk, site_a.pk)


def test_no_context_is_left_after_the_request(json_log, db):
    fresh_client().get("/does-not-exist/")
    logging.getLogger("carehub.tests").warning("after the request")
    after = _lines(json_log)[-1]
    assert (after["message"], "request_id" in after, "user_id" in after) == ("after the request", False, False)


def test_each_request_gets_its_own_id(db):
    client = fresh_client()
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert logs.SANE_REQUEST_ID.fullmatch(first.headers["X-Request-ID"])


@pytest.mark.parametrize(
    ("trusted", "sent", "kept"),
    [
        (["127.0.0.1"], "proxy-id-0123456789", True),
        ([], "proxy-id-0123456789", False),  # anyone may send the header: only our proxies are believed
        (["127.0.0.1"], 'bad id "with quotes"', False),
        (["127.0.0.1"], "x" * 200, False),
    ],
)
def test_an_incoming_request_id_is_kept_only_from_a_trusted_proxy(db, settings, trusted, sent, kept):
    settings.TRUSTED_PROXIES = trusted
    response = Client(REMOTE_ADDR="127.0.0.1").get("/healthz", headers={"X-Request-ID": sent})
    assert (response.headers["X-Request-ID"] == sent) is kept


def test_note_and_message_bodies_are_in_no_log_line(
    json_log, verified_client, staff_a, coordinator_a, site_a, unit_a, django_capture_on_commit_callbacks
):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    target("douleur")  # the seeded targets are gone after a transactional test on this worker
    client = verified_client(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        noted = client.post(
            reverse("coordination:note_create", args=[resident.public_id]),
            {
                "target": "douleur",
                "data": NOTE_BODY,
                "action": NOTE_BODY,
                "result": "",
                "priority": "urgent",
                "client_token": str(uuid.uuid4()),
            },
        )
        group = group_with(staff_a, coordinator_a)
        sent = client.post(
            reverse("messaging:conversation", kwargs={"public_id": group.public_id}),
            {"body": MESSAGE_BODY, "client_token": str(uuid.uuid4()), "urgent": "on"},
        )
    assert (noted.status_code, sent.status_code) == (HTTPStatus.FOUND, HTTPStatus.FOUND)
    assert CareNote.objects.filter(data=NOTE_BODY).exists() and Message.objects.filter(body=MESSAGE_BODY).exists()
    # A refused post logs its request too (the form error page): still no body.
    client.post(reverse("messaging:conversation", kwargs={"public_id": uuid.uuid4()}), {"body": MESSAGE_BODY})
    text = json_log.getvalue()
    assert text, "the requests logged nothing: the test would prove nothing"
    assert NOTE_BODY not in text and MESSAGE_BODY not in text
