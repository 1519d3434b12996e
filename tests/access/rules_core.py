"""Access rows for the foundation: home, health, accounts (allauth + 2FA), i18n."""

from tests.access.matrix import Rule, expect, same_for_all

SIGNED_IN_REDIRECT = {
    "anonymous": 200,
    "family": 302,
    "staff_a": 302,
    "staff_b": 302,
    "coordinator_a": 302,
    "group_admin": 302,
}

RULES = [
    Rule(
        "home",
        statuses=expect(family=302, staff_a=302, staff_b=302, ended_a=403),
        note="care staff go to their handover, relatives to their portal; no current assignment: refused",
    ),
    Rule("healthz", statuses=same_for_all(200)),
    # Prometheus's scrape: by address (METRICS_ALLOWED_NETWORKS, loopback here), never by account.
    Rule("metrics", statuses=same_for_all(200)),
    Rule("favicon", statuses=same_for_all(200)),
    # The installable app: the same for everyone, holding no one's data.
    Rule("web_manifest", statuses=same_for_all(200)),
    Rule("service_worker", statuses=same_for_all(200)),
    Rule("offline", statuses=same_for_all(200)),
    Rule("session_keepalive", method="post", statuses={**same_for_all(302), "anonymous": 302}),
    Rule("set_language", method="post", data=lambda w: {"language": "en", "next": "/"}, statuses=same_for_all(302)),
    # Accounts: every signed-in person, families included.
    Rule("account_security", statuses=expect(family=200)),
    Rule(
        "two_factor_setup",
        statuses=expect(family=302, staff_a=302, staff_b=302, coordinator_a=302, group_admin=302),
        note="a second factor in place: the password is asked again before replacing it",
    ),
    Rule("unlock_pin", note="the PIN of shared tablets: staff only"),
    Rule("account_lock", statuses=same_for_all(302), note="an unlocked session goes back to its page"),
    Rule(
        "two_factor_verify", statuses=expect(family=302, staff_a=302, staff_b=302, coordinator_a=302, group_admin=302)
    ),
    Rule("two_factor_backup_codes", statuses=expect(family=200)),
    Rule(
        "two_factor_backup_codes_regenerate",
        method="post",
        statuses=expect(family=302, staff_a=302, staff_b=302, coordinator_a=302, group_admin=302),
    ),
    # allauth
    Rule("account_login", statuses=SIGNED_IN_REDIRECT),
    Rule("account_logout", statuses={**same_for_all(200), "anonymous": 302}),
    Rule("account_inactive", statuses=same_for_all(200)),
    Rule(
        "account_signup", statuses={**same_for_all(302), "anonymous": 200}, note="closed: shows the sign-up-closed page"
    ),
    Rule("account_reset_password", statuses=same_for_all(200)),
    Rule("account_reset_password_done", statuses=same_for_all(200)),
    Rule(
        "account_reset_password_from_key",
        kwargs=lambda w: {"uidb36": "zz", "key": "invalid-key"},
        statuses=same_for_all(200),
        note="an invalid or expired link shows a clear message",
    ),
    Rule("account_reset_password_from_key_done", statuses=same_for_all(200)),
    Rule("account_change_password", statuses=expect(family=200)),
    Rule(
        "account_set_password",
        statuses=expect(family=302, staff_a=302, staff_b=302, coordinator_a=302, group_admin=302),
    ),
    # Sign-in addresses are set by coordinators and invitations, never added from a session.
    Rule("account_email", statuses=expect(family=404, staff_a=404, staff_b=404, coordinator_a=404, group_admin=404)),
    Rule(
        "account_email_closed",
        statuses=expect(family=404, staff_a=404, staff_b=404, coordinator_a=404, group_admin=404),
    ),
    Rule("account_email_verification_sent", statuses=same_for_all(200)),
    Rule("account_confirm_email", kwargs=lambda w: {"key": "invalid"}, statuses=same_for_all(200)),
    Rule("account_reauthenticate", statuses=expect(family=200)),
    Rule("account_confirm_login_code", statuses=same_for_all(302)),
    # The group's identity provider (accounts/external_signin.py): none is configured here, so there is
    # nothing to sign in with (tests/accounts/test_oidc_sign_in.py runs the flow against a real provider).
    Rule(
        "openid_connect_login",
        kwargs=lambda w: {"provider_id": "idp"},
        statuses=same_for_all(404),
        note="no provider configured",
    ),
    Rule(
        "openid_connect_callback",
        kwargs=lambda w: {"provider_id": "idp"},
        statuses=same_for_all(404),
        note="no provider configured",
    ),
    Rule("account_request_reauthentication_code", statuses=same_for_all(302)),
    Rule("account_confirm_reauthentication_code", statuses=same_for_all(302)),
]
