from notifications.services import notify
from tests.access.matrix import Rule, expect


def build(world):
    (world.notification,) = notify(users=[world.users["staff_a"]], kind="info", title="matrix", url="/")


RULES = [
    Rule("notifications:list", statuses=expect(family=200)),
    Rule(
        "notifications:open",
        kwargs=lambda w: {"public_id": w.notification.public_id},
        method="post",
        statuses=expect(
            family=404, staff_a=302, staff_b=404, coordinator_a=404, group_admin=404, nurse_a=404, doctor_a=404
        ),
        note="only the recipient opens a notice",
    ),
    Rule(
        "notifications:read_all",
        method="post",
        statuses=expect(family=302, staff_a=302, staff_b=302, coordinator_a=302, group_admin=302),
    ),
]
