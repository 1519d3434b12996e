from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts import demo as accounts_demo
from carehub.demo import DemoContext, run
from coordination import demo as coordination_demo
from directory import demo as directory_demo
from documents import demo as documents_demo
from messaging import demo as messaging_demo
from portal import demo as portal_demo

#: In order: sites and staff first, then their accounts, residents and notes, then what uses them.
SEEDERS = (
    directory_demo.seed,
    accounts_demo.seed,
    coordination_demo.seed,
    documents_demo.seed,
    messaging_demo.seed,
    portal_demo.seed,
)


class Command(BaseCommand):
    help = "Load demo data for a multi-site group (idempotent) and print demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--sites", type=int, default=3, help="Number of sites (default 3).")
        parser.add_argument("--staff-per-site", type=int, default=40, help="Staff per site (default 40).")
        parser.add_argument("--residents-per-site", type=int, default=60, help="Residents per site (default 60).")
        parser.add_argument("--note-days", type=int, default=14, help="Days of care notes (default 14).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for reproducible data.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Allow running against a production configuration (benchmarks only).",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION_MODE and not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to load demo accounts into a production configuration. "
                "Use --allow-production for a benchmark database."
            )
        for name in ("sites", "staff_per_site", "residents_per_site", "note_days"):
            if options[name] < 0 or (name == "sites" and options[name] < 1):
                raise CommandError(f"--{name.replace('_', '-')} must be a positive number")
        ctx = DemoContext(
            sites=options["sites"],
            staff_per_site=options["staff_per_site"],
            residents_per_site=options["residents_per_site"],
            note_days=options["note_days"],
            seed=options["seed"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
        )
        run(ctx, SEEDERS)
        self._print_logins(ctx)

    def _print_logins(self, ctx):
        if not ctx.accounts:
            return
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins (the second factor is a backup code: no phone needed)"))
        self.stdout.write(
            "Comptes de démonstration (le second facteur est un code de secours : pas besoin de téléphone)"
        )
        for role, account in ctx.accounts.items():
            codes = " ".join(account["codes"][:3])
            with translation.override(settings.LANGUAGE_CODE):
                label = str(accounts_demo.ROLE_LABELS.get(role, role))
            self.stdout.write(f"  {label:<36} {account['email']:<42} password: {account['password']}")
            self.stdout.write(f"  {'':<36} backup codes (each works once): {codes}")
        self.stdout.write("")
