from django.urls import path

from . import views

app_name = "coordination"

urlpatterns = [
    path("", views.resident_list, name="resident_list"),
    path("handover/", views.handover, name="handover"),
    path("handover/take/", views.handover_take, name="handover_take"),
    path("handover/note/", views.handover_note_create, name="handover_note_create"),
    path("handover/print/", views.handover_print, name="handover_print"),
    path("handover/pdf/", views.handover_pdf, name="handover_pdf"),
    path("search/", views.search, name="search"),
    path("notes/<uuid:public_id>/", views.note_detail, name="note_detail"),
    path("notes/<uuid:public_id>/correct/", views.note_correct, name="note_correct"),
    path("notes/<uuid:public_id>/amend/", views.note_amend, name="note_amend"),
    path("notes/<uuid:public_id>/result/", views.note_followup, name="note_followup"),
    path("notes/<uuid:public_id>/retract/", views.note_retract, name="note_retract"),
    path("notes/<uuid:public_id>/acknowledge/", views.note_acknowledge, name="note_acknowledge"),
    path("alerts/<uuid:public_id>/end/", views.alert_end, name="alert_end"),
    path("<uuid:public_id>/", views.resident_detail, name="resident_detail"),
    path("<uuid:public_id>/photo/", views.resident_photo, name="resident_photo"),
    path("<uuid:public_id>/notes/new/", views.note_create, name="note_create"),
    path("<uuid:public_id>/alerts/", views.alert_add, name="alert_add"),
    path("<uuid:public_id>/transfer/", views.resident_transfer, name="resident_transfer"),
    path("<uuid:public_id>/discharge/", views.resident_discharge, name="resident_discharge"),
]
