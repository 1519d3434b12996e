"""The usual targets (cibles), French name and English name. Migration 0003 seeds a frozen copy."""

DEFAULT_TARGETS = [
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


def ensure_default_targets(target_model=None, using: str = "default") -> None:
    """Create the default targets that are missing (idempotent; coordinators' edits are kept)."""
    if target_model is None:
        from .models import Target as target_model
    existing = set(target_model.objects.using(using).values_list("code", flat=True))
    target_model.objects.using(using).bulk_create(
        [
            target_model(code=code, name_fr=fr, name_en=en, sort_order=(order + 1) * 10)
            for order, (code, fr, en) in enumerate(DEFAULT_TARGETS)
            if code not in existing
        ]
    )


def seed_targets_after_migrate(sender, using="default", apps=None, **kwargs) -> None:
    """post_migrate: the targets are reference data, present after every migrate and every
    flush (a flush empties them, e.g. between transactional tests), like content types."""
    from django.db import connections

    try:
        target_model = apps.get_model("coordination", "Target") if apps is not None else None
    except LookupError:
        return
    if target_model is None:
        from .models import Target as target_model
    if target_model._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated back below 0002
    ensure_default_targets(target_model, using=using)
