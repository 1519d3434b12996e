"""Security headers on every response, private caching, /healthz."""

import io
import json
from http import HTTPStatus

import pytest
from django.urls import reverse
from PIL import Image

from tests.accounts.flows import fresh_client


def _csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _assert_security_headers(response):
    csp = _csp(response)
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src is not None
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in csp.get("default-src", [])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/", "/healthz", "/accounts/password/reset/", "/does-not-exist/"],
)
def test_anonymous_responses_carry_the_security_headers(db, path):
    response = fresh_client().get(path)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.NOT_FOUND)
    _assert_security_headers(response)


@pytest.mark.parametrize("path", ["/static/css/carehub.css", "/static/img/favicon.svg", "/static/js/carehub.js"])
def test_static_files_served_by_whitenoise_carry_the_security_headers(db, settings, path):
    # As after collectstatic: WhiteNoise answers before Django's views.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = fresh_client().get(path)
    assert response.status_code == HTTPStatus.OK
    assert "whitenoise" in type(response).__module__
    _assert_security_headers(response)


@pytest.mark.parametrize("path", ["/", "/accounts/security/", "/admin/", "/does-not-exist/"])
def test_signed_in_pages_carry_the_headers_and_are_never_stored(coordinator_a, verified_client, path):
    response = verified_client(coordinator_a).get(path)
    _assert_security_headers(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_error_pages_carry_the_headers(verified_client, staff_a):
    response = verified_client(staff_a).post(reverse("session_keepalive"), {"next": "/"}, headers={"host": "evil.test"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    _assert_security_headers(response)


def test_no_inline_script_in_the_pages(staff_a, verified_client):
    html = verified_client(staff_a).get("/").content.decode()
    assert "<script>" not in html
    assert " onclick=" not in html and " style=" not in html
    for chunk in html.split("<script")[1:]:
        assert "src=" in chunk.split(">")[0], chunk[:200]


def test_healthz_reports_each_service_without_authentication(db, media_root):
    response = fresh_client().get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.content)
    # Nothing but the status of each backing service: no versions, hosts or counts. Eager Celery
    # without the embedded scheduler (the suite's settings) expects no heartbeat: "off".
    assert body == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "cache": "ok",
            "channel_layer": "ok",
            "media": "ok",
            "worker": "off",
            "beat": "off",
        },
        "heartbeats": {"worker": {"age": None}, "beat": {"age": None}},
    }
    assert "no-store" in response.headers["Cache-Control"] or "max-age=0" in response.headers["Cache-Control"]


@pytest.mark.parametrize("failing", ["_check_database", "_check_cache", "_check_channel_layer", "_check_media"])
def test_healthz_answers_503_when_a_service_fails(db, media_root, monkeypatch, failing):
    def broken():
        raise ConnectionError("redis://secret-host:6379 refused password hunter2")

    monkeypatch.setattr(f"carehub.views.{failing}", broken)
    response = fresh_client().get("/healthz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = json.loads(response.content)
    assert body["status"] == "error"
    name = failing.removeprefix("_check_")
    assert body["checks"][name] == "error"
    assert sum(v == "ok" for v in body["checks"].values()) == 3
    # The exception text (hosts, passwords) never reaches the client.
    assert b"secret-host" not in response.content and b"hunter2" not in response.content


def test_healthz_answers_503_when_a_check_says_no(db, monkeypatch):
    monkeypatch.setattr("carehub.views._check_cache", lambda: False)
    response = fresh_client().get("/healthz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(response.content)["checks"]["cache"] == "error"


def test_healthz_is_get_only(db):
    assert fresh_client().post("/healthz").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_browsers_asking_for_favicon_ico_get_the_icon(db):
    response = fresh_client().get("/favicon.ico")
    icon = Image.open(io.BytesIO(response.content))
    assert (response.status_code, icon.format) == (HTTPStatus.OK, "ICO")
