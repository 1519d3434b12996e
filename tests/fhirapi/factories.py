"""API tokens made through the real service, and a client that sends them."""

from __future__ import annotations

from django.test import Client

from fhirapi.models import SCOPE_CHOICES
from fhirapi.tokens import api_token_create
from tests.factories import make_group_admin

EVERY_SCOPE = [value for value, _label in SCOPE_CHOICES]
READ_SCOPES = [value for value in EVERY_SCOPE if value.endswith(".read")]


def make_token(*sites, name="DPI", scopes=None, created_by=None, **fields):
    creator = created_by or make_group_admin(email=f"admin.{name.lower().replace(' ', '.')}@fhir.test")
    return api_token_create(
        created_by=creator, name=name, sites=sites, scopes=EVERY_SCOPE if scopes is None else scopes, **fields
    )


def api_client(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="fr")
