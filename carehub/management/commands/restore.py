from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from carehub.backups import BackupError, backup_restore, restored_head_matches


class Command(BaseCommand):
    help = (
        "Restore a backup set into the configured database (DATABASE_URL or SQLite) and storage, "
        "check every file's SHA-256, then verify the access log's chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("set", type=Path, help="the .tar written by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds data, and stored files of the same name",
        )

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        try:
            result = backup_restore(path=options["set"], force=options["force"], report=self._progress)
        except BackupError as exc:
            raise CommandError(_("Restore failed: %(reason)s") % {"reason": exc}) from exc
        self.stdout.write(
            _("Database restored; %(restored)s file(s) restored and %(kept)s already there, all matching the manifest.")
            % {"restored": result.files_restored, "kept": result.files_kept}
        )
        # The check of `manage.py verify_audit` itself, with its report.
        audit = StringIO()
        try:
            call_command("verify_audit", stdout=audit)
        except CommandError as exc:
            raise CommandError(
                _("Restore done, but the access log does not verify: %(reason)s") % {"reason": exc}
            ) from exc
        self.stdout.write(audit.getvalue().strip())
        if not restored_head_matches(result.manifest):
            raise CommandError(_("Restore done, but the access log's last entry is not the one the set recorded."))
        if result.unapplied_migrations:
            self.stdout.write(
                self.style.WARNING(
                    _("This code has %(count)s migration(s) the set had not applied yet: run `manage.py migrate` now.")
                    % {"count": len(result.unapplied_migrations)}
                )
            )
        self.stdout.write(self.style.SUCCESS(_("Restore of %(path)s complete.") % {"path": options["set"]}))

    def _progress(self, line: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(line)
