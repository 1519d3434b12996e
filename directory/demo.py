"""Demo organisation: sites of different kinds (one overseas), units and staff."""

from __future__ import annotations

import datetime
import random
import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from faker import Faker

from . import search
from .models import Assignment, Job, OnCallShift, Site, StaffProfile, Unit

#: The first sites have fixed names so that demo logins and docs stay stable.
NAMED_SITES = [
    ("EHPAD Les Tilleuls", Site.Kind.EHPAD, "12 rue des Tilleuls", "69003", "Lyon", "04 72 10 20 30", "Europe/Paris"),
    (
        "Résidence autonomie Les Oliviers",
        Site.Kind.RESIDENCE,
        "3 avenue du Prado",
        "13008",
        "Marseille",
        "04 91 22 33 44",
        "Europe/Paris",
    ),
    (
        "EHPAD Les Flamboyants",
        Site.Kind.EHPAD,
        "45 route de Baduel",
        "97300",
        "Cayenne",
        "05 94 30 40 50",
        "America/Cayenne",
    ),
    (
        "SSIAD du Val de Saône",
        Site.Kind.SSIAD,
        "8 quai Saint-Vincent",
        "69001",
        "Lyon",
        "04 78 11 22 33",
        "Europe/Paris",
    ),
    ("FAM Le Colombier", Site.Kind.FAM, "2 chemin des Vignes", "21000", "Dijon", "03 80 44 55 66", "Europe/Paris"),
    ("MAS Les Capucines", Site.Kind.MAS, "17 rue Pasteur", "35000", "Rennes", "02 99 12 34 56", "Europe/Paris"),
]
UNIT_NAMES = ["Les Lilas", "Les Glycines", "Les Hortensias", "Unité protégée Les Iris", "Les Camélias"]
#: Jobs of a typical care home team, with their weight in the staff.
JOB_MIX = [
    (Job.CARE_ASSISTANT, 40),
    (Job.NURSE, 15),
    (Job.HOUSEKEEPING, 15),
    (Job.SUPPORT_WORKER, 8),
    (Job.PHYSIOTHERAPIST, 3),
    (Job.PSYCHOLOGIST, 2),
    (Job.OCCUPATIONAL_THERAPIST, 2),
    (Job.ACTIVITY_LEAD, 3),
    (Job.DIETITIAN, 1),
    (Job.DOCTOR, 2),
    (Job.SECRETARY, 3),
]
LANGUAGE_MIX = ["fr"] * 12 + ["en", "es", "pt", "ar", "it", "de", "wo", "ro", "ht"]
#: Coordinators every site has, created with the staff.
SITE_LEADS = [Job.SITE_DIRECTOR, Job.NURSE_COORDINATOR, Job.COORDINATING_DOCTOR]


def ascii_slug(text: str) -> str:
    normalised = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in normalised.lower() if ch.isalnum() or ch in "-.")


def _site_spec(index: int, faker):
    if index < len(NAMED_SITES):
        return NAMED_SITES[index]
    city = faker.city()
    kind = [Site.Kind.EHPAD, Site.Kind.EHPAD, Site.Kind.RESIDENCE, Site.Kind.SSIAD, Site.Kind.FAM, Site.Kind.MAS][
        index % 6
    ]
    label = Site.Kind(kind).label.split(" (")[0]
    return (
        f"{label} {faker.last_name()} — {city} {index + 1}",
        kind,
        faker.street_address(),
        faker.postcode(),
        city,
        faker.phone_number(),
        "Indian/Reunion" if index % 50 == 7 else "Europe/Paris",
    )


