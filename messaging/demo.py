"""Demo messaging: site and unit channels with their members, a few messages, and
conversations between the demo accounts (one urgent message waiting for acknowledgement).

Bulk inserts only, idempotent: a channel that already has messages is left alone.
"""

from __future__ import annotations

import datetime
import random
import uuid

from django.db.models import Max
from django.utils import timezone

from directory.models import Assignment, Unit

from .models import Conversation, Kind, Membership, Message

SITE_MESSAGES = [
    "Bonjour à tous, la réunion d'équipe est décalée à 14 h 30 en salle de pause.",
    "Rappel\u00a0: la livraison de la pharmacie arrive demain matin, merci de libérer le local.",
    "Le lève-personne du 2e étage est réparé.",
    "Pensez à remplir le planning des congés d'été avant vendredi.",
    "Animation musicale cet après-midi au salon, accompagnez les résidents qui le souhaitent.",
]
UNIT_MESSAGES = [
    "Chambre 12\u00a0: pansement refait, à surveiller cette nuit.",
    "Mme R. a bien mangé ce midi, hydratation à encourager.",
    "Le kiné passe à 10 h pour M. D.",
]


def seed(ctx) -> None:
    rng = random.Random(ctx.seed + 6)
    sites = list(ctx.site_list)
    existing = set(Conversation.objects.filter(kind=Kind.SITE, site__in=sites).values_list("site_id", flat=True))
    new_sites = [s for s in sites if s.pk not in existing]
    Conversation.objects.bulk_create(
        [Conversation(kind=Kind.SITE, site=s, title=s.name) for s in new_sites], ignore_conflicts=True
    )
    units = list(Unit.objects.filter(site__in=new_sites).select_related("site"))
    Conversation.objects.bulk_create(
        [Conversation(kind=Kind.UNIT, site=u.site, unit=u, title=str(u)) for u in units], ignore_conflicts=True
    )
    channels = list(Conversation.objects.filter(kind__in=[Kind.SITE, Kind.UNIT], site__in=new_sites))
    by_site = {c.site_id: c for c in channels if c.kind == Kind.SITE}
    by_unit = {c.unit_id: c for c in channels if c.kind == Kind.UNIT}
    assignments = list(
        Assignment.objects.active().filter(site__in=new_sites).values_list("user_id", "site_id", "unit_id")
    )
    members = []
    for user_id, site_id, unit_id in assignments:
        members.append(Membership(conversation=by_site[site_id], user_id=user_id))
        if unit_id in by_unit:
            members.append(Membership(conversation=by_unit[unit_id], user_id=user_id))
    Membership.objects.bulk_create(members, ignore_conflicts=True, batch_size=2000)

    senders_by_site: dict[int, list[int]] = {}
    for user_id, site_id, _unit in assignments:
        senders_by_site.setdefault(site_id, []).append(user_id)
    now = timezone.now()
    messages = []
    for channel in channels:
        senders = senders_by_site.get(channel.site_id)
        if not senders:
            continue
        texts = SITE_MESSAGES if channel.kind == Kind.SITE else UNIT_MESSAGES
        for n, text in enumerate(rng.sample(texts, k=min(3, len(texts)))):
            messages.append(
                Message(
                    conversation=channel,
                    sender_id=rng.choice(senders),
                    body=text,
                    client_token=uuid.uuid4(),
                    created_at=now - datetime.timedelta(hours=6 - n),
                )
            )
    Message.objects.bulk_create(_numbered(messages), batch_size=2000)
    _refresh_last_message(channels)
    _seed_demo_accounts(ctx, now)
    ctx.log(f"messaging: {len(channels)} new channel(s), {len(messages)} message(s)")


def _numbered(messages: list[Message]) -> list[Message]:
    """The messages with their numbers in their conversation (bulk_create skips ``Message.save``)."""
    for message in messages:
        conversation = message.conversation
        conversation.last_seq += 1
        message.seq = conversation.last_seq
    return messages


def _refresh_last_message(conversations) -> None:
    latest = {
        row["conversation_id"]: row
        for row in Message.objects.filter(conversation__in=conversations)
        .values("conversation_id")
        .annotate(last=Max("id"), last_seq=Max("seq"))
    }
    updates = []
    for conversation in conversations:
        if conversation.pk in latest:
            conversation.last_message_id = latest[conversation.pk]["last"]
            conversation.last_seq = latest[conversation.pk]["last_seq"]
            conversation.last_message_at = timezone.now()
            updates.append(conversation)
    Conversation.objects.bulk_update(updates, ["last_message_id", "last_seq", "last_message_at"], batch_size=1000)


def _seed_demo_accounts(ctx, now) -> None:
    nurse = (ctx.accounts.get("nurse") or {}).get("user")
    aide = (ctx.accounts.get("care assistant") or {}).get("user")
    idec = (ctx.accounts.get("site coordinator") or {}).get("user")
    if not (nurse and aide and idec):
        return
    low, high = sorted((nurse.pk, aide.pk))
    direct, created = Conversation.objects.get_or_create(
        kind=Kind.DIRECT, direct_key=f"{low}:{high}", defaults={"created_by": aide}
    )
    if not created:
        return
    group = Conversation.objects.create(kind=Kind.GROUP, title="Équipe de nuit — Les Lilas", created_by=idec)
    Membership.objects.bulk_create(
        [Membership(conversation=direct, user=u) for u in (nurse, aide)]
        + [Membership(conversation=group, user=u) for u in (nurse, aide, idec)],
        ignore_conflicts=True,
    )
    rows = [
        (
            direct,
            aide,
            "Peux-tu passer voir Mme Martin chambre 12\u00a0? Elle se plaint de douleurs au genou.",
            False,
            50,
        ),
        (direct, nurse, "J'arrive dans 10 minutes, je prends le tensiomètre.", False, 45),
        (group, idec, "Bienvenue dans le groupe de l'équipe de nuit.", False, 120),
        (group, aide, "M. Durand a chuté dans sa salle de bain, il est conscient. Besoin d'une IDE.", True, 3),
    ]
    Message.objects.bulk_create(
        _numbered(
            [
                Message(
                    conversation=c,
                    sender=s,
                    body=b,
                    priority=Message.Priority.URGENT if urgent else Message.Priority.NORMAL,
                    client_token=uuid.uuid4(),
                    created_at=now - datetime.timedelta(minutes=ago),
                )
                for c, s, b, urgent, ago in rows
            ]
        )
    )
    _refresh_last_message([direct, group])
