"""Making and checking API tokens: ``chk_<prefix>_<secret>``, sent as ``Authorization: Bearer …``."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from carehub.tokens import hash_token

from .models import ApiToken

TOKEN_PREFIX = "chk_"  # noqa: S105 - the marker of CareHub tokens, not a secret
#: ``last_used_at`` is written at most this often: not one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def new_secret() -> tuple[str, str, str]:
    """(raw token, key prefix, hash of the secret)."""
    key = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}{key}_{secret}", key, hash_token(secret)


@transaction.atomic
def api_token_create(*, created_by, name: str, sites, scopes, expires_at=None) -> tuple[ApiToken, str]:
    """A new token and its raw value, which is not kept anywhere: the caller shows it once."""
    raw, key, digest = new_secret()
    token = ApiToken.objects.create(
        name=name, key_prefix=key, secret_hash=digest, scopes=list(scopes), expires_at=expires_at, created_by=created_by
    )
    token.sites.set(sites)
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def bearer(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_for(raw: str) -> ApiToken | None:
    """The usable token a raw value names, or None (unknown, wrong secret, revoked, expired)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    key, sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not key or not secret:
        return None
    token = ApiToken.objects.select_related("created_by").filter(key_prefix=key).first()
    if token is None or not hmac.compare_digest(token.secret_hash, hash_token(secret)) or not token.is_usable:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
