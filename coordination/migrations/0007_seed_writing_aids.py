"""Templates and phrases for the usual targets, so that a fall note is written in four taps.

The group's defaults (no site): coordinators add their site's own, or switch these off, in the
admin panel. A frozen copy: later changes are made in the admin, not here.
"""

from django.db import migrations

#: target code → [(label, data, action, result)]
TEMPLATES = {
    "chute": [
        (
            "Chute sans gravité",
            "Retrouvée au sol dans sa chambre, consciente, sans plaie apparente.",
            "Relevée à deux, constantes prises, IDE prévenue, surveillance renforcée.",
            "Pas de douleur exprimée, a repris la marche.",
        ),
        (
            "Chute avec douleur",
            "Retrouvée au sol, se plaint de douleur à la hanche.",
            "Non relevée, installée confortablement, IDE et médecin prévenus, famille informée.",
            "",
        ),
    ],
    "douleur": [
        (
            "Douleur soulagée",
            "Se plaint de douleurs, EVA à 6/10.",
            "Antalgique donné selon prescription, installation confortable.",
            "EVA à 2/10 une heure après.",
        ),
    ],
    "alimentation": [
        (
            "Repas peu pris",
            "A mangé moins de la moitié de son repas.",
            "Aide au repas, collation proposée dans l'après-midi.",
            "",
        ),
    ],
    "hydratation": [
        ("Boit peu", "Boit peu depuis ce matin.", "Boissons proposées régulièrement, eau gélifiée.", ""),
    ],
    "sommeil": [
        (
            "Nuit agitée",
            "Nuit agitée, réveils fréquents.",
            "Réassurance, change, boisson proposée.",
            "S'est rendormie vers 3 h.",
        ),
    ],
    "comportement": [
        ("Agitation", "Agitation en fin de journée, déambulation.", "Réassurance, activité apaisante proposée.", ""),
    ],
}

#: target code → [(part, text, is_check)]
PHRASES = {
    "chute": [
        ("data", "Retrouvée au sol", False),
        ("data", "Chute devant témoin", False),
        ("data", "Consciente", False),
        ("action", "Relevée à deux", True),
        ("action", "Constantes prises", True),
        ("action", "IDE prévenue", True),
        ("action", "Médecin prévenu", True),
        ("action", "Famille prévenue", True),
        ("result", "Sans douleur", True),
        ("result", "Sans plaie", True),
        ("result", "Surveillance 24 h", True),
    ],
    "douleur": [
        ("data", "EVA à …/10", False),
        ("data", "Douleur à la mobilisation", False),
        ("action", "Antalgique selon prescription", True),
        ("action", "Installation confortable", True),
        ("action", "IDE prévenue", True),
        ("result", "Soulagée", True),
        ("result", "Réévaluation dans une heure", True),
    ],
    "alimentation": [
        ("data", "Mange seule", False),
        ("data", "Refus du repas", False),
        ("action", "Aide au repas", True),
        ("action", "Texture adaptée", True),
        ("result", "Repas pris en totalité", True),
        ("result", "Repas pris à moitié", True),
    ],
    "hydratation": [
        ("action", "Eau gélifiée proposée", True),
        ("action", "Boissons proposées régulièrement", True),
        ("result", "Environ 1 L bu sur la journée", False),
    ],
    "sommeil": [
        ("data", "Réveils fréquents", False),
        ("action", "Change", True),
        ("action", "Réassurance", True),
        ("result", "Rendormie", True),
    ],
}


def seed(apps, schema_editor):
    Target = apps.get_model("coordination", "Target")
    NoteTemplate = apps.get_model("coordination", "NoteTemplate")
    NotePhrase = apps.get_model("coordination", "NotePhrase")
    targets = {t.code: t for t in Target.objects.filter(code__in=set(TEMPLATES) | set(PHRASES))}
    for code, rows in TEMPLATES.items():
        if code in targets:
            for order, (label, data, action, result) in enumerate(rows):
                NoteTemplate.objects.get_or_create(
                    target=targets[code],
                    site=None,
                    label=label,
                    defaults={"data": data, "action": action, "result": result, "sort_order": (order + 1) * 10},
                )
    for code, rows in PHRASES.items():
        if code in targets:
            for order, (part, text, is_check) in enumerate(rows):
                NotePhrase.objects.get_or_create(
                    target=targets[code],
                    site=None,
                    part=part,
                    text=text,
                    defaults={"is_check": is_check, "sort_order": (order + 1) * 10},
                )


class Migration(migrations.Migration):
    dependencies = [("coordination", "0006_note_readings_and_writing_aids")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
