"""A relative's own data, as they may download it (GDPR right of access)."""

from __future__ import annotations

from carehub.models import AccessLog
from messaging.models import Message

from .models import FamilyLink, FamilyPreferences, Invitation, SentDigest


def family_data_export(user) -> dict[str, object]:
    """{file name: JSON-able content}. Only what concerns the person: their account,
    links, preferences, the e-mails sent to them, their sign-ins and reads, their messages."""
    prefs = FamilyPreferences.objects.filter(user=user).first()
    links = FamilyLink.objects.filter(user=user).select_related("resident", "resident__site")
    data: dict[str, object] = {
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "joined": user.date_joined,
            "last_sign_in": user.last_login,
            "summary_email": prefs.digest if prefs else "off",
        },
        "residents_followed": [
            {
                "resident": f"{link.resident.first_name} {link.resident.last_name}",
                "site": link.resident.site.name,
                "relationship": link.get_relationship_display(),
                "may_see_news": link.may_see_news,
                "may_see_documents": link.may_see_documents,
                "may_see_messages": link.may_see_messages,
                "since": link.created_at,
                "active": link.is_active,
                "revoked": link.revoked_at,
            }
            for link in links
        ],
        "invitations": [
            {"resident": str(inv.resident), "sent": inv.sent_at, "accepted": inv.accepted_at}
            for inv in Invitation.objects.filter(accepted_by=user).select_related("resident")
        ],
        "summary_emails_sent": [
            {"period": d.period, "updates": d.update_count, "sent": d.sent_at}
            for d in SentDigest.objects.filter(user=user)
        ],
        "activity_log": [
            {"at": e.at, "action": e.action, "object": e.object_repr, "ip": e.ip, "browser": e.user_agent}
            for e in AccessLog.objects.filter(user=user).order_by("id").iterator()
        ],
    }
    data["messages_written"] = [
        {"at": m.created_at, "conversation": str(m.conversation), "text": m.body}
        for m in Message.objects.filter(sender=user).select_related("conversation").order_by("id")
    ]
    return data
