"""Refusals of messaging that people can understand; ``code`` goes into socket error frames."""

from __future__ import annotations


class MessagingError(Exception):
    """A refusal the person can understand; ``code`` goes into socket error frames."""

    code = "invalid"

    def __init__(self, message, *, code: str | None = None, retry_after: int | None = None):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.retry_after = retry_after


class RateLimited(MessagingError):
    code = "rate_limited"


class NotAllowed(MessagingError):
    code = "forbidden"


class AttachmentRefused(MessagingError):
    code = "file_refused"
