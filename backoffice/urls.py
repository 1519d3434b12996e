from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("residents/", views.resident_records, name="resident_records"),
    path("residents/<uuid:public_id>/access-history.csv", views.resident_access_history_csv, name="history_csv"),
    path("residents/<uuid:public_id>/access-history.pdf", views.resident_access_history_pdf, name="history_pdf"),
    path("residents/<uuid:public_id>/record.zip", views.resident_gdpr_export, name="gdpr_export"),
    path("imports/<slug:kind>/", views.import_upload, name="import_upload"),
    path("imports/<slug:kind>/apply/", views.import_apply, name="import_apply"),
]
