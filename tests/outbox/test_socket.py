"""An urgent message sent over the socket with the broker down: the sender gets its "sent" frame."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from messaging.models import Message
from outbox.models import OutboxTask
from tests.messaging.factories import group_with
from tests.messaging.test_consumer import connected, receive_type
from tests.processes import celery_broker, free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_an_urgent_message_over_the_socket_is_acknowledged_with_the_broker_down(settings, staff_a, coordinator_a):
    settings.MESSAGING_ESCALATION_DELAY = 30  # short: its escalation is sent at commit, and refused
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    token = str(uuid.uuid4())
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        sender, _ = await connected(staff_a)
        await sender.send_json_to(
            {
                "type": "send",
                "conversation": str(conversation.public_id),
                "body": "Chute",
                "client_token": token,
                "urgent": True,
            }
        )
        sent = await receive_type(sender, "sent")
        await sender.disconnect()
    message = await sync_to_async(Message.objects.get)(client_token=token)
    row = await sync_to_async(OutboxTask.objects.get)(key=f"messaging:escalation:{message.pk}")
    assert (sent["id"], row.sent_at, row.attempts) == (message.pk, None, 1)
