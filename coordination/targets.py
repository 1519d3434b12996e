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


def default_sort_order(code: str) -> int:
    return next((order + 1) * 10 for order, (known, _fr, _en) in enumerate(DEFAULT_TARGETS) if known == code)


def ensure_default_targets() -> None:
    """Create the default targets that are missing (idempotent; coordinators' edits are kept).

    Migration 0003 seeds them on a new database; the demo calls this after a ``flush``.
    """
    from .models import Target

    existing = set(Target.objects.values_list("code", flat=True))
    Target.objects.bulk_create(
        [
            Target(code=code, name_fr=fr, name_en=en, sort_order=default_sort_order(code))
            for code, fr, en in DEFAULT_TARGETS
            if code not in existing
        ]
    )
