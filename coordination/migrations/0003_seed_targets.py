"""The usual targets (cibles) of care notes, in French with English names. Coordinators extend the list."""

from django.db import migrations

TARGETS = [
    ("douleur", "Douleur", "Pain"),
    ("chute", "Chute", "Fall"),
    ("alimentation", "Alimentation", "Nutrition"),
    ("hydratation", "Hydratation", "Hydration"),
    ("elimination", "Élimination", "Elimination"),
    ("sommeil", "Sommeil", "Sleep"),
    ("comportement", "Comportement", "Behaviour"),
    ("hygiene", "Hygiène", "Hygiene"),
    ("peau-escarre", "Peau / escarre", "Skin / pressure ulcer"),
    ("mobilite", "Mobilité", "Mobility"),
    ("humeur", "Humeur", "Mood"),
    ("traitement", "Traitement", "Treatment"),
    ("constantes", "Constantes", "Vital signs"),
    ("respiration", "Respiration", "Breathing"),
    ("vie-sociale", "Vie sociale", "Social life"),
    ("famille", "Famille", "Family"),
    ("fin-de-vie", "Fin de vie", "End of life"),
    ("cognition", "Cognition / orientation", "Cognition / orientation"),
    ("autre", "Autre", "Other"),
]


def seed(apps, schema_editor):
    Target = apps.get_model("coordination", "Target")
    for order, (code, fr, en) in enumerate(TARGETS):
        Target.objects.get_or_create(code=code, defaults={"name_fr": fr, "name_en": en, "sort_order": (order + 1) * 10})


class Migration(migrations.Migration):
    dependencies = [("coordination", "0002_care_notes")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
