"""Sign-in with the group's directory password (LDAP, Active Directory), through django-python3-ldap.

Search, then bind: CareHub binds as ``LDAP_BIND_DN`` (or anonymously), finds the one entry that
``LDAP_USER_FILTER`` gives for what the person typed, and binds as that entry with the password
typed. A right password links to the EXISTING staff account the entry designates
(accounts/external_signin.py: ``LDAP_LINK_ATTRIBUTE`` against the HR identifier, else the
``LDAP_EMAIL_ATTRIBUTE`` address, which the group's own directory vouches for). No account is
ever made or changed here, and a directory never vouches for a second factor: CareHub's own is
asked after it, as after a CareHub password (accounts/middleware.py).

The sign-in form is the usual one: its rate limits and its access-log entries hold for this
path too (a refusal here is an ordinary failed sign-in; the application log says why).
"""

from __future__ import annotations

import logging

import ldap3
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django_python3_ldap import ldap
from ldap3.utils.conv import escape_filter_chars

from . import external_signin

logger = logging.getLogger(__name__)


def bind_name(model_fields: dict) -> str:
    """LDAP_AUTH_FORMAT_USERNAME: CareHub binds with full DNs (the service account's, then the entry's)."""
    return next(iter(model_fields.values()))


def _first(attributes: dict, name: str) -> str:
    if not name:
        return ""
    value = attributes.get(name) or ""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value).strip()


def _entry_for(login: str) -> dict | None:
    """The one directory entry for what the person typed (None: none, several, or no directory)."""
    wanted = [a for a in (settings.LDAP_EMAIL_ATTRIBUTE, settings.LDAP_LINK_ATTRIBUTE) if a]
    with ldap.connection() as found:
        if found is None:
            logger.warning("LDAP: the directory cannot be reached or refused the service account")
            return None
        # django-python3-ldap's Connection searches by its own field mapping; the filter here is the
        # deployment's (AD: userPrincipalName or mail), so the search goes through the ldap3 connection.
        conn = found._connection
        conn.search(
            search_base=settings.LDAP_SEARCH_BASE,
            search_filter=settings.LDAP_USER_FILTER.format(login=escape_filter_chars(login)),
            search_scope=ldap3.SUBTREE,
            attributes=wanted,
            size_limit=2,
        )
        entries = [e for e in conn.response if e.get("type") == "searchResEntry"]
    if len(entries) != 1:
        if entries:
            logger.warning("LDAP: several entries match the sign-in %r: refused", login)
        return None
    return entries[0]


class LDAPBackend(ModelBackend):
    """Tried after CareHub's own password (settings.AUTHENTICATION_BACKENDS), when LDAP_URL is set."""

    def authenticate(self, request, email=None, password=None, username=None, **kwargs):
        login = (email or username or "").strip()
        # An empty password would be an "unauthenticated bind", which many servers accept.
        if not login or not password or not settings.LDAP_URL:
            return None
        entry = _entry_for(login)
        if entry is None:
            return None
        with ldap.connection(dn=entry["dn"], password=password) as bound:
            if bound is None:
                return None
        attributes = entry.get("attributes") or {}
        try:
            return external_signin.staff_for_identity(
                email=_first(attributes, settings.LDAP_EMAIL_ATTRIBUTE),
                email_verified=True,
                link_value=_first(attributes, settings.LDAP_LINK_ATTRIBUTE),
            )
        except external_signin.SignInRefused as refused:
            logger.warning("sign-in through LDAP refused (%s) for %s", refused.reason, entry["dn"])
            return None

    async def aauthenticate(self, request, **credentials):
        from asgiref.sync import sync_to_async

        return await sync_to_async(self.authenticate)(request, **credentials)
