"""Hostile input on the messaging forms (the socket's frames: test_messaging_socket.py)."""

from hypothesis import strategies as st

from tests.properties.checks import Endpoint, property_test
from tests.properties.hostile import TEXT, form_data, refs, uploaded_files

BOOLEANS = st.sampled_from(["on", "1", "true", "0", ""])
TOKENS = st.one_of(st.uuids().map(str), refs("message.client_token", "message.public_id"))
BODIES = st.sampled_from(["Bonjour, Mme Martin a bien mangé.", "Appelle-moi vite."])
MESSAGE = {"body": BODIES, "client_token": TOKENS, "urgent": BOOLEANS}
USERS = refs(
    "users.staff_a.pk", "users.staff_b.pk", "users.family.pk", "users.coordinator_a.public_id", "users.ended_a.pk"
)


def _group(w):
    return {"public_id": w.group.public_id}


def _message(w):
    return {"public_id": w.message.public_id}


def _body(w):
    from messaging.models import Message

    return Message.objects.values_list("body", "deleted_at").get(pk=w.message.pk)


test_conversation = property_test(
    Endpoint("messaging:conversation", "staff_a", _group),
    form_data({**MESSAGE, "files": st.one_of(uploaded_files(), st.lists(uploaded_files(), min_size=2, max_size=3))}),
)
test_conversation_json = property_test(
    Endpoint("messaging:conversation", "staff_a", _group),
    form_data(MESSAGE),
    suffix="json",
    HTTP_ACCEPT="application/json",
)
test_start_direct = property_test(
    Endpoint("messaging:start_direct", "staff_a", lambda w: {"public_id": w.users["nurse_a"].public_id}),
    form_data(MESSAGE),
)
test_resident_thread = property_test(
    Endpoint("messaging:resident_thread", "staff_a", lambda w: {"public_id": w.resident.public_id}), form_data(MESSAGE)
)
test_group_create = property_test(
    Endpoint("messaging:group_create", "staff_a"),
    form_data({"title": st.sampled_from(["Équipe de nuit"]), "members": USERS}),
    # Found by this test: a member id past the integer range answered 500 (OverflowError on SQLite).
    examples=[{"title": "Équipe de nuit", "members": "99999999999999999999999999"}],
)
test_duty_send = property_test(
    Endpoint("messaging:duty_send", "staff_a"),
    form_data({**MESSAGE, "role": st.sampled_from(["nurse", "doctor", "on_call", "nurse_coordinator", "x"])}),
)
test_member_add = property_test(Endpoint("messaging:member_add", "staff_a", _group), form_data({"user": USERS}))
test_member_remove = property_test(
    Endpoint(
        "messaging:member_remove",
        "staff_a",
        lambda w: {"public_id": w.group.public_id, "user_public_id": w.users["coordinator_a"].public_id},
    ),
    form_data({"user": USERS}),
)
test_acknowledge = property_test(Endpoint("messaging:acknowledge", "nurse_a", _message), form_data({}))
test_message_edit = property_test(
    Endpoint("messaging:message_edit", "staff_a", _message, unchanged=_body), form_data({"body": TEXT})
)
test_message_delete = property_test(
    Endpoint("messaging:message_delete", "staff_a", _message, unchanged=_body), form_data({})
)
