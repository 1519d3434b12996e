from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self):
        from auditlog.registry import auditlog

        from . import (
            attachments,  # noqa: F401  (a deleted attachment's file leaves the storage)
            signals,  # noqa: F401  (assignment changes resync channels)
        )
        from .models import Acknowledgement, Attachment, Conversation, Membership, Message

        auditlog.register(Conversation)
        auditlog.register(Membership, exclude_fields=["last_read_message_id", "unread_emailed_upto_id"])
        auditlog.register(Message, m2m_fields={"reached"})
        auditlog.register(Acknowledgement)
        auditlog.register(Attachment)
