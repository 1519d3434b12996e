from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from carehub.db_grants import grant_app_role, grant_statements


class Command(BaseCommand):
    help = (
        "PostgreSQL: give the application's role (Daphne, Gunicorn, Celery) every table but UPDATE, DELETE "
        "and TRUNCATE on the access log. Run as the tables' owner, after migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the PostgreSQL role the application connects as (it must exist)")
        parser.add_argument("--print", action="store_true", help="print the SQL instead of running it")

    def handle(self, *args, role, **options):
        if options["print"]:
            self.stdout.write(";\n".join(grant_statements(role)) + ";")
            return
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role is for PostgreSQL: the embedded SQLite database has no roles.")
        grant_app_role(role)
        self.stdout.write(self.style.SUCCESS(f"{role} may read and write CareHub, and only append to the access log."))
