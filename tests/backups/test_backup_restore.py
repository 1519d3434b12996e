"""`manage.py backup` makes one consistent set; `manage.py restore` brings it back into a fresh database.

The set is restored as an IT team would on a new server (a subprocess whose environment names a
new database and an empty storage), then the restored site is asked what it holds: the notes,
the documents byte for byte, people who can sign in with their password and their authenticator,
the change history, and an access log whose chain verifies.
"""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import translation

from carehub.access_log import log_access
from carehub.models import AccessLog
from coordination.models import CareNote
from documents.models import DocumentVersion
from tests.coordination.factories import CareNoteFactory, ResidentFactory, target
from tests.documents.factories import FolderFactory, make_document, pdf_bytes, png_bytes
from tests.factories import FamilyUserFactory, SiteFactory, UnitFactory, confirmed_totp, make_staff

#: Backups read committed data (pg_dump runs in its own process): these tests commit theirs.
#: Each such test costs a flush of every table, so one test covers one set's whole story.
committed = pytest.mark.django_db(transaction=True)


def _make_group(media_root) -> dict:
    """A small group as a real site holds it: people with authenticators, residents, notes, documents, logs."""
    site = SiteFactory(name="EHPAD Les Tilleuls")
    unit = UnitFactory(site=site, name="Les Lilas")
    nurse = make_staff(site, unit=unit, email="infirmiere@carehub.test", first_name="Hélène")
    coordinator = make_staff(site, coordinator=True, email="idec@carehub.test", first_name="Claire")
    family = FamilyUserFactory(email="famille@carehub.test")
    for person in (nurse, coordinator, family):
        confirmed_totp(person)
    resident = ResidentFactory(site=site, unit=unit, first_name="Marcel", last_name="Durand")
    resident.photo = default_storage.save("resident-photos/marcel.png", ContentFile(png_bytes()))
    resident.save(update_fields=["photo"])
    CareNoteFactory(resident=resident, author=nurse, target=target("douleur"), data="Douleur à la hanche, EVA 6/10.")
    CareNoteFactory(
        resident=resident,
        author=nurse,
        target=target("sommeil"),
        data="Nuit agitée, s’est levé 3 fois.",
        action="Rassuré, tisane.",
        result="Endormi à 2 h.",
        priority=CareNote.Priority.URGENT,
    )
    folder = FolderFactory(site=site, name="Protocoles", created_by=coordinator)
    contents = {"protocole-chutes.pdf": pdf_bytes("Protocole chutes", "Étape 1"), "plan-étage.png": png_bytes()}
    for name, content in contents.items():
        make_document(folder, coordinator, name=name, content=content)
    for person in (nurse, coordinator):
        log_access(None, AccessLog.Action.VIEW, resident, user=person)
    log_access(None, AccessLog.Action.SEARCH, user=nurse, query="Durand")
    return {"documents": {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}}


def _facts_here() -> dict:
    from tests.backups.restored_facts import facts

    return {key: value for key, value in facts(try_codes=False).items() if key != "verify_audit"}


def _backup(tmp_path: Path) -> Path:
    call_command("backup", output=tmp_path / "sets", verbosity=0)
    (path,) = (tmp_path / "sets").glob("carehub-backup-*.tar")
    return path


def _manifest(path: Path) -> dict:
    with tarfile.open(path) as archive:
        return json.load(archive.extractfile("manifest.json"))


def _tampered(path: Path, tmp_path: Path, member_name: str) -> Path:
    """The set with one byte of one member changed, same size: what a bad disk or a hand would do."""
    out = tmp_path / "tampered.tar"
    with tarfile.open(path) as source, tarfile.open(out, "w") as target_archive:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == member_name:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            target_archive.addfile(member, io.BytesIO(data))
    return out


def _rewritten(path: Path, tmp_path: Path, change) -> Path:
    """The set with its manifest changed by ``change`` (as a newer CareHub would have written it)."""
    manifest = _manifest(path)
    change(manifest)
    body = json.dumps(manifest).encode()
    out = tmp_path / "changed.tar"
    with tarfile.open(path) as source, tarfile.open(out, "w") as target_archive:
        for member in source.getmembers():
            if member.name == "manifest.json":
                member.size = len(body)
                target_archive.addfile(member, io.BytesIO(body))
            else:
                target_archive.addfile(member, source.extractfile(member))
    return out


