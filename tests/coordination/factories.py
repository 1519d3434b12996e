"""Factories for residents and care notes."""

import factory
from django.utils import timezone

from coordination.models import CareNote, Resident, ResidentAlert, SiteCareSettings, Target
from coordination.shifts import shift_at
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


def target(code="douleur") -> Target:
    return Target.objects.get(code=code)


class CareNoteFactory(factory.django.DjangoModelFactory):
    """A note as the service would write it (shift computed in the site's zone)."""

    class Meta:
        model = CareNote
        skip_postgeneration_save = True

    resident = factory.SubFactory(ResidentFactory)
    site = factory.LazyAttribute(lambda o: o.resident.site)
    unit = factory.LazyAttribute(lambda o: o.resident.unit)
    author = factory.SubFactory(UserFactory)
    target = factory.LazyFunction(lambda: Target.objects.get(code="douleur"))
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
