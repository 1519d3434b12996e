"""Demo data for a plausible French multi-site group (``manage.py seed_demo``).

Each app that has demo data provides ``<app>/demo.py`` with ``seed(ctx)``; the
``seed_demo`` command runs them in order, each idempotent: a second run adds nothing twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from faker import Faker

DEMO_DOMAIN = "demo.carehub.example"


@dataclass
class DemoContext:
    sites: int = 3
    staff_per_site: int = 40
    residents_per_site: int = 60
    note_days: int = 14
    seed: int = 2026
    verbosity: int = 1
    stdout: object = None
    faker: Faker = field(init=False)
    # Filled by the seeders, read by the ones after them.
    site_list: list = field(default_factory=list)
    accounts: dict = field(default_factory=dict)

    def __post_init__(self):
        self.faker = Faker("fr_FR")
        self.faker.seed_instance(self.seed)

    def log(self, message: str) -> None:
        if self.stdout is not None and self.verbosity:
            self.stdout.write(message)


def run(ctx: DemoContext, seeders: Iterable[Callable[[DemoContext], None]]) -> None:
    """Each seeder in its own transaction, in order (later ones use what earlier ones made)."""
    for seed in seeders:
        with transaction.atomic():
            seed(ctx)


def new_demo_password() -> str:
    """A fresh password each run: demo logins are printed, never stored in the repo."""
    return "Demo-" + secrets.token_urlsafe(9)
