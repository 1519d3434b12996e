from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import metrics, pwa, views

#: allauth answers its own rate limits with this view: 429, Retry-After, logged, like every sign-in limit.
handler429 = "accounts.throttling.handler429"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", pwa.manifest, name="web_manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.account.urls")),
    path("directory/", include("directory.urls")),
    path("residents/", include("coordination.urls")),
    path("documents/", include("documents.urls")),
    path("messages/", include("messaging.urls")),
    path("family/", include("portal.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/carehub/", include("backoffice.urls")),
    path("jobs/", include("jobs.urls")),
    path("fhir/", include("fhirapi.urls")),
    path("admin/", admin.site.urls),
]

# A lost database answers 503 with Retry-After, any other error the generic 500 (carehub/errors.py).
handler500 = "carehub.errors.server_error"
