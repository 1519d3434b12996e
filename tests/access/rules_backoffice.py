"""Access rows for the coordinators' panel pages outside the model admin (dashboard, exports, imports).

Coordinators of site A and group admins only; everyone else gets 403 (signed in)
or the sign-in page. The resident belongs to site A.
"""

from tests.access.matrix import Rule, expect

COORDINATORS_ONLY = expect(family=403, staff_a=403, staff_b=403)
#: The same on a page addressed by an id: families get 404, as for a missing object.
COORDINATORS_ONLY_BY_ID = expect(family=404, staff_a=403, staff_b=403)


def build(world):
    from coordination.models import Resident

    world.backoffice_resident = Resident.objects.create(
        site=world.site_a, unit=world.unit_a, first_name="Rose", last_name="Matrix", room="12"
    )


def _resident(w):
    return {"public_id": w.backoffice_resident.public_id}


RULES = [
    Rule("backoffice:dashboard", statuses=COORDINATORS_ONLY),
    Rule("backoffice:resident_records", statuses=COORDINATORS_ONLY),
    *(
        Rule(
            name,
            kwargs=_resident,
            method="post",
            statuses=expect(family=404, staff_a=403, staff_b=403, coordinator_a=302, group_admin=302),
            note="the password is asked again first (then the job is queued: 303 to its page)",
        )
        for name in ("backoffice:history_csv", "backoffice:history_pdf", "backoffice:gdpr_export")
    ),
    Rule("backoffice:import_upload", kwargs=lambda w: {"kind": "staff"}, statuses=COORDINATORS_ONLY_BY_ID),
    Rule(
        "backoffice:import_apply",
        kwargs=lambda w: {"kind": "residents"},
        method="post",
        statuses=expect(family=404, staff_a=403, staff_b=403, coordinator_a=302, group_admin=302),
        note="nothing previewed: back to the upload page",
    ),
]
