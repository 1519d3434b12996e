"""What a relative sees of people and of live messages: the one home of both rules.

People: staff by first name and job ("Claire, infirmier(ère) (IDE)"), never by last
name, e-mail or @handle; "Care team" stands for the job when they have no staff
profile; other relatives by first name; the viewer as "You". The job follows the
name after a comma, as French writes a job in apposition: the job labels carry
their own parentheses ("Infirmier(ère) (IDE)"), so "Claire (Infirmier(ère) (IDE))"
would nest them, and "·" already separates the name from the time on the pages.

Live messages: a family socket receives only frames built here from an allow-list
of fields. Nothing is deleted from the staff frame, so a field added to it later
cannot reach a family; a frame type without a family form is not sent at all.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def staff_as_family_sees(user) -> str:
    """A member of staff as a relative sees them: first name and job only."""
    profile = getattr(user, "staff_profile", None)
    job = profile.get_job_display() if profile is not None else _("Care team")
    if not user.first_name:
        return job
    return _("%(first_name)s, %(job)s") % {"first_name": user.first_name, "job": _apposition(job)}


def _apposition(job: str) -> str:
    """A job after a name is a common noun, in lower case ("Claire, infirmière");
    an initialism at its start ("ASH …") keeps its capitals."""
    if len(job) > 1 and job[1].isupper():
        return job
    return job[:1].lower() + job[1:]


def person_as_family_sees(user, *, viewer=None) -> str:
    """Anyone of a family thread as a relative sees them: "You", a relative by first
    name, staff as :func:`staff_as_family_sees` says."""
    if viewer is not None and user.pk == viewer.pk:
        return _("You")
    if user.is_family:
        return user.first_name or _("A relative")
    return staff_as_family_sees(user)


# --- Family socket frames ----------------------------------------------------------------------

#: Frames that name nobody: their family form is these keys of the frame, and only these.
PLAIN_FRAME_KEYS: dict[str, tuple[str, ...]] = {
    "hello": ("type", "user", "heartbeat", "unread"),
    "sent": ("type", "client_token", "id"),
    "synced": ("type", "conversation", "complete"),
    "error": ("type", "code", "message", "client_token", "retry_after", "ref", "conversation"),
    "heartbeat": ("type",),
    "removed": ("type", "conversation"),
    "conversations_changed": ("type",),
    "unread": ("type", "conversation", "count"),
}
#: Frames about one message: their family form is built from the Message itself.
MESSAGE_FRAMES = ("message", "updated")
#: The keys of an attachment a relative gets (the download view checks membership again).
ATTACHMENT_KEYS = ("public_id", "name", "size", "size_label", "url")
# "read" (when each member read) and "escalated" (who is on call) have no family form:
# the portal shows neither, so they are not sent to families.


def family_message_payload(message) -> dict:
    """One message as a family socket receives it (the client escapes it on render)."""
    from messaging.attachments import payload as attachment_payload

    deleted = message.is_deleted
    acks = [a.user for a in message.acknowledgements.all()] if message.is_urgent and not deleted else []
    attachments = [] if deleted else [attachment_payload(a) for a in message.attachments.all()]
    return {
        "id": message.pk,
        "public_id": str(message.public_id),
        "seq": message.seq,
        "conversation": str(message.conversation.public_id),
        "sender": {"id": message.sender_id, "name": person_as_family_sees(message.sender)},
        "body": "" if deleted else message.body,
        "urgent": message.is_urgent,
        "created_at": message.created_at.isoformat(),
        "edited": bool(message.edited_at),
        "deleted": deleted,
        "acks": [person_as_family_sees(user) for user in acks],
        "attachments": [{key: item[key] for key in ATTACHMENT_KEYS} for item in attachments],
    }


def family_frame(frame: dict, *, message=None, acknowledged_by=None) -> dict | None:
    """The family form of a socket frame, or None when a family gets nothing of it.

    ``message`` (for "message" and "updated") and ``acknowledged_by`` (for "ack") are
    the objects the frame is about: the family form is built from them, never
    copied from the staff frame.
    """
    kind = frame.get("type")
    if kind in MESSAGE_FRAMES:
        if message is None:
            return None
        family = {"type": kind, "message": family_message_payload(message)}
        for flag in ("replay", "repaired"):
            if frame.get(flag):
                family[flag] = True
        return family
    if kind == "ack":
        if acknowledged_by is None:
            return None
        return {
            "type": "ack",
            "conversation": frame.get("conversation"),
            "message": frame.get("message"),
            "user": acknowledged_by.pk,
            "name": person_as_family_sees(acknowledged_by),
        }
    keys = PLAIN_FRAME_KEYS.get(kind)
    if keys is None:
        return None
    return {key: frame[key] for key in keys if key in frame}
