from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Shared documents")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Document, DocumentVersion, Folder, ReadConfirmation, ReadingRequirement

        auditlog.register(Folder)
        auditlog.register(Document)
        # Extracted text and preview bookkeeping are derived data, not changes people make.
        auditlog.register(
            DocumentVersion, exclude_fields=["extracted_text", "thumbnail", "preview_status", "page_count"]
        )
        auditlog.register(ReadingRequirement)
        auditlog.register(ReadConfirmation)
