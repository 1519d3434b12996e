from celery import shared_task

from . import services


@shared_task(acks_late=True)
def search_documents_refresh_recent_changes() -> int:
    """Nightly: re-derive the search columns of people whose assignments started or ended lately."""
    return services.search_documents_refresh_recent_changes(days=2)
