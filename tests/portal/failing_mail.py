from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses everything (SMTP down)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")
