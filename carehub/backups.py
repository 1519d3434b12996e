"""Backup sets and their restore: one database dump, the files it references, a manifest.

A set is one uncompressed tar archive, ``carehub-backup-<UTC time>.tar``:

- ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``) or ``database.sqlite3``
  (SQLite: the online backup API, consistent while the site runs);
- ``media/<storage name>``: every file the database references when it is dumped (document
  versions, thumbnails, attachments, photos), read through Django's default storage, so a
  filesystem and an object store are backed up alike; optionally every other stored file;
- ``manifest.json``: CareHub's version, the applied migrations, the database vendor, the time,
  the access log's chain head, and the SHA-256 and size of every member. No secret.

Consistency: the database is copied first, in one snapshot, and the list of files is read from
that same snapshot (PostgreSQL: an exported snapshot that pg_dump shares; SQLite: the copy
itself). Stored files are never rewritten in place (new bytes get a new random name), so copying
them afterwards gives the bytes the dump refers to; a file referenced but missing fails the backup.

Restore checks the whole set against its manifest before it touches anything, refuses a set
made by a newer CareHub (migrations this code does not know) and a database that already holds
data (unless forced), then restores the database, the files through the storage API, and reads
every file back to compare its SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump and pg_restore, with argument lists, never a shell
import tarfile
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from carehub.models import AccessLog, AccessLogHead

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DUMP_MEMBERS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024

Report = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Member:
    """One file of a set, as the manifest lists it."""

    member: str
    sha256: str
    size: int
    name: str = ""  # the storage name, for media files
    referenced: bool = True

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"member": self.member, "sha256": self.sha256, "size": self.size}
        if self.name:
            data.update(name=self.name, referenced=self.referenced)
        return data


@dataclass
class Snapshot:
    """What the database said at the moment of the dump."""

    migrations: dict[str, list[str]]
    files: list[str]
    access_log_entries: int
    access_log_head: dict[str, Any]


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    files_restored: int
    files_kept: int
    unapplied_migrations: list[str] = field(default_factory=list)


# --- Shared helpers -------------------------------------------------------------------------


def carehub_version() -> str:
    try:
        with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _file_columns() -> list[tuple[str, str]]:
    """(table, column) of every file field of every installed model: what the database references."""
    columns: list[tuple[str, str]] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                columns.append((model._meta.db_table, str(model_field.column)))
    return sorted(set(columns))


def _quote(name: str) -> str:
    # Table and column names come from the models, never from input; both vendors quote alike.
    return '"' + name.replace('"', '""') + '"'


def _read_snapshot(cursor) -> Snapshot:
    """Read the facts of a set through a DB-API cursor that sees the dumped snapshot."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        migrations.setdefault(app, []).append(name)
    files: set[str] = set()
    for table, column in _file_columns():
        cursor.execute(
            f"SELECT DISTINCT {_quote(column)} FROM {_quote(table)} "  # noqa: S608  # nosec B608 # quoted names from the models
            f"WHERE {_quote(column)} IS NOT NULL AND {_quote(column)} <> ''"
        )
        files.update(row[0] for row in cursor.fetchall())
    cursor.execute(f"SELECT COUNT(*) FROM {_quote(AccessLog._meta.db_table)}")  # noqa: S608  # nosec B608 # a model's table
    entries = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_id, last_hash FROM {_quote(AccessLogHead._meta.db_table)} WHERE id = 1")  # noqa: S608  # nosec B608 # a model's table
    row = cursor.fetchone()
    head = {"last_id": row[0], "last_hash": row[1]} if row else {"last_id": 0, "last_hash": None}
    return Snapshot(migrations=migrations, files=sorted(files), access_log_entries=entries, access_log_head=head)


