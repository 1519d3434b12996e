from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("groups/new/", views.group_create, name="group_create"),
    path("duty/", views.duty_send, name="duty_send"),
    path("with/<uuid:public_id>/", views.start_direct, name="start_direct"),
    path("resident/<uuid:public_id>/", views.resident_thread, name="resident_thread"),
    path("c/<uuid:public_id>/", views.conversation, name="conversation"),
    path("c/<uuid:public_id>/members/", views.member_add, name="member_add"),
    path("c/<uuid:public_id>/members/<uuid:user_public_id>/remove/", views.member_remove, name="member_remove"),
    path("m/<uuid:public_id>/ack/", views.acknowledge, name="acknowledge"),
    path("m/<uuid:public_id>/edit/", views.message_edit, name="message_edit"),
    path("m/<uuid:public_id>/delete/", views.message_delete, name="message_delete"),
    path("files/<uuid:public_id>/", views.attachment, name="attachment"),
]
