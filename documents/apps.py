from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Shared documents")

    def ready(self):
        from auditlog.registry import auditlog
        from django.db.models.signals import post_migrate

        from . import text_index
        from .models import Document, DocumentVersion, Folder, ReadConfirmation, ReadingRequirement

        auditlog.register(Folder)
        auditlog.register(Document)
        # Extracted text and preview bookkeeping are derived data, not changes people make.
        auditlog.register(
            DocumentVersion, exclude_fields=["extracted_text", "thumbnail", "preview_status", "page_count"]
        )
        auditlog.register(ReadingRequirement)
        auditlog.register(ReadConfirmation)
        # SQLite drops a table's triggers when a migration rebuilds it: put the text index's back.
        post_migrate.connect(text_index.ensure_after_migrate, sender=self, dispatch_uid="documents.text_index")
