from django.core.management.base import BaseCommand, CommandError

from carehub.access_log import verify_chain


class Command(BaseCommand):
    help = "Check the hash chain of the access log and report the first broken link."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Access log chain broken at entry #{report.broken_id} "
                f"after {report.checked} valid entries: {report.reason}."
            )
        self.stdout.write(self.style.SUCCESS(f"Access log chain intact: {report.checked} entries verified."))
