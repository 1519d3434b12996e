"""Error reports (Sentry): off unless SENTRY_DSN is set, and never carrying health data."""

import json
import subprocess
import sys
from pathlib import Path

import sentry_sdk
from sentry_sdk.utils import event_from_exception

from carehub import errors_reporting

BASE_DIR = Path(__file__).resolve().parents[2]
NOTE_BODY = "Escarre sacrée stade 3, Mme Dupont pleure la nuit"


class _Captured(sentry_sdk.transport.Transport):
    events: list = []

    def capture_envelope(self, envelope):
        _Captured.events.append(envelope.get_event())


def _failing_save(note_body):
    raise ValueError(f"could not save the note: {note_body}")


def _realistic_event() -> tuple[dict, dict]:
    """An error while saving a note, as the SDK builds it with local variables and the Django request."""
    client = sentry_sdk.Client(dsn="https://key@sentry.invalid/1", include_local_variables=True, transport=_Captured)
    try:
        _failing_save(NOTE_BODY)
    except ValueError:
        event, hint = event_from_exception(sys.exc_info(), client_options=client.options)
    event["request"] = {
        "url": "https://carehub.example/residents/4f1c/notes/new/?q=Dupont",
        "method": "POST",
        "query_string": "q=Dupont",
        "data": {"data": NOTE_BODY, "csrfmiddlewaretoken": "t0ken"},
        "cookies": {"sessionid": "s3ssion"},
        "headers": {
            "Cookie": "sessionid=s3ssion",
            "User-Agent": "Firefox",
            "Referer": "https://carehub.example/?q=Dupont",
        },
        "env": {"REMOTE_ADDR": "192.0.2.7"},
    }
    event["breadcrumbs"] = {
        "values": [
            {
                "category": "query",
                "message": "INSERT INTO coordination_carenote (data) VALUES (%s)",
                "data": {"params": [NOTE_BODY]},
            },
            {"category": "django.request", "message": f"note {NOTE_BODY}"},
        ]
    }
    event["logentry"] = {
        "message": "note refused: %s",
        "params": [NOTE_BODY],
        "formatted": f"note refused: {NOTE_BODY}",
    }
    event["extra"] = {"note": NOTE_BODY}
    event["user"] = {"id": "42", "email": "aide@carehub.example", "ip_address": "192.0.2.7"}
    return event, hint


def test_the_scrubber_leaves_no_health_data_in_an_error_report():
    event, hint = _realistic_event()
    assert NOTE_BODY in json.dumps(event, default=str, ensure_ascii=False), (
        "the event must hold the note before scrubbing"
    )
    scrubbed = json.dumps(errors_reporting.scrub_event(event, hint), default=str, ensure_ascii=False)
    assert NOTE_BODY not in scrubbed
    report = json.loads(scrubbed)
    for frame in report["exception"]["values"][0]["stacktrace"]["frames"]:
        for source in ("pre_context", "context_line", "post_context"):
            frame.pop(source, None)  # the lines of code around the error: this very file's, here
    without_code = json.dumps(report, ensure_ascii=False)
    for secret in ("Dupont", "s3ssion", "t0ken", "aide@carehub.example", "192.0.2.7"):
        assert secret not in without_code
    # What is left still says where it failed.
    (exception,) = report["exception"]["values"]
    assert exception["type"] == "ValueError"
    assert "_failing_save" in [frame["function"] for frame in exception["stacktrace"]["frames"]]
    assert all("vars" not in frame for frame in exception["stacktrace"]["frames"])
    assert report["request"] == {
        "method": "POST",
        "url": "https://carehub.example/residents/4f1c/notes/new/",
        "headers": {"User-Agent": "Firefox"},
    }
    assert report["user"] == {"id": "42"}


def test_the_client_sends_reports_through_the_scrubber():
    _Captured.events.clear()
    client = sentry_sdk.Client(
        dsn="https://key@sentry.invalid/1",
        transport=_Captured,
        default_integrations=False,
        include_local_variables=True,
        before_send=errors_reporting.scrub_event,
    )
    event, hint = _realistic_event()
    client.capture_event(event, hint)
    client.flush(timeout=2)
    assert len(_Captured.events) == 1
    assert NOTE_BODY not in json.dumps(_Captured.events[0], default=str, ensure_ascii=False)


def test_without_a_dsn_nothing_is_initialised():
    assert errors_reporting.init("") is False
    assert not sentry_sdk.get_client().is_active()


def _sentry_options(**env) -> dict:
    code = (
        "import json, sentry_sdk; o = sentry_sdk.get_client().options;"
        "print(json.dumps({'active': sentry_sdk.get_client().is_active(), 'pii': o['send_default_pii'],"
        " 'locals': o['include_local_variables'], 'body': o['max_request_body_size'],"
        " 'scrub': getattr(o['before_send'], '__name__', None),"
        " 'integrations': sorted(sentry_sdk.get_client().integrations)}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "HOME": str(BASE_DIR / "var"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_only_sentry_dsn_turns_reports_on():
    assert _sentry_options()["active"] is False
    options = _sentry_options(SENTRY_DSN="https://key@127.0.0.1:9/1")
    assert options["active"] is True
    assert (options["pii"], options["locals"], options["body"], options["scrub"]) == (
        False,
        False,
        "never",
        "scrub_event",
    )
    assert {"django", "celery"} <= set(options["integrations"])
