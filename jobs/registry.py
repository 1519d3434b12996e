"""The kinds of background job: one registry, filled by each app's ``job_kinds`` module.

A kind says how to make its file (``run``), who may ask for it and still get it
(``may_request`` on the request, ``allowed`` on the data: checked when it is
asked for, when it runs and at every download), and what the access log records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from carehub import policy


@dataclass
class Result:
    """What a job made: a file (bytes or an open binary file), its download name and type."""

    content: bytes | IO[bytes]
    name: str
    content_type: str
    #: One line for the job's page ("Import done: 3 new records, …").
    summary: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    #: run(job, progress) -> Result, in the requester's language; progress(done, total) as it goes.
    run: Callable[..., Result]
    #: The rows of the data the job reads (a resident, the requester's sites): may this user still read them?
    allowed: Callable[[Any, dict], bool]
    #: The object the access log entries are about (a resident), or None.
    subject: Callable[[dict], Any] = lambda parameters: None
    #: The view guard of the pages that ask for this kind (the coordinators' panel's own test).
    may_request: Callable[[Any], bool] = lambda request: policy.is_active_staff(request.user)
    #: The access log's words for it ("access history (PDF)"), the same as when it was built in the request;
    #: empty: the request and the downloads are not about one person's data and are not logged (an import).
    log_query: str = ""
    #: Parameters dropped once the job has run (an uploaded file's text: not kept longer than needed).
    private_parameters: tuple[str, ...] = ()


#: The parameter holding the id of the access log entry of the request (jobs.services.job_submit):
#: an export of the access log itself stops before it, as when it was built in the request.
LOG_ENTRY = "log_entry"

_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name in _KINDS:
        raise ValueError(f"job kind {kind.name!r} registered twice")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> Kind:
    return _KINDS[name]


def known(name: str) -> bool:
    return name in _KINDS