def _sha256_of_path(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_of_stream(handle: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class _HashingReader:
    """Reads a stream once, computing its SHA-256 and size on the way (tar members are streamed)."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _pg_command(program: str, settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The program with the connection options of a Django database; the password goes in the environment."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            _("%(program)s was not found: install the PostgreSQL client tools of the server's version.")
            % {"program": program}
        )
    command = [executable]
    if settings_dict.get("HOST"):
        command += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        command += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        command += ["--username", str(settings_dict["USER"])]
    environment = {**os.environ}
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    sslmode = (settings_dict.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        environment["PGSSLMODE"] = str(sslmode)
    return command + ["--no-password"], environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise BackupError(
            _("%(what)s failed (exit %(code)s): %(error)s")
            % {"what": what, "code": completed.returncode, "error": completed.stderr.strip()[-2000:]}
        )


# --- Backup ---------------------------------------------------------------------------------


def _dump_postgresql(target: Path) -> tuple[Snapshot, str]:
    """pg_dump in the snapshot of a transaction of our own, from which the facts are read too."""
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        connection.set_autocommit(False)
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot_id, server_version = cursor.fetchone()
            command, environment = _pg_command("pg_dump", connection.settings_dict)
            command += [
                "--format=custom",
                f"--snapshot={snapshot_id}",
                f"--file={target}",
                f"--dbname={connection.settings_dict['NAME']}",
            ]
            _run(command, environment, "pg_dump")
            facts = _read_snapshot(cursor)
        connection.rollback()
    finally:
        connection.close()
    return facts, server_version


def _dump_sqlite(target: Path) -> tuple[Snapshot, str]:
    """The online backup API copies every page in one step, under one read lock: a consistent copy."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        facts = _read_snapshot(copy.cursor())
    finally:
        copy.close()
    return facts, sqlite3.sqlite_version


def _stored_names(directory: str = "") -> Iterator[str]:
    """Every file of the default storage, walked through its API (a filesystem or a bucket alike)."""
    folders, files = default_storage.listdir(directory)
    for name in files:
        yield f"{directory}/{name}" if directory else name
    for folder in folders:
        yield from _stored_names(f"{directory}/{folder}" if directory else folder)


def _add_stream(archive: tarfile.TarFile, member: str, size: int, handle: IO[bytes]) -> tuple[str, int]:
    info = tarfile.TarInfo(member)
    info.size = size
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    reader = _HashingReader(handle)
    archive.addfile(info, reader)  # tarfile only calls read()
    return reader.digest.hexdigest(), reader.size


def backup_create(*, output_dir: Path, all_files: bool = False, report: Report = lambda line: None) -> Path:
    """Write one set into ``output_dir`` and return its path. Raises BackupError, leaving nothing behind."""
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor not in DUMP_MEMBERS:
        raise BackupError(_("Backups support PostgreSQL and SQLite, not %(vendor)s.") % {"vendor": vendor})
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created_at = timezone.now().replace(microsecond=0)
    final = output_dir / f"carehub-backup-{created_at:%Y%m%dT%H%M%SZ}.tar"
    if final.exists():
        raise BackupError(_("%(path)s already exists: wait a second and try again.") % {"path": final})
    partial = final.with_name(f".{final.name}.partial")
    staging = Path(tempfile.mkdtemp(prefix=".carehub-backup-", dir=output_dir))
    try:
        dump = staging / DUMP_MEMBERS[vendor]
        report(_("Dumping the %(vendor)s database…") % {"vendor": vendor})
        facts, server_version = (_dump_postgresql if vendor == "postgresql" else _dump_sqlite)(dump)
        members = [Member(DUMP_MEMBERS[vendor], _sha256_of_path(dump), dump.stat().st_size)]
        missing = [name for name in facts.files if not default_storage.exists(name)]
        if missing:
            raise BackupError(
                _(
                    "%(count)s file(s) referenced by the database are missing from the storage, "
                    "so this set would not be complete: %(names)s. Restore them from an older set or "
                    "the storage's own versions, then run the backup again."
                )
                % {"count": len(missing), "names": ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")}
            )
        names = [(name, True) for name in facts.files]
        if all_files:
            referenced = set(facts.files)
            names += [(name, False) for name in sorted(_stored_names()) if name not in referenced]
        report(_("Copying %(count)s stored file(s)…") % {"count": len(names)})
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
            archive.add(dump, arcname=members[0].member)
            for name, referenced_file in names:
                try:
                    with default_storage.open(name, "rb") as handle:
                        sha256, size = _add_stream(archive, MEDIA_PREFIX + name, default_storage.size(name), handle)
                except OSError as exc:  # removed or changed while being copied (a purge, a failing disk)
                    raise BackupError(
                        _("%(name)s could not be copied from the storage: %(error)s. Run the backup again.")
                        % {"name": name, "error": exc}
                    ) from exc
                members.append(Member(MEDIA_PREFIX + name, sha256, size, name=name, referenced=referenced_file))
            manifest = {
                "format": FORMAT,
                "application": "CareHub",
                "carehub_version": carehub_version(),
                "created_at": created_at.isoformat().replace("+00:00", "Z"),
                "database": {"vendor": vendor, "server_version": server_version, "member": members[0].member},
                "migrations": facts.migrations,
                "access_log": {"entries": facts.access_log_entries, **facts.access_log_head},
                "files": [member.as_json() for member in members],
            }
            body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(created_at.timestamp()), 0o600
            archive.addfile(info, io.BytesIO(body))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


# --- Restore --------------------------------------------------------------------------------


def _open_set(path: Path) -> tuple[tarfile.TarFile, dict[str, Any]]:
    if not path.is_file():
        raise BackupError(_("%(path)s is not a file.") % {"path": path})
    try:
        archive = tarfile.open(path, mode="r:")  # noqa: SIM115 - the caller closes it (with archive:)
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(_("%(path)s is not a CareHub backup set: %(error)s") % {"path": path, "error": exc}) from exc
    try:
        handle = archive.extractfile(MANIFEST)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError, tarfile.TarError) as exc:
        archive.close()
        raise BackupError(
            _("%(path)s has no readable manifest.json: it is not a CareHub backup set.") % {"path": path}
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("application") != "CareHub":
        archive.close()
        raise BackupError(_("%(path)s is not a CareHub backup set of a known format.") % {"path": path})
    return archive, manifest


def _members(manifest: dict[str, Any]) -> list[Member]:
    try:
        return [
            Member(
                item["member"], item["sha256"], int(item["size"]), item.get("name", ""), item.get("referenced", True)
            )
            for item in manifest["files"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(_("The manifest of this set is damaged: %(error)s") % {"error": exc}) from exc


def _unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations applied in the set that this code does not have: the set comes from a newer CareHub."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(
        f"{app}.{name}"
        for app, names in (manifest.get("migrations") or {}).items()
        for name in names
        if (app, name) not in known
    )


def set_verify(archive: tarfile.TarFile, members: Iterable[Member]) -> None:
    """Every member's bytes against the manifest; raises BackupError naming those that differ."""
    damaged = []
    for member in members:
        try:
            handle = archive.extractfile(member.member)
        except KeyError:
            handle = None
        if handle is None:
            damaged.append(_("%(member)s (missing)") % {"member": member.member})
            continue
        sha256, size = _sha256_of_stream(handle)
        if (sha256, size) != (member.sha256, member.size):
            damaged.append(member.member)
    if damaged:
        raise BackupError(
            _("The set is damaged: %(count)s file(s) do not match their SHA-256 in the manifest: %(names)s.")
            % {"count": len(damaged), "names": ", ".join(damaged[:20])}
        )


def _database_holds_data() -> bool:
    connection = connections[DEFAULT_DB_ALIAS]
    tables = set(connection.introspection.table_names())
    user_table = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
    with connection.cursor() as cursor:
        for table in (user_table, AccessLog._meta.db_table):
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608  # nosec B608 # quoted names from the models
                if cursor.fetchone():
                    return True
    return False


def _restore_postgresql(dump: Path) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    settings_dict = connection.settings_dict
    connection.close()  # nothing of ours holds a lock on the tables pg_restore replaces
    command, environment = _pg_command("pg_restore", settings_dict)
    command += [
        "--single-transaction",  # all or nothing: a failure leaves the database as it was
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--clean",
        "--if-exists",
        f"--dbname={settings_dict['NAME']}",
        str(dump),
    ]
    _run(command, environment, "pg_restore")


def _restore_sqlite(dump: Path) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _stored_sha256(name: str) -> str | None:
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return _sha256_of_stream(handle)[0]


def backup_restore(*, path: Path, force: bool = False, report: Report = lambda line: None) -> RestoreResult:
    """Restore a set into the configured database and storage. Raises BackupError before any change
    when the set is damaged, too new, of another vendor, or the database holds data (without ``force``)."""
    archive, manifest = _open_set(path)
    with archive:
        members = _members(manifest)
        vendor = connections[DEFAULT_DB_ALIAS].vendor
        set_vendor = (manifest.get("database") or {}).get("vendor")
        if set_vendor != vendor or vendor not in DUMP_MEMBERS:
            raise BackupError(
                _("This set holds a %(set)s database but the configured database is %(configured)s.")
                % {"set": set_vendor, "configured": vendor}
            )
        unknown = _unknown_migrations(manifest)
        if unknown:
            raise BackupError(
                _(
                    "This set was made by a newer CareHub (%(version)s): this code does not know its migrations "
                    "%(names)s. Install that version, then restore."
                )
                % {"version": manifest.get("carehub_version"), "names": ", ".join(unknown[:10])}
            )
        report(_("Checking %(count)s file(s) of the set against the manifest…") % {"count": len(members)})
        set_verify(archive, members)
        if not force and _database_holds_data():
            raise BackupError(
                _(
                    "The configured database already holds data (people or access-log entries). Restore into a "
                    "new, empty database, or add --force to replace what it holds."
                )
            )
        media = [member for member in members if member.name]
        existing = {member.name: _stored_sha256(member.name) for member in media}
        conflicts = [member.name for member in media if existing[member.name] not in (None, member.sha256)]
        if conflicts and not force:
            raise BackupError(
                _(
                    "%(count)s file(s) of the set already exist in the storage with other content, e.g. %(name)s. "
                    "Restore into an empty storage, or add --force to replace them."
                )
                % {"count": len(conflicts), "name": conflicts[0]}
            )
        dump_member = (manifest.get("database") or {}).get("member", DUMP_MEMBERS[vendor])
        with tempfile.TemporaryDirectory(prefix="carehub-restore-") as scratch:
            dump = Path(scratch) / DUMP_MEMBERS[vendor]
            handle = archive.extractfile(dump_member)
            if handle is None:
                raise BackupError(_("The set has no database dump."))
            with dump.open("wb") as target:
                shutil.copyfileobj(handle, target, CHUNK)
            report(_("Restoring the database…"))
            (_restore_postgresql if vendor == "postgresql" else _restore_sqlite)(dump)
        report(_("Restoring %(count)s stored file(s)…") % {"count": len(media)})
        restored = kept = 0
        for member in media:
            if existing[member.name] == member.sha256:
                kept += 1
                continue
            if existing[member.name] is not None:
                default_storage.delete(member.name)
            handle = archive.extractfile(member.member)
            assert handle is not None  # set_verify read every member
            content = File(handle, name=member.name)
            content.size = member.size
            saved = default_storage.save(member.name, content)
            if saved != member.name:
                raise BackupError(
                    _("The storage saved %(name)s as %(saved)s: restore into an empty storage.")
                    % {"name": member.name, "saved": saved}
                )
            restored += 1
        report(_("Reading every restored file back…"))
        differ = [member.name for member in media if _stored_sha256(member.name) != member.sha256]
        if differ:
            raise BackupError(
                _("%(count)s restored file(s) do not read back with their SHA-256: %(names)s.")
                % {"count": len(differ), "names": ", ".join(differ[:20])}
            )
    loader = MigrationLoader(connections[DEFAULT_DB_ALIAS], ignore_no_migrations=True)
    unapplied = sorted(
        f"{app}.{name}" for app, name in loader.graph.nodes if (app, name) not in loader.applied_migrations
    )
    return RestoreResult(manifest=manifest, files_restored=restored, files_kept=kept, unapplied_migrations=unapplied)


def restored_head_matches(manifest: dict[str, Any]) -> bool:
    """The access log's chain head after a restore is the one the set recorded: no entry lost at its end."""
    expected = manifest.get("access_log") or {}
    head = AccessLogHead.objects.filter(pk=1).values("last_id", "last_hash").first() or {
        "last_id": 0,
        "last_hash": None,
    }
    return (head["last_id"], head["last_hash"]) == (expected.get("last_id"), expected.get("last_hash"))
