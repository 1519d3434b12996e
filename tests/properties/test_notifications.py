"""Hostile input on the notices."""

from tests.properties.checks import Endpoint, property_test
from tests.properties.hostile import form_data

test_open = property_test(
    Endpoint("notifications:open", "staff_a", lambda w: {"public_id": w.notification.public_id}),
    form_data({"next": None}),
)
test_read_all = property_test(Endpoint("notifications:read_all", "staff_a"), form_data({"next": None}))
