"""Demo residents and notes: plausible volumes, idempotent, the demo nurse's unit populated."""

from django.db.models import Count

from accounts import demo as accounts_demo
from carehub.demo import DemoContext
from coordination import demo, selectors
from coordination.models import CareNote, Resident, ResidentAlert
from directory import demo as directory_demo


def _run(ctx):
    for module in (directory_demo, accounts_demo, demo):
        module.seed(ctx)


def test_seed_is_plausible_and_idempotent(db):
    ctx = DemoContext(sites=3, staff_per_site=12, residents_per_site=10, note_days=7)
    _run(ctx)
    assert Resident.objects.count() == 30
    notes = CareNote.objects.count()
    # ~15 per resident per week, the current day partly written.
    assert 30 * 13 <= notes <= 30 * 18
    assert CareNote.objects.filter(priority="urgent").exists()
    assert CareNote.objects.family_visible().exists()
    assert ResidentAlert.objects.exists()
    per_target = dict(CareNote.objects.values_list("target__code").annotate(n=Count("id")))
    assert len(per_target) >= 10
    sample = CareNote.objects.filter(target__code="douleur").first()
    assert "{" not in sample.data and sample.search_text == sample.search_text.lower()
    # Shifts computed in each site's own zone (one demo site is in Cayenne).
    assert set(CareNote.objects.values_list("shift", flat=True)) == {"morning", "afternoon", "night"}

    again = DemoContext(sites=3, staff_per_site=12, residents_per_site=10, note_days=7)
    _run(again)
    assert Resident.objects.count() == 30 and CareNote.objects.count() == notes

    nurse = ctx.accounts["nurse"]["user"]
    unit = selectors.default_handover_unit(nurse)
    assert unit is not None and unit.site == ctx.site_list[0]
    handover = selectors.handover_build(nurse, unit=unit)
    assert handover.residents and handover.notes
    assert Resident.objects.filter(referents=nurse, unit=unit).exists()


def test_the_demo_brings_the_default_targets_back_after_a_flush(db):
    """``manage.py flush`` then ``seed_demo``: the note form must not be left without targets."""
    from coordination.models import Target
    from coordination.targets import DEFAULT_TARGETS

    Target.objects.all().delete()
    _run(DemoContext(sites=1, staff_per_site=4, residents_per_site=2, note_days=1, verbosity=0))
    assert Target.objects.count() == len(DEFAULT_TARGETS)


def test_demo_notes_say_what_their_time_says(db):
    """ "Au lever" in the morning, "Endormie vers 3 h" at the end of the night, the hour of a fall
    as written: families read these texts."""
    from django.utils import timezone

    ctx = DemoContext(sites=1, staff_per_site=8, residents_per_site=12, note_days=4)
    _run(ctx)
    zone = ctx.site_list[0].zone
    late = []
    for note in CareNote.objects.all():
        hour = timezone.localtime(note.created_at, zone).hour
        window = next(
            (
                w
                for text, w in demo.WRITTEN_BETWEEN.items()
                if note.data == text or note.data.startswith(text.split("{")[0]) and "{" in text
            ),
            None,
        )
        if window and not window[0] <= hour < window[1]:
            late.append((note.data, hour))
        if note.data.startswith("Retrouvée assise au sol près du lit à") and f"à {hour}h" not in note.data:
            late.append((note.data, hour))
    assert late == []
