"""Access rows for background jobs: a job is its requester's alone (coordinator A here); anyone else gets 404."""

from tests.access.matrix import Rule, expect

ONLY_THE_REQUESTER = expect(family=404, staff_a=404, staff_b=404, coordinator_a=200, group_admin=404)


def build(world):
    from coordination.models import Resident
    from jobs.models import Job

    resident = Resident.objects.create(site=world.site_a, unit=world.unit_a, first_name="Jules", last_name="Queue")
    world.job = Job.objects.create(
        requester=world.users["coordinator_a"],
        kind="backoffice.access_history_csv",
        parameters={"resident": str(resident.public_id)},
        request_key="matrix",
        title="Access history (CSV)",
    )


def _job(w):
    return {"public_id": w.job.public_id}


RULES = [
    Rule("jobs:list", statuses=expect(family=403)),
    Rule("jobs:detail", kwargs=_job, statuses=ONLY_THE_REQUESTER),
    Rule(
        "jobs:download",
        kwargs=_job,
        statuses=expect(family=404, staff_a=404, staff_b=404, coordinator_a=302, group_admin=404),
        note="the job is still queued: its requester is sent back to its page",
    ),
]
