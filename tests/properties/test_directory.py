"""Hostile input on the directory: one's own profile, the on-call roster."""

from hypothesis import strategies as st

from tests.properties.checks import Endpoint, property_test
from tests.properties.hostile import form_data, refs, uploaded_files

test_profile_edit = property_test(
    Endpoint("directory:profile_edit", "staff_a"),
    form_data(
        {
            "phone_extension": st.sampled_from(["1234", "+33 6"]),
            "mobile": st.sampled_from(["06 12 34 56 78", "+33612345678", "0612"]),
            "mobile_visibility": st.sampled_from(["everyone", "site", "nobody", "x"]),
            "languages": st.sampled_from(["fr", "en", "ar", "xx"]),
            "photo": uploaded_files(),
            "remove_photo": st.sampled_from(["on", ""]),
        }
    ),
)
test_oncall_roster = property_test(
    Endpoint("directory:oncall_roster", "coordinator_a", lambda w: {"public_id": w.site_a.public_id}),
    form_data(
        {
            "date": st.dates().map(str),
            "user": refs("users.staff_a.pk", "users.staff_b.pk", "users.family.pk", "users.staff_a.public_id"),
            "unit": refs("unit_a.pk", "unit_b.pk", "unit_a.public_id"),
            "note": st.sampled_from(["Astreinte IDE"]),
        }
    ),
)
test_oncall_delete = property_test(
    Endpoint("directory:oncall_delete", "coordinator_a", lambda w: {"public_id": w.shift.public_id}), form_data({})
)
test_calendar_feed_issue = property_test(
    Endpoint("directory:calendar_feed_issue", "staff_a"),
    form_data({"feed": st.one_of(st.sampled_from(["mine"]), refs("site_a.public_id", "site_b.public_id"))}),
)
test_calendar_feed_delete = property_test(
    Endpoint("directory:calendar_feed_delete", "staff_a", lambda w: {"public_id": w.site_b.public_id}),
    form_data({}),
)
