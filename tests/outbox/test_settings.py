"""The outbox's settings are checked at start-up, like every other setting."""

from tests.carehub.test_settings import _manage, production_env


def test_an_email_retry_longer_than_the_visibility_timeout_stops_start_up():
    # The redelivered task would find the mark still fresh and skip the e-mail: it would never go.
    result = _manage("check", **production_env(CELERY_VISIBILITY_TIMEOUT="60", OUTBOX_SENDING_RETRY_AFTER="120"))
    assert "OUTBOX_SENDING_RETRY_AFTER must not exceed CELERY_VISIBILITY_TIMEOUT" in result.stderr


def test_the_visibility_timeout_reaches_the_broker_transport():
    code = "from django.conf import settings as s; print(s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"
    result = _manage("shell", "--verbosity", "0", "-c", code, **production_env(CELERY_VISIBILITY_TIMEOUT="321"))
    assert result.stdout.split() == ["321"]
