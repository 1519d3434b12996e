"""The access log's seal: a writer who holds the database but not the audit key cannot rewrite the
chain unseen; checkpoints kept outside the database anchor it (carehub/audit_seal.py)."""

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from carehub import audit_seal
from carehub.access_log import append, log_access
from carehub.models import AccessLog, AccessLogHead


@pytest.fixture
def chain(staff_a, site_a):
    for n in range(6):
        log_access(None, AccessLog.Action.SEARCH, user=staff_a, query=f"recherche {n}", site_id=site_a.pk)
    return list(AccessLog.objects.order_by("id"))


@pytest.fixture
def checkpoints(tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    return tmp_path / "checkpoints.jsonl"


def _verify(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def _rewrite(entries, *, start: int, key: bytes | None) -> None:
    """What a writer with database access does: edit, then re-hash every entry from ``start`` on,
    with a key of her own or with plain SHA-256 (and the entries marked unsealed)."""
    prev = entries[start - 1].hash if start else "0" * 64
    with connection.cursor() as cursor:
        for entry in entries[start:]:
            entry.prev_hash = prev
            raw = entry.hash_input()
            entry.hash = audit_seal.seal(raw, key) if key else hashlib.sha256(raw).hexdigest()
            cursor.execute(
                "UPDATE carehub_accesslog SET actor = %s, at = %s, prev_hash = %s, hash = %s, sealed = %s WHERE id = %s",
                [entry.actor, entry.at, entry.prev_hash, entry.hash, key is not None, entry.pk],
            )
            prev = entry.hash
        cursor.execute("UPDATE carehub_accessloghead SET last_hash = %s WHERE id = 1", [prev])


def test_new_entries_are_sealed_with_the_audit_key(chain):
    assert [e.sealed for e in chain] == [True] * 6


def test_an_edit_rehashed_with_another_key_is_reported_at_the_edited_entry(chain):
    chain[3].actor = "faussaire@carehub.test"
    _rewrite(chain, start=3, key=b"a key of the forger's own")
    with pytest.raises(CommandError, match=rf"#{chain[3].pk} .*content does not match its hash"):
        _verify()


@pytest.fixture
def day_old_chain(staff_a):
    """Three entries sealed yesterday, three today: the upgrade to the key is long past."""
    yesterday = timezone.now() - timedelta(days=1)
    for n in range(6):
        append(
            actor=staff_a.email,
            action=AccessLog.Action.SEARCH,
            query=f"recherche {n}",
            at=yesterday if n < 3 else timezone.now(),
        )
    return list(AccessLog.objects.order_by("id"))


def test_an_edit_rehashed_without_a_key_is_reported_at_the_edited_entry(day_old_chain):
    day_old_chain[3].actor = "faussaire@carehub.test"
    _rewrite(day_old_chain, start=3, key=None)
    with pytest.raises(CommandError, match=rf"#{day_old_chain[3].pk} .*without the audit key's seal after sealed"):
        _verify()


def test_an_unsealed_entry_re_dated_into_the_upgrade_hour_is_reported(day_old_chain):
    day_old_chain[4].at = day_old_chain[2].at  # back among yesterday's, after one of today's
    _rewrite(day_old_chain, start=4, key=None)
    with pytest.raises(CommandError, match=rf"#{day_old_chain[4].pk} .*re-dated"):
        _verify()


def test_a_whole_tail_re_dated_into_the_upgrade_hour_is_caught_by_a_checkpoint(day_old_chain, checkpoints):
    audit_seal.checkpoint_write()
    for entry in day_old_chain[3:]:
        entry.at = day_old_chain[2].at
    _rewrite(day_old_chain, start=3, key=None)
    with pytest.raises(CommandError, match="no longer matches the checkpoint"):
        _verify()


def test_a_chain_rewritten_from_the_start_without_the_key_is_caught_by_a_checkpoint(chain, checkpoints):
    audit_seal.checkpoint_write()
    chain[1].actor = "faussaire@carehub.test"
    _rewrite(chain, start=0, key=None)  # every entry "from before the key": the links all hold
    with pytest.raises(CommandError, match=rf"entry #{chain[-1].pk} no longer matches the checkpoint"):
        _verify()


def test_entries_from_before_the_key_verify_and_come_first(chain, staff_a):
    # An upgraded 0.3 database: its entries were plain SHA-256, and the new ones follow, sealed.
    _rewrite(chain, start=0, key=None)
    log_access(None, AccessLog.Action.VIEW, user=staff_a)
    assert "7 entries verified" in _verify()


def test_entries_sealed_with_an_earlier_key_still_verify(chain, settings):
    settings.AUDIT_CHAIN_OLD_KEYS = ["the key before the rotation"]
    _rewrite(chain, start=0, key=b"the key before the rotation")
    assert "6 entries verified" in _verify()


def test_a_checkpoint_goes_to_the_log(chain, caplog, settings):
    settings.AUDIT_CHECKPOINT_FILE = ""
    with caplog.at_level("INFO", logger="carehub.audit"):
        audit_seal.checkpoint_write()
    assert [json.loads(r.getMessage())["last_id"] for r in caplog.records if r.name == "carehub.audit"] == [
        chain[-1].pk
    ]


def test_a_checkpoint_is_appended_to_the_file_once_per_change(chain, checkpoints, staff_a):
    audit_seal.checkpoint_write()
    audit_seal.checkpoint_write()  # nothing new: no second line
    log_access(None, AccessLog.Action.VIEW, user=staff_a)
    audit_seal.checkpoint_write()
    lines = checkpoints.read_text().splitlines()
    assert [json.loads(line)["last_id"] for line in lines] == [chain[-1].pk, chain[-1].pk + 1]


def test_the_checkpoints_verify_from_the_file(chain, checkpoints):
    audit_seal.checkpoint_write()
    assert "1 checkpoints verified" in _verify()


def test_an_edited_checkpoint_is_reported(chain, checkpoints):
    audit_seal.checkpoint_write()
    record = json.loads(checkpoints.read_text())
    record["last_id"] -= 1
    checkpoints.write_text(json.dumps(record) + "\n")
    with pytest.raises(CommandError, match="not sealed by the audit key"):
        _verify()


def test_checkpoints_verify_from_a_json_log_extract(chain, tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = ""
    record = audit_seal.checkpoint_write()
    extract = tmp_path / "journal.txt"
    log_line = {"time": "2026-12-04T20:00:00Z", "level": "INFO", "logger": "carehub.audit"}
    log_line["message"] = json.dumps(record)
    extract.write_text("noise\n" + json.dumps(log_line) + "\n")
    assert "1 checkpoints verified" in _verify("--checkpoints", str(extract))


def test_the_head_table_is_what_a_checkpoint_seals(chain, checkpoints):
    record = audit_seal.checkpoint_write()
    head = AccessLogHead.objects.get(pk=1)
    assert (record["last_id"], record["last_hash"]) == (head.last_id, head.last_hash)


def test_an_entry_written_by_a_0_3_process_during_the_upgrade_verifies(chain):
    """A process of the previous version inserts without the column: the database marks it unsealed."""
    entry = AccessLog(actor="ancien@carehub.test", action="view", prev_hash=chain[-1].hash, at=chain[-1].at)
    plain = hashlib.sha256(entry.hash_input()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO carehub_accesslog (at, actor, action, object_type, object_id, object_repr, query, "
            "user_agent, prev_hash, hash) VALUES (%s, %s, 'view', '', '', '', '', '', %s, %s)",
            [entry.at, entry.actor, entry.prev_hash, plain],
        )
        cursor.execute("UPDATE carehub_accessloghead SET last_hash = %s WHERE id = 1", [plain])
    log_access(None, AccessLog.Action.VIEW, user=chain[0].user)  # and the new version goes on, sealed
    assert "8 entries verified" in _verify()
