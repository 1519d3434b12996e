import pytest

from carehub.demo import DemoContext
from messaging import demo
from messaging.models import Conversation, Kind, Membership, Message
from tests.factories import SiteFactory, UnitFactory, make_staff

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_gives_channels_members_and_messages():
    site = SiteFactory()
    unit = UnitFactory(site=site)
    people = [make_staff(site, unit=unit) for _ in range(3)]
    Conversation.objects.all().delete()  # the assignment signals made channels already: start from nothing
    ctx = DemoContext(sites=1)
    ctx.site_list = [site]
    demo.seed(ctx)
    channel = Conversation.objects.get(kind=Kind.SITE, site=site)
    assert Conversation.objects.filter(kind=Kind.UNIT, unit=unit).exists()
    assert set(Membership.objects.filter(conversation=channel).values_list("user_id", flat=True)) == {
        p.pk for p in people
    }
    count = Message.objects.count()
    assert count > 0
    channel.refresh_from_db()
    assert channel.last_message_id == Message.objects.filter(conversation=channel).latest("id").pk
    demo.seed(ctx)
    assert Message.objects.count() == count
