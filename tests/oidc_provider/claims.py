"""The claims of each person of the test provider, as users.json gives them (e-mail, amr...)."""

import json
import os
from pathlib import Path

from oauth2_provider.oauth2_validators import OAuth2Validator


def people() -> list[dict]:
    return json.loads((Path(os.environ["OIDC_PROVIDER_DIR"]) / "users.json").read_text())


class ClaimsValidator(OAuth2Validator):
    # Claims outside this map are dropped by django-oauth-toolkit: the sign-in methods and the HR id
    # go with the openid scope, like sub.
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "amr": "openid",
        "acr": "openid",
        "employee_id": "openid",
    }

    def get_additional_claims(self, request):
        for person in people():
            if person["username"] == request.user.username:
                return person.get("claims", {})
        return {}
