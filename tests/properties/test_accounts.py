"""Hostile input on the sign-in, second-factor, PIN and password forms (accounts and allauth)."""

from hypothesis import strategies as st

from tests.properties.checks import Endpoint, property_test
from tests.properties.hostile import form_data

CODES = st.one_of(st.integers(0, 999_999).map(lambda n: f"{n:06d}"), st.sampled_from(["12345678", "abcd-efgh"]))
PINS = st.sampled_from(["482915", "123456", "000000", "12", "４８２９１５"])
PASSWORDS = st.sampled_from(["Un mot de passe solide 2026 !", "password", "1"])
EMAILS = st.sampled_from(["aide.a@carehub.test", "staff.a@matrix.test", "inconnu@exemple.fr", "@", "a@b"])

#: A failed sign-in or second-factor code is counted against the account on purpose (throttling).
COUNTED = frozenset({"otp_totp_totpdevice", "otp_static_staticdevice"})

test_login = property_test(
    Endpoint("account_login", "anonymous"),
    form_data({"login": EMAILS, "password": PASSWORDS, "remember": st.sampled_from(["on", ""])}),
)
test_reset_password = property_test(Endpoint("account_reset_password", "anonymous"), form_data({"email": EMAILS}))
test_reset_password_from_key = property_test(
    Endpoint("account_reset_password_from_key", "anonymous", lambda w: {"uidb36": "zz", "key": "invalid-key"}),
    form_data({"password1": PASSWORDS, "password2": PASSWORDS}),
)
test_change_password = property_test(
    Endpoint("account_change_password", "staff_a"),
    form_data({"oldpassword": PASSWORDS, "password1": PASSWORDS, "password2": PASSWORDS}),
)
test_reauthenticate = property_test(Endpoint("account_reauthenticate", "staff_a"), form_data({"password": PASSWORDS}))
test_two_factor_verify = property_test(
    Endpoint("two_factor_verify", "staff_a:password", writes_on_refusal=COUNTED),
    form_data({"code": CODES, "backup": st.sampled_from(["1", "0"])}),
)
test_two_factor_setup = property_test(
    Endpoint("two_factor_setup", "family:password", writes_on_refusal=COUNTED), form_data({"code": CODES})
)
test_unlock_pin = property_test(Endpoint("unlock_pin", "staff_a"), form_data({"pin": PINS, "pin_again": PINS}))
test_account_lock = property_test(Endpoint("account_lock", "staff_a"), form_data({"pin": PINS}))
test_set_language = property_test(
    Endpoint("set_language", "staff_a"),
    form_data(
        {
            "language": st.sampled_from(["fr", "en", "de", "FR"]),
            "next": st.sampled_from(["/", "//evil.example", "javascript:alert(1)"]),
        }
    ),
)
test_session_keepalive = property_test(Endpoint("session_keepalive", "staff_a"), form_data({}))
test_backup_codes_regenerate = property_test(Endpoint("two_factor_backup_codes_regenerate", "staff_a"), form_data({}))
test_confirm_email = property_test(
    Endpoint("account_confirm_email", "anonymous", lambda w: {"key": "invalid"}), form_data({"key": None})
)
