"""Per-conversation message numbers (``Message.seq``, ``Conversation.last_seq``): existing
messages are numbered in id order, which is the order their conversation showed them."""

from django.db import migrations, models
from django.db.models import Count


def number_messages(apps, schema_editor):
    Conversation = apps.get_model("messaging", "Conversation")
    Message = apps.get_model("messaging", "Message")
    counted = Conversation.objects.annotate(n=Count("messages")).filter(n__gt=0).values_list("pk", "n")
    for conversation_id, count in counted.iterator():
        ids = Message.objects.filter(conversation_id=conversation_id).order_by("id").values_list("pk", flat=True)
        batch = [Message(pk=pk, seq=seq) for seq, pk in enumerate(ids, start=1)]
        Message.objects.bulk_update(batch, ["seq"], batch_size=1000)
        Conversation.objects.filter(pk=conversation_id).update(last_seq=count)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_attachment")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="last_seq",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="message",
            name="seq",
            field=models.PositiveBigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(number_messages, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(fields=("conversation", "seq"), name="message_unique_seq_per_conversation"),
        ),
    ]
