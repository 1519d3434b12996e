from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from carehub.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one backup set (a .tar): the database dump, every stored file it references, "
        "and a manifest with their SHA-256. See README, “Backups and restore drill”."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=Path(settings.VAR_DIR) / "backups",
            help="folder that receives the set (default: var/backups)",
        )
        parser.add_argument(
            "--all-files",
            action="store_true",
            help="also copy stored files that the database does not reference (left-overs, previews being made)",
        )

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        try:
            path = backup_create(output_dir=options["output"], all_files=options["all_files"], report=self._progress)
        except BackupError as exc:
            raise CommandError(_("Backup failed: %(reason)s") % {"reason": exc}) from exc
        self.stdout.write(self.style.SUCCESS(_("Backup set written: %(path)s") % {"path": path}))
        return None

    def _progress(self, line: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(line)
