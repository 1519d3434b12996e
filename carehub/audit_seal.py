"""The access log's seal: a key held outside the database, and checkpoints kept outside it.

Each entry's hash is an HMAC-SHA256 under the audit key (AUDIT_CHAIN_KEY, or a key derived
from SECRET_KEY), so that someone who can write to the database but does not hold the key
cannot edit an entry and re-hash the chain after it: ``verify_audit`` finds the break.

Checkpoints anchor the chain outside the database: the head's id and hash, sealed with the
key, logged by the ``carehub.audit`` logger (which production ships to syslog or journald)
and appended to AUDIT_CHECKPOINT_FILE when set. They cover what the key alone cannot: the
entries hashed before the key existed (CareHub 0.3), and a chain rewritten from scratch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("carehub.audit")

#: Marks a checkpoint, whether read from the checkpoint file or from a log line that carries it.
CHECKPOINT_MARK = "audit_checkpoint"


def _derived(secret: str) -> bytes:
    return hashlib.sha256(b"carehub.audit-chain:" + secret.encode()).digest()


def keys() -> list[bytes]:
    """The key that seals new entries first, then the earlier ones that still verify old entries."""
    if settings.AUDIT_CHAIN_KEY:
        current = [settings.AUDIT_CHAIN_KEY.encode()]
    else:
        current = [_derived(settings.SECRET_KEY)]
    older = [key.encode() for key in settings.AUDIT_CHAIN_OLD_KEYS]
    if not settings.AUDIT_CHAIN_KEY:
        # Without a key of its own the seal follows SECRET_KEY, and so do its rotations.
        older += [_derived(secret) for secret in settings.SECRET_KEY_FALLBACKS]
    return current + older


def seal(raw: bytes, key: bytes | None = None) -> str:
    return hmac.new(key or keys()[0], raw, hashlib.sha256).hexdigest()


def sealed_by_a_key(raw: bytes, expected: str) -> bool:
    return any(hmac.compare_digest(seal(raw, key), expected) for key in keys())


def _checkpoint_raw(record: dict) -> bytes:
    body = {k: record[k] for k in ("at", "last_id", "last_hash")}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_write() -> dict | None:
    """Seal the head of the chain outside the database (log line, and the file when set).

    Returns the checkpoint, or None when nothing was appended since the last one of this process's file.
    """
    from carehub.models import AccessLogHead

    head = AccessLogHead.objects.filter(pk=1).values("last_id", "last_hash").first()
    if head is None:
        return None
    path = checkpoint_path()
    if path is not None:
        last = _last_checkpoint(path)
        if last is not None and last["last_id"] == head["last_id"] and last["last_hash"] == head["last_hash"]:
            return None
    record = {CHECKPOINT_MARK: 1, "at": timezone.now().isoformat(), **head}
    record["seal"] = seal(_checkpoint_raw(record))
    line = json.dumps(record, sort_keys=True, separators=(",", ":"))
    logger.info(line)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
    return record


def checkpoint_path() -> Path | None:
    return Path(settings.AUDIT_CHECKPOINT_FILE) if settings.AUDIT_CHECKPOINT_FILE else None


def _last_checkpoint(path: Path) -> dict | None:
    last = None
    if path.exists():
        for record in read_checkpoints(path.read_text(encoding="utf-8").splitlines()):
            last = record
    return last


def read_checkpoints(lines) -> list[dict]:
    """Checkpoints in these lines: checkpoint lines as written, or JSON log lines whose message is one."""
    found = []
    for line in lines:
        start = line.find("{")
        if start < 0 or CHECKPOINT_MARK not in line:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if CHECKPOINT_MARK not in record and isinstance(record.get("message"), str):
            try:
                record = json.loads(record["message"])
            except ValueError:
                continue
        if isinstance(record, dict) and CHECKPOINT_MARK in record:
            found.append(record)
    return found


@dataclass
class CheckpointReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    last: dict | None = None


def checkpoints_verify(records: list[dict]) -> CheckpointReport:
    """Each checkpoint is sealed by the key, and the database still holds its entry with its hash."""
    from carehub.models import AccessLog

    report = CheckpointReport()
    wanted = {r.get("last_id") for r in records if isinstance(r.get("last_id"), int)}
    hashes = dict(AccessLog.objects.filter(pk__in=wanted).values_list("pk", "hash"))
    for record in records:
        try:
            raw = _checkpoint_raw(record)
        except KeyError:
            report.problems.append(f"a checkpoint lacks its fields: {record!r}")
            continue
        if not sealed_by_a_key(raw, str(record.get("seal", ""))):
            report.problems.append(
                f"the checkpoint of {record['at']} is not sealed by the audit key: the checkpoints were edited"
            )
            continue
        if record["last_id"] and hashes.get(record["last_id"]) != record["last_hash"]:
            report.problems.append(
                f"entry #{record['last_id']} no longer matches the checkpoint of {record['at']}: "
                "entries up to it were altered or removed"
            )
            continue
        report.checked += 1
        report.last = record
    return report
