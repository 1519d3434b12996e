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


def ensure_default_targets(target_model=None) -> None:
    """Create the default targets that are missing (idempotent; coordinators' edits are kept)."""
    if target_model is None:
        from .models import Target as target_model
    existing = set(target_model.objects.values_list("code", flat=True))
    target_model.objects.bulk_create(
        [
            target_model(code=code, name_fr=fr, name_en=en, sort_order=(order + 1) * 10)
            for order, (code, fr, en) in enumerate(DEFAULT_TARGETS)
            if code not in existing
        ]
    )
