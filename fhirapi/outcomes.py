"""FHIR answers: resources as ``application/fhir+json``, every refusal as an OperationOutcome."""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpResponse

CONTENT_TYPE = "application/fhir+json; charset=utf-8"


def fhir_response(resource: dict, status: int = HTTPStatus.OK, **headers) -> HttpResponse:
    response = HttpResponse(
        json.dumps(resource, ensure_ascii=False, separators=(",", ":")), status=status, content_type=CONTENT_TYPE
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class FhirError(Exception):
    """A refusal: raised anywhere below a view, answered as an OperationOutcome with its status.

    ``code`` is the FHIR issue type (invalid, not-found, forbidden, login, throttled…), ``messages`` the
    translated explanations, ``expressions`` the FHIRPath of the faulty element where known.
    """

    def __init__(self, status: int, code: str, *messages: str, expression: str = "", headers=None):
        super().__init__(*messages)
        self.status, self.code, self.messages = status, code, messages
        self.expression = expression
        self.headers = headers or {}


def outcome(code: str, messages, *, expression: str = "", severity: str = "error") -> dict:
    issues = []
    for text in messages or [""]:
        issue = {"severity": severity, "code": code}
        if text:
            issue["diagnostics"] = str(text)
        if expression:
            issue["expression"] = [expression]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def error_response(error: FhirError) -> HttpResponse:
    response = fhir_response(outcome(error.code, error.messages, expression=error.expression), error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response
