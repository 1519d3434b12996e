from django.urls import path

from . import views

app_name = "fhirapi"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient", views.patient_type, name="patient_type"),
    path("Binary/<uuid:public_id>", views.binary_read, name="binary_read"),
    path("<str:resource_type>", views.search_type, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.read, name="read"),
]
