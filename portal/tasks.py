from celery import shared_task

from . import digests


@shared_task(name="portal.tasks.send_family_digests")
def send_family_digests() -> int:
    """Hourly (beat): queue each relative's summary; each task sends a period once at most."""
    user_ids = digests.users_due()
    for user_id in user_ids:
        send_family_digest.delay(user_id)
    return len(user_ids)


@shared_task(name="portal.tasks.send_family_digest")
def send_family_digest(user_id: int) -> bool:
    return digests.family_digest_send(user_id=user_id) is not None
