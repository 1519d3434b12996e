"""Access rows for messaging. Conversations are made in site A between staff_a and
coordinator_a; staff of site B get 404 (hidden = absent), families 403/404."""

import uuid

from tests.access.matrix import Rule, expect

STAFF_ONLY = expect()  # any current staff member; families 403


def build(world):
    from messaging import services
    from messaging.models import Conversation, Kind, Membership, Message
    from tests.messaging.factories import ResidentFactory

    staff_a, coord_a = world.users["staff_a"], world.users["coordinator_a"]
    group = Conversation.objects.create(kind=Kind.GROUP, title="Matrice", created_by=staff_a)
    for user in (staff_a, coord_a):
        Membership.objects.create(conversation=group, user=user)
    world.group = group
    world.resident = ResidentFactory(site=world.site_a)
    # A site channel of site A: every staff member of A and the group admin reach it.
    world.channel = services.site_channel_get_or_create(site=world.site_a)
    world.message = Message.objects.create(
        conversation=world.channel, sender=staff_a, body="Bonjour", client_token=uuid.uuid4()
    )
    # A PDF sent in the site channel of site A, through the documents app's checks.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.samples import text_pdf

    world.attachment = services.message_send(
        conversation=world.channel,
        sender=staff_a,
        body="Protocole joint",
        client_token=uuid.uuid4(),
        files=[SimpleUploadedFile("protocole.pdf", text_pdf([["Matrice"]]))],
    ).message.attachments.get()


def _site_a_only(**overrides):
    return expect(staff_b=404, family=404, **overrides)


RULES = [
    Rule("messaging:index", statuses=STAFF_ONLY),
    Rule("messaging:search", statuses=STAFF_ONLY, data=lambda w: {"q": "Bonjour"}),
    Rule(
        "messaging:group_create",
        method="post",
        data=lambda w: {"title": ""},
        statuses=expect(staff_a=400, staff_b=400, coordinator_a=400, group_admin=400),
        note="an empty form answers 400 with the errors; the matrix checks who gets that far",
    ),
    Rule("messaging:duty_send", statuses=STAFF_ONLY),
    Rule(
        "messaging:start_direct",
        kwargs=lambda w: {"public_id": w.users["coordinator_a"].public_id},
        statuses=expect(family=404, coordinator_a=302),
        note="no conversation yet: the page to write the first one; coordinator_a to themself: "
        "refused with a message and a redirect to the list",
    ),
    Rule(
        "messaging:resident_thread",
        kwargs=lambda w: {"public_id": w.resident.public_id},
        statuses=_site_a_only(),
        note="no thread yet: the page to write its first message",
    ),
    Rule(
        "messaging:conversation",
        kwargs=lambda w: {"public_id": w.channel.public_id},
        statuses=expect(staff_b=404, family=404),
    ),
    Rule(
        "messaging:member_add",
        kwargs=lambda w: {"public_id": w.group.public_id},
        method="post",
        data=lambda w: {"user": ""},
        statuses=expect(
            staff_a=302, staff_b=404, coordinator_a=302, group_admin=404, family=404, nurse_a=404, doctor_a=404
        ),
        note="group members only; the empty form is refused with a message",
    ),
    Rule(
        "messaging:member_remove",
        kwargs=lambda w: {"public_id": w.group.public_id, "user_public_id": w.users["group_admin"].public_id},
        method="post",
        statuses=expect(staff_a=404, staff_b=404, coordinator_a=404, group_admin=404, family=404),
        note="not a member of that group: 404 for everyone",
    ),
    Rule(
        "messaging:acknowledge",
        kwargs=lambda w: {"public_id": w.message.public_id},
        method="post",
        statuses=_site_a_only(staff_a=302, coordinator_a=302, group_admin=302),
        note="not urgent: refused with a message and a redirect",
    ),
    Rule(
        "messaging:message_edit",
        kwargs=lambda w: {"public_id": w.message.public_id},
        statuses=_site_a_only(coordinator_a=403, group_admin=403, nurse_a=403, doctor_a=403),
        note="only the sender (staff_a) edits",
    ),
    Rule(
        "messaging:message_delete",
        kwargs=lambda w: {"public_id": w.message.public_id},
        method="post",
        statuses=_site_a_only(staff_a=302, coordinator_a=403, group_admin=403, nurse_a=403, doctor_a=403),
        note="only the sender (staff_a) deletes",
    ),
    Rule(
        "messaging:attachment",
        kwargs=lambda w: {"public_id": w.attachment.public_id},
        statuses=_site_a_only(ended_a=404),
        note="members of the site-A channel only; another site's staff, families and former staff get 404 (a file is looked up first)",
    ),
]