@committed
def test_a_set_restored_into_a_fresh_database_has_everything_and_a_tampered_one_is_refused(
    media_root, tmp_path, fresh_target, settings
):
    made = _make_group(media_root)
    before = _facts_here()
    assert before["auditlog"] > 0 and before["access_log"] == 3 and len(before["notes"]) == 2
    path = _backup(tmp_path)

    # The manifest: every member with its checksum, the chain head, the migrations; no secret.
    manifest = _manifest(path)
    with tarfile.open(path) as archive:
        for item in manifest["files"]:
            data = archive.extractfile(item["member"]).read()
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (item["sha256"], item["size"])
        names = set(archive.getnames())
    media = {item["name"] for item in manifest["files"] if item["member"].startswith("media/")}
    versions = DocumentVersion.objects.all()
    expected = {v.file.name for v in versions} | {v.thumbnail.name for v in versions if v.thumbnail}
    assert len(expected) == 4  # two documents and their previews
    assert media == expected | {"resident-photos/marcel.png"}
    assert names == {"manifest.json", manifest["database"]["member"]} | {f"media/{name}" for name in media}
    assert manifest["access_log"]["entries"] == 3
    assert manifest["access_log"]["last_hash"] == AccessLog.objects.order_by("-pk").first().hash
    assert "0001_initial" in manifest["migrations"]["coordination"]
    assert manifest["carehub_version"] and manifest["database"]["vendor"] in ("postgresql", "sqlite")
    text = json.dumps(manifest)
    assert settings.SECRET_KEY not in text
    password = settings.DATABASES["default"].get("PASSWORD")
    assert not password or password not in text
    assert path.stat().st_mode & 0o077 == 0  # health data: readable by its owner only

    # Restored as on a new server: a new database, an empty storage.
    fresh = fresh_target()
    restored = fresh.run("restore", str(path))
    assert restored.returncode == 0, restored.stderr
    after = json.loads(fresh.run(module="tests.backups.restored_facts").stdout)
    audit = after.pop("verify_audit")
    assert audit["ok"] and " 3 " in audit["report"], audit
    assert after["notes"] == before["notes"]
    assert after["documents"] == made["documents"]  # byte for byte, read back through the storage
    for email, person in after["users"].items():
        assert person == {**before["users"][email], "code_accepted": True}
        assert person["password"] and person["totp_key"]
    assert after["users"].keys() == {"infirmiere@carehub.test", "idec@carehub.test", "famille@carehub.test"}
    assert (after["auditlog"], after["access_log"]) == (before["auditlog"], before["access_log"])
    assert (fresh.media / "resident-photos" / "marcel.png").read_bytes() == png_bytes()

    # One changed byte in a document: refused before anything is written.
    document = next(item for item in manifest["files"] if item["member"].startswith("media/documents/"))
    other = fresh_target()
    refused = other.run("restore", str(_tampered(path, tmp_path, document["member"])))
    assert refused.returncode != 0
    assert document["member"] in refused.stderr
    assert not other.media.exists()


@committed
def test_restore_refuses_a_set_from_a_newer_carehub_and_a_database_that_holds_data(media_root, tmp_path):
    _make_group(media_root)
    path = _backup(tmp_path)
    newer = _rewritten(path, tmp_path, lambda manifest: manifest["migrations"]["coordination"].append("0999_future"))
    with translation.override("en"), pytest.raises(CommandError, match=r"newer CareHub.*coordination\.0999_future"):
        call_command("restore", str(newer), verbosity=0)
    with translation.override("en"), pytest.raises(CommandError, match=r"already holds data.*--force"):
        call_command("restore", str(path), verbosity=0)
    assert CareNote.objects.count() == 2


@committed
def test_unreferenced_files_only_when_asked_and_a_missing_referenced_file_fails_the_backup(media_root, tmp_path):
    _make_group(media_root)
    default_storage.save("documents/zz/left-over", ContentFile(b"orphan"))
    call_command("backup", output=tmp_path / "referenced", verbosity=0)
    call_command("backup", output=tmp_path / "all", all_files=True, verbosity=0)
    (referenced,) = (tmp_path / "referenced").glob("*.tar")
    (everything,) = (tmp_path / "all").glob("*.tar")
    assert "documents/zz/left-over" not in {item.get("name") for item in _manifest(referenced)["files"]}
    orphan = next(item for item in _manifest(everything)["files"] if item.get("name") == "documents/zz/left-over")
    assert orphan["referenced"] is False

    default_storage.delete("resident-photos/marcel.png")
    with translation.override("en"), pytest.raises(CommandError, match=r"missing from the storage.*marcel\.png"):
        call_command("backup", output=tmp_path / "incomplete", verbosity=0)
    assert list((tmp_path / "incomplete").iterdir()) == []  # no half-written set left behind


def test_restore_names_a_file_that_is_not_a_set(tmp_path):
    not_a_set = tmp_path / "notes.txt"
    not_a_set.write_text("bonjour", encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError, match=r"not a CareHub backup set"):
        call_command("restore", str(not_a_set), verbosity=0)
