"""Writing and checking the access log. Logging a read is one line in a view:

log_access(request, AccessLog.Action.VIEW, resident)

A page that shows several residents (a list, a search, the handover) names each of them:
log_access(request, AccessLog.Action.VIEW, *residents, query="residents list").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from .models import GENESIS_HASH, AccessLog, AccessLogHead


def client_ip(request) -> str | None:
    # The client's address behind trusted proxies (carehub.proxies put it in REMOTE_ADDR).
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def subject_of(obj):
    """The public id of the resident ``obj`` concerns, or None (a site, a staff member…)."""
    subject = getattr(obj, "access_log_subject_id", None)
    return subject() if callable(subject) else subject


def _object_fields(obj) -> dict:
    if obj is None:
        return {}
    public_id = getattr(obj, "public_id", None)
    return {
        "object_type": obj._meta.label_lower,
        "object_id": str(public_id or obj.pk),
        "object_repr": str(obj)[:255],
        "site_id": getattr(obj, "access_log_site_id", getattr(obj, "site_id", None)),
        "subject_id": subject_of(obj),
    }


def append(**fields) -> AccessLog:
    """Append one entry to the chain. Holds the head row lock for the insert only."""
    return append_all([fields])[-1]


def append_all(rows: list[dict]) -> list[AccessLog]:
    """Append entries to the chain in one insert: a page naming 50 residents costs what one does."""
    with transaction.atomic():
        head, _ = AccessLogHead.objects.select_for_update().get_or_create(pk=1)
        entries, prev_hash = [], head.last_hash
        for fields in rows:
            entry = AccessLog(prev_hash=prev_hash, **fields)
            entry.hash = prev_hash = entry.compute_hash()
            entries.append(entry)
        if len(entries) == 1:
            entries[0].save()
        else:
            AccessLog.objects.bulk_create(entries)
        head.last_hash, head.last_id = entries[-1].hash, entries[-1].pk
        head.save(update_fields=["last_hash", "last_id"])
    return entries


#: How an entry names software that read through an API token (carehub.policy.ApiClient): no account
#: behind it, the token's name instead of an e-mail.
API_CLIENT_ACTOR = "api:{name}"


def log_access(
    request, action: str, *objs, user=None, query: str = "", site_id=None, actor: str = "", client=None
) -> AccessLog:
    """Record that the request's user (or the API ``client``) did ``action`` on each of ``objs`` (or
    searched ``query``): one entry per object, or one without an object when none is given. Returns
    the last entry."""
    if client is not None:
        # Whatever session the request may carry, the reader is the token.
        user, actor = None, API_CLIENT_ACTOR.format(name=client.name)
    else:
        user = user if user is not None else getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    meta = request.META if request is not None else {}
    common = {
        "user": user,
        "actor": (actor or (user.email if user else ""))[:254],
        "action": action,
        "query": query[:500],
        "ip": client_ip(request),
        "user_agent": meta.get("HTTP_USER_AGENT", "")[:300],
    }
    rows = []
    for obj in dict.fromkeys(objs) or (None,):
        fields = _object_fields(obj)
        if site_id is not None:
            fields["site_id"] = site_id
        rows.append(common | fields)
    return append_all(rows)[-1]


def log_resident_reads(request, action: str, objs, *, query: str = "") -> None:
    """Log the objects among ``objs`` that concern a resident, the first one of each resident (a page of
    documents, conversations or history rows names the residents it shows). Nothing is written when
    none does, unless ``query`` says what was searched."""
    first: dict = {}
    for obj in objs:
        if (subject := subject_of(obj)) is not None:
            first.setdefault(subject, obj)
    if first or query:
        log_access(request, action, *first.values(), query=query)


def log_refusal(request, obj=None) -> AccessLog:
    """A signed-in person was refused an object (ASVS 16.3.2): the address she tried is the trace."""
    return log_access(request, AccessLog.Action.REFUSED, obj, query=f"{request.method} {request.path}")


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.reason


#: During a rolling upgrade from 0.3, processes of the old version still write plain SHA-256 entries
#: between sealed ones; later than this after the first sealed entry, an unsealed one was re-hashed
#: by someone without the key.
UPGRADE_GRACE = timedelta(hours=1)
#: Entries are numbered in the order they take the chain's lock, timed just before: nodes' clocks and
#: lock waits let a time step back a little, never by this much (a re-dated entry).
CLOCK_TOLERANCE = timedelta(minutes=5)


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in id order and report the first entry that does not fit."""
    prev_hash, checked, last_id = GENESIS_HASH, 0, 0
    first_sealed_at = prev_at = None
    while True:
        batch = list(AccessLog.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.prev_hash != prev_hash:
                return ChainReport(
                    checked, entry.pk, "previous hash does not match: an entry before it was removed or altered"
                )
            if prev_at is not None and entry.at < prev_at - CLOCK_TOLERANCE:
                return ChainReport(checked, entry.pk, "its time goes back before the entry before it: it was re-dated")
            if not entry.sealed and first_sealed_at is not None and entry.at > first_sealed_at + UPGRADE_GRACE:
                return ChainReport(checked, entry.pk, "entry without the audit key's seal after sealed ones")
            if not entry.hash_matches():
                return ChainReport(checked, entry.pk, "content does not match its hash: the entry was altered")
            if entry.sealed and first_sealed_at is None:
                first_sealed_at = entry.at
            prev_hash, last_id, prev_at = entry.hash, entry.pk, max(entry.at, prev_at or entry.at)
            checked += 1
    head = AccessLogHead.objects.filter(pk=1).first()
    if head and head.last_hash != prev_hash:
        return ChainReport(checked, head.last_id, "the last entries of the chain were removed")
    return ChainReport(checked)
