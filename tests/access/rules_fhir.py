"""Access rows for the FHIR API: sessions count for nothing there. Without an API token every role gets
401 (an OperationOutcome); the CapabilityStatement is public, as FHIR clients read it first.
Tokens, their rights and their sites: tests/fhirapi/."""

from tests.access.matrix import Rule, same_for_all

NO_TOKEN = same_for_all(401)


def build(world):
    from coordination.models import Resident

    world.fhir_resident = Resident.objects.create(site=world.site_a, first_name="Lucie", last_name="Api")


RULES = [
    Rule("fhirapi:metadata", statuses=same_for_all(200)),
    Rule("fhirapi:patient_type", statuses=NO_TOKEN),
    Rule("fhirapi:search", kwargs=lambda w: {"resource_type": "Communication"}, statuses=NO_TOKEN),
    Rule(
        "fhirapi:read",
        kwargs=lambda w: {"resource_type": "Patient", "resource_id": str(w.fhir_resident.public_id)},
        statuses=NO_TOKEN,
    ),
    Rule(
        "fhirapi:binary_read",
        kwargs=lambda w: {"public_id": "00000000-0000-4000-8000-000000000000"},
        statuses=NO_TOKEN,
    ),
]
