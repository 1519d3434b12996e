"""Hostile input on the family portal and on the staff's family-access pages."""

from hypothesis import strategies as st

from tests.properties.checks import Endpoint, property_test
from tests.properties.hostile import form_data

BOOLEANS = st.sampled_from(["on", "1", "", "0"])
RIGHTS = {"may_see_news": BOOLEANS, "may_see_documents": BOOLEANS, "may_see_messages": BOOLEANS}


def _resident(w):
    return {"public_id": w.portal_resident.public_id}


def _rights(w):
    from portal.models import FamilyLink

    return FamilyLink.objects.values_list("may_see_news", "may_see_documents", "may_see_messages").get(
        pk=w.portal_link.pk
    )


test_messages = property_test(
    Endpoint("portal:messages", "family", _resident),
    form_data({"body": st.sampled_from(["Bonjour, comment va maman ?"]), "client_token": st.uuids().map(str)}),
)
test_account = property_test(
    Endpoint("portal:account", "family"), form_data({"digest": st.sampled_from(["never", "daily", "weekly", "x"])})
)
test_data_export = property_test(Endpoint("portal:data_export", "family"), form_data({}))
test_invitation_accept = property_test(
    Endpoint("portal:invitation_accept", "anonymous", lambda w: {"token": w.portal_token}),
    form_data(
        {
            "first_name": st.sampled_from(["Jeanne"]),
            "last_name": st.sampled_from(["Martin"]),
            "password1": st.sampled_from(["Un mot de passe solide 2026 !", "123"]),
            "password2": st.sampled_from(["Un mot de passe solide 2026 !", "1234"]),
        }
    ),
)
test_resident_family = property_test(
    Endpoint("portal:resident_family", "coordinator_a", _resident),
    form_data(
        {
            "email": st.sampled_from(["nouveau.proche@exemple.fr", "family@matrix.test", "pas une adresse"]),
            "relationship": st.sampled_from(["child", "spouse", "sibling", "x"]),
            **RIGHTS,
        }
    ),
)
test_invitation_resend = property_test(
    Endpoint("portal:invitation_resend", "coordinator_a", lambda w: {"public_id": w.portal_invitation.public_id}),
    form_data({}),
)
test_invitation_revoke = property_test(
    Endpoint("portal:invitation_revoke", "coordinator_a", lambda w: {"public_id": w.portal_invitation.public_id}),
    form_data({}),
)
test_link_update = property_test(
    Endpoint("portal:link_update", "coordinator_a", lambda w: {"public_id": w.portal_link.public_id}),
    form_data({**RIGHTS, **{f"{{ref:portal_link.public_id}}-{name}": s for name, s in RIGHTS.items()}}),
)
test_link_revoke = property_test(
    Endpoint("portal:link_revoke", "coordinator_a", lambda w: {"public_id": w.portal_link.public_id}), form_data({})
)
test_site_info_edit = property_test(
    Endpoint("portal:site_info_edit", "coordinator_a", lambda w: {"public_id": w.site_a.public_id}),
    form_data(
        {
            "visiting_hours": st.sampled_from(["10 h – 19 h"]),
            "family_phone": st.sampled_from(["01 23 45 67 89", "x"]),
            "practical_notes": st.sampled_from(["Parking à l'arrière."]),
        }
    ),
)
