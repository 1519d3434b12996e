from django.urls import path

from . import views

urlpatterns = [
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("2fa/backup-codes/", views.two_factor_backup_codes, name="two_factor_backup_codes"),
    path(
        "2fa/backup-codes/regenerate/",
        views.two_factor_backup_codes_regenerate,
        name="two_factor_backup_codes_regenerate",
    ),
    path("security/", views.security, name="account_security"),
    path("security/pin/", views.unlock_pin, name="unlock_pin"),
    path("lock/", views.lock, name="account_lock"),
    path("email/", views.email_addresses, name="account_email_closed"),
    # The group's OpenID Connect provider (accounts/external_signin.py): allauth's views and URL names.
    path("oidc/<str:provider_id>/login/", views.oidc_login, name="openid_connect_login"),
    path("oidc/<str:provider_id>/login/callback/", views.oidc_callback, name="openid_connect_callback"),
]
