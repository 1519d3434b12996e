"""Demo: the family account (made by accounts/demo.py) follows a resident of the first site."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from carehub.demo import DEMO_DOMAIN
from coordination.models import Resident

from .models import FamilyLink, FamilyPreferences, Relationship, SiteFamilyInfo

VISITING_HOURS = "Tous les jours de 11 h à 19 h.\nRepas avec votre proche\u00a0: réserver la veille à l'accueil."


def seed(ctx) -> None:
    if not ctx.site_list:
        return
    site = ctx.site_list[0]
    SiteFamilyInfo.objects.get_or_create(site=site, defaults={"visiting_hours": VISITING_HOURS})
    user = get_user_model().objects.filter(email=f"famille@{DEMO_DOMAIN}", kind=get_user_model().Kind.FAMILY).first()
    resident = Resident.objects.filter(site=site).current().order_by("pk").first()
    if user is None or resident is None:
        ctx.log("portal: no family account or no resident: nothing linked")
        return
    link, created = FamilyLink.objects.get_or_create(
        user=user,
        resident=resident,
        defaults={
            "relationship": Relationship.CHILD,
            "may_see_news": True,
            "may_see_documents": True,
            "may_see_messages": True,
        },
    )
    FamilyPreferences.objects.get_or_create(user=user)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    from .services import _family_thread_sync

    _family_thread_sync(link)
    ctx.log(f"portal: {user.email} follows {resident} ({'new' if created else 'existing'} link)")
