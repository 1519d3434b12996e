from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from carehub import audit_seal
from carehub.access_log import verify_chain


class Command(BaseCommand):
    help = (
        "Check the hash chain of the access log and report the first broken link; then check the chain's "
        "checkpoints (the checkpoint file, or a log extract holding them) against the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            type=Path,
            help="a file of checkpoints or of log lines carrying them (default: AUDIT_CHECKPOINT_FILE)",
        )

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Access log chain broken at entry #{report.broken_id} "
                f"after {report.checked} valid entries: {report.reason}."
            )
        self.stdout.write(self.style.SUCCESS(f"Access log chain intact: {report.checked} entries verified."))
        path = options["checkpoints"] or audit_seal.checkpoint_path()
        if path is None:
            self.stdout.write("No checkpoint file set (AUDIT_CHECKPOINT_FILE): pass --checkpoints with a log extract.")
            return
        if not path.exists():
            if options["checkpoints"]:
                raise CommandError(f"{path} cannot be read.")
            self.stdout.write(f"No checkpoint written yet ({path}).")
            return
        records = audit_seal.read_checkpoints(path.read_text(encoding="utf-8").splitlines())
        checked = audit_seal.checkpoints_verify(records)
        if checked.problems:
            raise CommandError("Access log checkpoints do not match: " + "; ".join(checked.problems) + ".")
        last = f" (the last: entry #{checked.last['last_id']} at {checked.last['at']})" if checked.last else ""
        self.stdout.write(self.style.SUCCESS(f"{checked.checked} checkpoints verified{last}."))