def seed(ctx) -> None:
    rng = random.Random(ctx.seed)
    unusable = make_password(None)  # generated staff cannot sign in; only demo accounts can
    created_sites = 0
    site_faker = Faker("fr_FR")
    for index in range(ctx.sites):
        # Each site's details come from its own seed: a second run finds the same names
        # (and so creates nothing twice) although it skips the staff of existing sites.
        site_faker.seed_instance(ctx.seed * 100_003 + index)
        name, kind, address, postal_code, city, phone, tz = _site_spec(index, site_faker)
        site, created = Site.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "address": address,
                "postal_code": postal_code,
                "city": city,
                "phone": phone,
                "time_zone": tz,
            },
        )
        ctx.site_list.append(site)
        if not created:
            continue  # idempotent: an existing site keeps its units and staff
        created_sites += 1
        units = Unit.objects.bulk_create(
            Unit(
                site=site, name=unit_name, is_secure="protégée" in unit_name, nurse_station_phone=f"{index + 1}{u:02d}0"
            )
            for u, unit_name in enumerate(UNIT_NAMES[: rng.randint(2, 4)])
        )
        _seed_staff(ctx, rng, site, index, units, unusable)
    ctx.log(f"directory: {created_sites} new site(s), {len(ctx.site_list) - created_sites} already there")


def _seed_staff(ctx, rng, site, site_index, units, unusable_password) -> None:
    User = get_user_model()
    jobs = list(SITE_LEADS)
    population, weights = zip(*JOB_MIX, strict=True)
    jobs += rng.choices(population, weights=weights, k=max(0, ctx.staff_per_site - len(jobs)))
    jobs = jobs[: ctx.staff_per_site]
    users, profiles, assignments = [], [], []
    for n in range(len(jobs)):
        first, last = ctx.faker.first_name(), ctx.faker.last_name()
        email = f"{ascii_slug(first)}.{ascii_slug(last)}.s{site_index + 1}n{n}@demo.carehub.example"
        users.append(
            User(email=email, first_name=first, last_name=last, password=unusable_password, kind=User.Kind.STAFF)
        )
    users = User.objects.bulk_create(users)
    if not all(u.pk for u in users):  # backends that do not return ids on bulk insert
        users = list(User.objects.filter(email__in=[u.email for u in users]).order_by("pk"))
    for n, (user, job) in enumerate(zip(users, jobs, strict=True)):
        languages = sorted({"fr", *rng.sample(LANGUAGE_MIX, k=rng.randint(0, 2))})
        profiles.append(
            StaffProfile(
                user=user,
                job=job,
                phone_extension=f"{site_index + 1}{n:03d}",
                mobile=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                mobile_visibility=StaffProfile.MobileVisibility.GROUP
                if rng.random() < 0.2
                else StaffProfile.MobileVisibility.SITE,
                languages=languages,
            )
        )
        is_lead = job in SITE_LEADS
        unit = None if is_lead or not units else units[n % len(units)]
        profile = profiles[-1]
        # bulk_create sends no signal: the search columns are derived here.
        profile.search_name = search.build_search_name(first_name=user.first_name, last_name=user.last_name)
        profile.search_document = search.build_search_document(
            first_name=user.first_name,
            last_name=user.last_name,
            job=job,
            phone_extension=profile.phone_extension,
            languages=languages,
            places=[site.name, site.city] + ([unit.name] if unit else []),
        )
        assignments.append(
            Assignment(
                user=user,
                site=site,
                unit=unit,
                role=Assignment.Role.COORDINATOR if is_lead else Assignment.Role.STAFF,
                is_primary=True,
            )
        )
    StaffProfile.objects.bulk_create(profiles)
    Assignment.objects.bulk_create(assignments)
    _seed_on_call(rng, site, users, jobs)


def _seed_on_call(rng, site, users, jobs) -> None:
    """A week of on-call duty from today (site time): a nurse, or a lead when the site has no nurse."""
    from django.utils import timezone

    candidates = [u for u, job in zip(users, jobs, strict=True) if job in (Job.NURSE, Job.NURSE_COORDINATOR)]
    candidates = candidates or list(users[:1])
    if not candidates:
        return
    today = timezone.localdate(timezone=site.zone)
    OnCallShift.objects.bulk_create(
        (
            OnCallShift(site=site, user=rng.choice(candidates), date=today + datetime.timedelta(days=d), note="")
            for d in range(-1, 7)
        ),
        ignore_conflicts=True,
    )
