"""Access rows for the family portal (issue 7).

The world: a resident of site A followed by the matrix's family user with every
right, a shared note, a shared document, the family thread, a pending
invitation (its clear token kept for the acceptance row).
Families open their own relative's pages (200) and get 404 on staff objects;
staff get 403 on the family's own pages and 404 on resident-addressed portal
pages (the portal is not their way to a resident); only coordinators of the
site and group admins manage family access.
"""

from datetime import timedelta

from django.utils import timezone

from portal import services
from portal.models import Invitation, Relationship, hash_token, new_token
from tests.access.matrix import Rule, expect
from tests.portal.factories import ResidentFactory, shared_document, shared_note

#: A page of the family's own relative.
FAMILY_PAGE = expect(
    family=200, family_b=404, staff_a=404, staff_b=404, coordinator_a=404, group_admin=404, ended_a=404
)
#: A page of the family's own account.
FAMILY_ACCOUNT = expect(family=200, staff_a=403, staff_b=403, coordinator_a=403, group_admin=403, ended_a=403)
#: Managing family access to a site-A resident.
MANAGE_A = expect(family=404, staff_a=403, staff_b=404)
#: A POST on a site-A family object: coordinators and group admins only, 404 for others.
MANAGE_A_POST = expect(family=404, staff_a=404, staff_b=404, coordinator_a=302, group_admin=302)


def build(world):
    family = world.users["family"]
    coordinator = world.users["coordinator_a"]
    world.portal_resident = ResidentFactory(site=world.site_a, unit=world.unit_a, first_name="Marie")
    world.portal_link = services.family_link_grant(
        actor=coordinator,
        user=family,
        resident=world.portal_resident,
        relationship=Relationship.CHILD,
        may_see_news=True,
        may_see_documents=True,
        may_see_messages=True,
    )
    shared_note(world.portal_resident, world.users["staff_a"])
    world.portal_document = shared_document(world.portal_resident, coordinator)
    world.portal_token = new_token()
    world.portal_invitation = Invitation.objects.create(
        email="new.relative@matrix.test",
        resident=world.portal_resident,
        relationship=Relationship.SIBLING,
        token_hash=hash_token(world.portal_token),
        expires_at=timezone.now() + timedelta(days=7),
        created_by=coordinator,
    )


def _resident(w):
    return {"public_id": w.portal_resident.public_id}


RULES = [
    Rule(
        "portal:home",
        statuses={**FAMILY_ACCOUNT, "family": 302},
        note="a relative following one resident goes straight to their news",
    ),
    Rule("portal:news", _resident, FAMILY_PAGE),
    Rule("portal:documents", _resident, FAMILY_PAGE),
    Rule(
        "portal:document_download",
        lambda w: {"public_id": w.portal_resident.public_id, "document_id": w.portal_document.public_id},
        FAMILY_PAGE,
        note="download re-checks link, right and sharing flag, and is logged",
    ),
    Rule("portal:messages", _resident, FAMILY_PAGE),
    Rule("portal:practical", _resident, FAMILY_PAGE),
    Rule("portal:account", statuses=FAMILY_ACCOUNT),
    Rule("portal:sign_ins", statuses=FAMILY_ACCOUNT),
    Rule("portal:data_export", method="post", statuses=FAMILY_ACCOUNT),
    Rule(
        "portal:invitation_accept",
        lambda w: {"token": w.portal_token},
        {"anonymous": 200, "family": 403, "staff_a": 403, "staff_b": 403, "coordinator_a": 403, "group_admin": 403},
        note="public: the link is the credential; a signed-in person of another address is refused",
    ),
    Rule("portal:resident_family", _resident, MANAGE_A),
    Rule(
        "portal:invitation_resend",
        lambda w: {"public_id": w.portal_invitation.public_id},
        MANAGE_A_POST,
        method="post",
    ),
    Rule(
        "portal:invitation_revoke",
        lambda w: {"public_id": w.portal_invitation.public_id},
        MANAGE_A_POST,
        method="post",
    ),
    Rule(
        "portal:link_update",
        lambda w: {"public_id": w.portal_link.public_id},
        MANAGE_A_POST,
        method="post",
        data=lambda w: {f"{w.portal_link.public_id}-may_see_news": "on"},
    ),
    Rule(
        "portal:link_revoke",
        lambda w: {"public_id": w.portal_link.public_id},
        MANAGE_A_POST,
        method="post",
    ),
    Rule(
        "portal:site_info_edit",
        lambda w: {"public_id": w.site_a.public_id},
        expect(family=404, staff_a=404, staff_b=404),
    ),
]
