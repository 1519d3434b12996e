"""Demo residents and care notes (``manage.py seed_demo``): French wording per target,
about 15 notes per resident per week, urgent and family-visible ones included.

Idempotent: a site that already has residents is left as it is. Bulk inserts only,
fast enough for the benchmark's hundreds of sites.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from directory.models import Assignment

from .identity import ins_key
from .models import CareNote, Resident, ResidentAlert, SiteCareSettings, Target, normalise_for_search
from .shifts import shift_at
from .targets import ensure_default_targets

NOTES_PER_RESIDENT_PER_WEEK = 15
BATCH = 5000

#: (Data, Action, Result) per target; {…} are filled at random.
WORDING: dict[str, list[tuple[str, str, str]]] = {
    "douleur": [
        (
            "Se plaint de douleurs {side} au lever, EVA {eva}/10.",
            "Paracétamol 1 g donné selon prescription, installation au fauteuil avec coussin.",
            "EVA à {eva_after}/10 une heure après.",
        ),
        (
            "Grimace lors de la toilette, mobilisation douloureuse de l'épaule {side_adj}.",
            "Toilette adaptée, antalgique donné.",
            "Plus détendue en fin de soin.",
        ),
        ("Douleurs abdominales signalées après le repas.", "Surveillance, bouillotte tiède, IDE prévenue.", ""),
    ],
    "chute": [
        (
            "Retrouvée assise au sol près du lit à {hour}h, pas de plaie visible.",
            "Relevée à deux, constantes prises, IDE et médecin prévenus.",
            "Pas de douleur à la mobilisation, surveillance neurologique en cours.",
        ),
        (
            "Chute dans la salle de bain, hématome au front.",
            "Glace, surveillance neurologique toutes les heures, famille prévenue.",
            "",
        ),
        (
            "Perte d'équilibre au transfert, rattrapée par l'aide-soignante.",
            "Transfert refait avec le guidon.",
            "Pas de chute, à signaler au kiné.",
        ),
    ],
    "alimentation": [
        ("A mangé {pct} % du repas de midi.", "Complément hyperprotéiné proposé.", "Complément pris en entier."),
        (
            "Refus du petit-déjeuner, dit ne pas avoir faim.",
            "Proposé une compote et un laitage plus tard.",
            "A pris le laitage.",
        ),
        ("Fausse route au dîner avec la viande hachée.", "Arrêt du repas, texture mixée demandée en cuisine.", ""),
    ],
    "hydratation": [
        (
            "Boit peu, environ {ml} ml sur la matinée.",
            "Eau gélifiée proposée toutes les heures.",
            "Boit mieux après le repas.",
        ),
        ("Lèvres sèches, urines foncées.", "Hydratation renforcée, IDE prévenue.", ""),
    ],
    "elimination": [
        ("Pas de selles depuis {days} jours.", "Pruneaux prévus au petit-déjeuner, IDE informée.", ""),
        ("Protection souillée à deux reprises cette nuit.", "Change complet, soin de siège.", "Peau intacte."),
    ],
    "sommeil": [
        ("Nuit agitée, s'est levée {n} fois.", "Réassurance, accompagnée aux toilettes.", "Endormie vers 3 h."),
        ("Bonne nuit, dormait à chaque passage.", "", ""),
        ("Réveillée vers 5 h, demande son mari.", "Discussion calme, boisson chaude.", "Rendormie peu après."),
    ],
    "comportement": [
        (
            "Agitation en fin d'après-midi, cherche la sortie.",
            "Accompagnée en promenade dans le jardin, musique.",
            "Apaisée après 20 minutes.",
        ),
        (
            "Propos agressifs envers une autre résidente au salon.",
            "Séparation des deux dames, temps calme en chambre.",
            "",
        ),
    ],
    "hygiene": [
        ("Refuse la douche ce matin.", "Toilette au lavabo proposée et acceptée.", "Toilette faite."),
        ("Douche faite, participe à la toilette du haut.", "Stimulation à l'autonomie.", ""),
    ],
    "peau-escarre": [
        (
            "Rougeur persistante au talon {side_adj}.",
            "Effleurage, botte de décharge mise en place.",
            "À réévaluer demain.",
        ),
        (
            "Escarre sacrée stade 2\u00a0: pansement souillé.",
            "Pansement refait selon protocole.",
            "Plaie propre, bords rosés.",
        ),
    ],
    "mobilite": [
        ("Marche avec le déambulateur jusqu'à la salle à manger.", "Accompagnée, encouragée.", ""),
        ("Transfert lit-fauteuil difficile ce matin.", "Verticalisateur utilisé.", "Transfert sans difficulté."),
    ],
    "humeur": [
        (
            "Triste, pleure en parlant de sa fille.",
            "Temps d'écoute, proposition d'appeler la famille.",
            "Souriante après l'appel.",
        ),
        ("De très bonne humeur, chante avec l'animatrice.", "", ""),
    ],
    "traitement": [
        ("Refus des médicaments du midi.", "Nouvelle proposition une heure après.", "Traitement pris."),
        ("Comprimé retrouvé dans le lit.", "IDE prévenue, traitement redonné.", ""),
    ],
    "constantes": [
        (
            "Température {temp} °C au coucher.",
            "Hydratation, découverte, contrôle dans une heure.",
            "Température {temp_after} °C au contrôle.",
        ),
        ("Tension {ta} ce matin, dit avoir la tête qui tourne.", "Repos au lit, IDE prévenue.", ""),
        (
            "Saturation {sat} % en air ambiant.",
            "Position demi-assise, IDE prévenue.",
            "Saturation à 95 % après 15 min.",
        ),
    ],
    "respiration": [
        ("Encombrement bronchique, toux grasse.", "Position demi-assise, kiné prévenu.", ""),
    ],
    "vie-sociale": [
        ("A participé à l'atelier mémoire avec plaisir.", "", ""),
        ("A assisté au loto de l'après-midi, a gagné une partie.", "", "Très contente de sa journée."),
        ("Visite de sa petite-fille, promenade au jardin.", "", ""),
    ],
    "famille": [
        (
            "Appel de son fils qui s'inquiète de la perte de poids.",
            "Informations données, rendez-vous proposé avec l'IDEC.",
            "",
        ),
        ("Visite de sa fille, qui apporte du linge.", "", ""),
    ],
    "fin-de-vie": [
        (
            "Respiration irrégulière, peu réactive.",
            "Soins de confort, bouche humidifiée, famille prévenue.",
            "Calme, semble paisible.",
        ),
    ],
    "cognition": [
        ("Désorientée dans le temps ce matin, demande si c'est dimanche.", "Réorientation douce.", ""),
    ],
}
#: When a wording can be written, in the site's local hours [start, end): a note says what its time says
#: ("au lever" in the morning, "Endormie vers 3 h" at the end of the night). Others: any time.
WRITTEN_BETWEEN: dict[str, tuple[int, int]] = {
    "Se plaint de douleurs {side} au lever, EVA {eva}/10.": (7, 10),
    "Grimace lors de la toilette, mobilisation douloureuse de l'épaule {side_adj}.": (7, 12),
    "Douleurs abdominales signalées après le repas.": (13, 15),
    "Chute dans la salle de bain, hématome au front.": (7, 21),
    "Perte d'équilibre au transfert, rattrapée par l'aide-soignante.": (7, 21),
    "A mangé {pct} % du repas de midi.": (13, 15),
    "Refus du petit-déjeuner, dit ne pas avoir faim.": (8, 11),
    "Fausse route au dîner avec la viande hachée.": (18, 21),
    "Boit peu, environ {ml} ml sur la matinée.": (12, 14),
    "Protection souillée à deux reprises cette nuit.": (5, 8),
    "Nuit agitée, s'est levée {n} fois.": (4, 8),
    "Bonne nuit, dormait à chaque passage.": (5, 8),
    "Réveillée vers 5 h, demande son mari.": (6, 8),
    "Agitation en fin d'après-midi, cherche la sortie.": (17, 21),
    "Propos agressifs envers une autre résidente au salon.": (10, 20),
    "Refuse la douche ce matin.": (8, 12),
    "Douche faite, participe à la toilette du haut.": (8, 12),
    "Marche avec le déambulateur jusqu'à la salle à manger.": (11, 13),
    "Transfert lit-fauteuil difficile ce matin.": (8, 12),
    "Triste, pleure en parlant de sa fille.": (9, 20),
    "De très bonne humeur, chante avec l'animatrice.": (14, 18),
    "Refus des médicaments du midi.": (12, 13),
    "Température {temp} °C au coucher.": (20, 22),
    "Tension {ta} ce matin, dit avoir la tête qui tourne.": (8, 12),
    "A participé à l'atelier mémoire avec plaisir.": (10, 17),
    "A assisté au loto de l'après-midi, a gagné une partie.": (15, 19),
    "Visite de sa petite-fille, promenade au jardin.": (14, 19),
    "Appel de son fils qui s'inquiète de la perte de poids.": (9, 19),
    "Visite de sa fille, qui apporte du linge.": (14, 19),
    "Désorientée dans le temps ce matin, demande si c'est dimanche.": (8, 12),
}
#: How often each target is used (weights).
TARGET_WEIGHTS = {
    "douleur": 10,
    "chute": 3,
    "alimentation": 12,
    "hydratation": 6,
    "elimination": 7,
    "sommeil": 10,
    "comportement": 6,
    "hygiene": 8,
    "peau-escarre": 4,
    "mobilite": 6,
    "humeur": 6,
    "traitement": 5,
    "constantes": 6,
    "respiration": 2,
    "vie-sociale": 5,
    "famille": 3,
    "fin-de-vie": 1,
    "cognition": 3,
}
URGENT_TARGETS = {"chute", "constantes", "respiration", "alimentation", "douleur"}
FAMILY_TARGETS = {"vie-sociale", "humeur", "famille", "alimentation", "sommeil", "mobilite"}
ALERTS = [
    (ResidentAlert.Kind.FALL_RISK, ""),
    (ResidentAlert.Kind.SWALLOWING, "texture mixée, eau gélifiée"),
    (ResidentAlert.Kind.ALLERGY, "pénicilline"),
    (ResidentAlert.Kind.ALLERGY, "iode"),
    (ResidentAlert.Kind.WANDERING, "porte bracelet"),
    (ResidentAlert.Kind.PRESSURE_ULCER, "matelas à air"),
    (ResidentAlert.Kind.DIABETES, "glycémie avant les repas"),
    (ResidentAlert.Kind.ANTICOAGULANT, ""),
]


def _fill(text: str, rng: random.Random, *, hour: int) -> str:
    if "{" not in text:
        return text
    eva = rng.randint(4, 8)
    return text.format(
        side=rng.choice(["à la hanche gauche", "à la hanche droite", "au genou", "dans le dos"]),
        side_adj=rng.choice(["gauche", "droit"]),
        eva=eva,
        eva_after=max(0, eva - rng.randint(2, 4)),
        hour=hour,
        pct=rng.choice([25, 50, 75]),
        ml=rng.choice([200, 300, 400]),
        days=rng.randint(2, 4),
        n=rng.randint(2, 5),
        temp=f"{rng.uniform(37.8, 39.2):.1f}".replace(".", ","),
        temp_after=f"{rng.uniform(37.0, 37.8):.1f}".replace(".", ","),
        ta=f"{rng.randint(9, 17)}/{rng.randint(5, 9)}",
        sat=rng.randint(86, 92),
    )


def seed(ctx) -> None:
    ensure_default_targets()
    rng = random.Random(ctx.seed + 4)
    now = timezone.now()
    residents_total = notes_total = 0
    for site_index, site in enumerate(ctx.site_list):
        if Resident.objects.filter(site=site).exists():
            continue  # idempotent: a site with residents keeps them
        units = list(site.units.order_by("name"))
        per_unit = _split(ctx.residents_per_site, len(units) or 1)
        residents = seed_residents(site, units, per_unit, rng, ctx.faker)
        residents_total += len(residents)
        notes_total += seed_notes(site, residents, days=ctx.note_days, rng=rng, now=now)
        if site_index == 0:
            _link_demo_accounts(ctx, residents, units)
    ctx.log(f"coordination: {residents_total} residents, {notes_total} care notes")


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def seed_residents(site, units, per_unit: list[int], rng: random.Random, faker) -> list[Resident]:
    today = timezone.localdate()
    rows = []
    for unit_index, (unit, count) in enumerate(zip(units or [None], per_unit, strict=False)):
        for n in range(count):
            female = rng.random() < 0.72  # most residents are women
            first_name = faker.first_name_female() if female else faker.first_name_male()
            last_name = faker.last_name()
            birth_date = today - timedelta(days=rng.randint(72 * 365, 102 * 365))
            rows.append(
                Resident(
                    site=site,
                    unit=unit,
                    first_name=first_name,
                    last_name=last_name,
                    birth_date=birth_date,
                    **demo_identity(
                        rng, faker, female=female, first_name=first_name, last_name=last_name, born=birth_date
                    ),
                    room=f"{unit_index + 1}{n + 1:02d}",
                    gir=rng.choices([1, 2, 3, 4, 5, 6], weights=[8, 25, 22, 30, 10, 5])[0],
                    admission_date=today - timedelta(days=rng.randint(10, 8 * 365)),
                    status=Resident.Status.HOSPITALISED if rng.random() < 0.02 else Resident.Status.PRESENT,
                )
            )
    for row in rows:
        row.search_text = row.build_search_text()  # bulk_create does not call save()
    residents = Resident.objects.bulk_create(rows, batch_size=BATCH)
    if not all(r.pk for r in residents):
        residents = list(Resident.objects.filter(site=site).order_by("pk"))
    alerts = []
    for resident in residents:
        for kind, detail in rng.sample(ALERTS, k=rng.choices([0, 1, 2], weights=[55, 33, 12])[0]):
            alerts.append(ResidentAlert(resident=resident, kind=kind, detail=detail, created_by_id=None))
    return _with_alerts(residents, alerts, site)


#: Départements of birth of the demo residents, Corsica's among them.
_DEPARTMENTS = ("75", "69", "13", "33", "59", "2A", "2B", "97")


def demo_identity(rng: random.Random, faker, *, female: bool, first_name: str, last_name: str, born: date) -> dict:
    """Identity traits (RNIV) for a demo resident: most women known by a married name, most
    identities qualified with an INS of the test platform (OID .10: never a real person's)."""
    birth_name = faker.last_name() if female and rng.random() < 0.6 else last_name
    forenames = f"{first_name} {faker.first_name_female() if female else faker.first_name_male()}"
    department = rng.choice(_DEPARTMENTS)
    commune = f"{rng.randint(1, 99):03d}" if department != "97" else f"{rng.randint(101, 129):03d}"
    place = (department + commune)[:5]
    traits = {
        "birth_name": birth_name,
        "birth_first_forename": first_name,
        "birth_forenames": forenames,
        "sex": Resident.Sex.FEMALE if female else Resident.Sex.MALE,
        "birth_place_code": place,
        "identity_status": rng.choices(
            [Resident.IdentityStatus.QUALIFIED, Resident.IdentityStatus.VALIDATED, Resident.IdentityStatus.PROVISIONAL],
            weights=[60, 25, 15],
        )[0],
    }
    if traits["identity_status"] == Resident.IdentityStatus.QUALIFIED:
        number = f"{2 if female else 1}{born.year % 100:02d}{born.month:02d}{place}{rng.randint(1, 999):03d}"
        traits["ins_matricule"] = f"{number}{ins_key(number):02d}"
        traits["ins_oid"] = "1.2.250.1.213.1.4.10"
    return traits


def _with_alerts(residents, alerts, site):
    author = Assignment.objects.filter(site=site).order_by("role", "pk").values_list("user_id", flat=True).first()
    if author is not None:
        for alert in alerts:
            alert.created_by_id = author
        ResidentAlert.objects.bulk_create(alerts, batch_size=BATCH)
    return residents


def _authors_by_unit(site) -> tuple[dict, list[int]]:
    by_unit: dict[int | None, list[int]] = {}
    for user_id, unit_id in (
        Assignment.objects.filter(site=site).filter(Q(role=Assignment.Role.STAFF)).values_list("user_id", "unit_id")
    ):
        by_unit.setdefault(unit_id, []).append(user_id)
    everyone = sorted({u for ids in by_unit.values() for u in ids})
    if not everyone:
        everyone = list(Assignment.objects.filter(site=site).values_list("user_id", flat=True))
    return by_unit, everyone


def seed_notes(site, residents, *, days: int, rng: random.Random, now: datetime | None = None) -> int:
    """About 15 notes per resident per week over ``days`` days up to ``now``, bulk inserted."""
    if days <= 0 or not residents:
        return 0
    now = now or timezone.now()
    targets = {t.code: t for t in Target.objects.filter(code__in=list(WORDING))}
    codes = [c for c in TARGET_WEIGHTS if c in targets]
    weights = [TARGET_WEIGHTS[c] for c in codes]
    hours = SiteCareSettings.for_site(site).hours
    zone: ZoneInfo = hours.zone
    by_unit, everyone = _authors_by_unit(site)
    if not everyone:
        return 0
    per_day = NOTES_PER_RESIDENT_PER_WEEK / 7
    start_day = (now.astimezone(zone) - timedelta(days=days)).date()
    batch: list[CareNote] = []
    total = 0
    for resident in residents:
        authors = by_unit.get(resident.unit_id) or everyone
        for offset in range(days + 1):
            day = start_day + timedelta(days=offset)
            count = int(per_day) + (1 if rng.random() < per_day - int(per_day) else 0)
            for _ in range(count):
                note = _make_note(resident, site, day, zone, hours, rng, targets, codes, weights, authors, now)
                if note is not None:
                    batch.append(note)
            if len(batch) >= BATCH:
                CareNote.objects.bulk_create(batch)
                total += len(batch)
                batch = []
    if batch:
        CareNote.objects.bulk_create(batch)
        total += len(batch)
    return total


def _make_note(resident, site, day: date, zone, hours, rng, targets, codes, weights, authors, now):
    code = rng.choices(codes, weights=weights)[0]
    target = targets[code]
    wording = rng.choice(WORDING[code])
    window = WRITTEN_BETWEEN.get(wording[0])
    if window is not None:
        minute_of_day = rng.randint(window[0] * 60, window[1] * 60 - 1)
    else:
        minute_of_day = rng.choices(
            [rng.randint(7 * 60, 14 * 60 - 1), rng.randint(14 * 60, 21 * 60 - 1), rng.randint(0, 24 * 60 - 1)],
            weights=[45, 35, 20],
        )[0]
    local = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=zone)
    created = local.astimezone(UTC)
    if created > now:
        return None
    data, action, result = (_fill(t, rng, hour=local.hour) for t in wording)
    roll = rng.random()
    priority = CareNote.Priority.ROUTINE
    if code in URGENT_TARGETS and roll < 0.06:
        priority = CareNote.Priority.URGENT
    elif roll < 0.2:
        priority = CareNote.Priority.IMPORTANT
    slot = shift_at(created, hours)
    age = now - created
    author_id = rng.choice(authors)
    note = CareNote(
        resident_id=resident.pk,
        site_id=site.pk,
        unit_id=resident.unit_id,
        author_id=author_id,
        target=target,
        data=data,
        action=action,
        result=result,
        priority=priority,
        shift=slot.shift,
        shift_date=slot.day,
        is_family_visible=code in FAMILY_TARGETS and priority == CareNote.Priority.ROUTINE and rng.random() < 0.3,
        is_open_target=not result and age < timedelta(days=2) and rng.random() < 0.25,
        created_at=created,
    )
    if note.is_urgent and age > timedelta(minutes=30):
        # History: a colleague saw it in time.
        note.acknowledged_at = created + timedelta(minutes=rng.randint(1, 12))
        note.acknowledged_by_id = rng.choice(authors)
    note.search_text = normalise_for_search(
        " ".join(p for p in (target.name_fr, target.name_en, data, action, result) if p)
    )
    return note


def _link_demo_accounts(ctx, residents, units) -> None:
    """The demo nurse and care assistant work in the first unit: make them referents there."""
    if not units:
        return
    first_unit = [r for r in residents if r.unit_id == units[0].pk]
    for role in ("nurse", "care assistant"):
        account = ctx.accounts.get(role)
        if account is None:
            continue
        for resident in first_unit[: 4 if role == "nurse" else 6]:
            resident.referents.add(account["user"])
