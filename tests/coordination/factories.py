"""Factories for residents and care notes."""

import factory
from django.utils import timezone

from coordination.models import CareNote, Resident, ResidentAlert, SiteCareSettings, Target
from coordination.shifts import shift_at
from coordination.targets import DEFAULT_TARGETS, default_sort_order
from tests.factories import SiteFactory, UserFactory


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    site = factory.SubFactory(SiteFactory)
    unit = None
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    room = factory.Sequence(lambda n: str(100 + n))
    gir = 3


class TargetFactory(factory.django.DjangoModelFactory):
    """One of the default targets (coordination/targets.py) by its code, made once per test."""

    class Meta:
        model = Target
        django_get_or_create = ("code",)

    code = "douleur"
    name_fr = factory.LazyAttribute(lambda o: _default(o.code)[1])
    name_en = factory.LazyAttribute(lambda o: _default(o.code)[2])
    sort_order = factory.LazyAttribute(lambda o: default_sort_order(o.code))


def _default(code: str) -> tuple[str, str, str]:
    return next(row for row in DEFAULT_TARGETS if row[0] == code)


def target(code="douleur") -> Target:
    return TargetFactory(code=code)


def default_targets() -> list[Target]:
    """Every default target, as the migration seeds them: the note form lists them all."""
    return [target(code) for code, _fr, _en in DEFAULT_TARGETS]


class CareNoteFactory(factory.django.DjangoModelFactory):
    """A note as the service would write it (shift computed in the site's zone)."""

    class Meta:
        model = CareNote
        skip_postgeneration_save = True

    resident = factory.SubFactory(ResidentFactory)
    site = factory.LazyAttribute(lambda o: o.resident.site)
    unit = factory.LazyAttribute(lambda o: o.resident.unit)
    author = factory.SubFactory(UserFactory)
    target = factory.SubFactory(TargetFactory)
    data = "Douleur à la hanche gauche, EVA 6/10."
    action = "Antalgique donné selon prescription."
    result = ""
    priority = CareNote.Priority.ROUTINE
    created_at = factory.LazyFunction(timezone.now)
    shift = factory.LazyAttribute(
        lambda o: shift_at(o.created_at, SiteCareSettings.for_site(o.resident.site).hours).shift
    )
    shift_date = factory.LazyAttribute(
        lambda o: shift_at(o.created_at, SiteCareSettings.for_site(o.resident.site).hours).day
    )

    @factory.post_generation
    def _search(obj, create, extracted, **kwargs):
        if create:
            obj.search_text = obj.build_search_text()
            obj.save(update_fields=["search_text"])


class ResidentAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentAlert

    resident = factory.SubFactory(ResidentFactory)
    kind = ResidentAlert.Kind.FALL_RISK
    created_by = factory.SubFactory(UserFactory)
