from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Residents and care notes")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import (
            CareNote,
            CareNoteFollowUp,
            CareNoteRevision,
            HandoverAcknowledgement,
            NotePhrase,
            NoteTemplate,
            Resident,
            ResidentAlert,
            SiteCareSettings,
            Target,
        )

        auditlog.register(Resident, m2m_fields={"referents"}, exclude_fields=["search_text"])
        auditlog.register(CareNote, exclude_fields=["search_text", "search_vector"])
        for model in (
            CareNoteFollowUp,
            CareNoteRevision,
            HandoverAcknowledgement,
            NotePhrase,
            NoteTemplate,
            ResidentAlert,
            SiteCareSettings,
            Target,
        ):
            auditlog.register(model)
