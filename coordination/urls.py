from django.urls import path

from .views import handover, notes, residents, search

app_name = "coordination"

urlpatterns = [
    path("", residents.resident_list, name="resident_list"),
    path("handover/", handover.handover, name="handover"),
    path("handover/take/", handover.handover_take, name="handover_take"),
    path("handover/note/", handover.handover_note_create, name="handover_note_create"),
    path("handover/print/", handover.handover_print, name="handover_print"),
    path("handover/pdf/", handover.handover_pdf, name="handover_pdf"),
    path("search/", search.search, name="search"),
    path("notes/read/", notes.notes_read, name="notes_read"),
    path("notes/<uuid:public_id>/", notes.note_detail, name="note_detail"),
    path("notes/<uuid:public_id>/correct/", notes.note_correct, name="note_correct"),
    path("notes/<uuid:public_id>/amend/", notes.note_amend, name="note_amend"),
    path("notes/<uuid:public_id>/result/", notes.note_followup, name="note_followup"),
    path("notes/<uuid:public_id>/retract/", notes.note_retract, name="note_retract"),
    path("notes/<uuid:public_id>/acknowledge/", notes.note_acknowledge, name="note_acknowledge"),
    path("alerts/<uuid:public_id>/end/", residents.alert_end, name="alert_end"),
    path("<uuid:public_id>/", residents.resident_detail, name="resident_detail"),
    path("<uuid:public_id>/photo/", residents.resident_photo, name="resident_photo"),
    path("<uuid:public_id>/notes/new/", notes.note_create, name="note_create"),
    path("<uuid:public_id>/alerts/", residents.alert_add, name="alert_add"),
    path("<uuid:public_id>/transfer/", residents.resident_transfer, name="resident_transfer"),
    path("<uuid:public_id>/discharge/", residents.resident_discharge, name="resident_discharge"),
]
