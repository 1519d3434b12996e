from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    # The relative's pages
    path("", views.home, name="home"),
    path("r/<uuid:public_id>/", views.news, name="news"),
    path("r/<uuid:public_id>/documents/", views.documents, name="documents"),
    path(
        "r/<uuid:public_id>/documents/<uuid:document_id>/download/",
        views.document_download,
        name="document_download",
    ),
    path("r/<uuid:public_id>/messages/", views.thread, name="messages"),
    path("r/<uuid:public_id>/practical/", views.practical, name="practical"),
    path("account/", views.account, name="account"),
    path("account/sign-ins/", views.sign_ins, name="sign_ins"),
    path("account/my-data/", views.data_export, name="data_export"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # Staff pages: coordinators manage family access
    path("staff/residents/<uuid:public_id>/", views.resident_family, name="resident_family"),
    path("staff/invitations/<uuid:public_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("staff/invitations/<uuid:public_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("staff/links/<uuid:public_id>/rights/", views.link_update, name="link_update"),
    path("staff/links/<uuid:public_id>/revoke/", views.link_revoke, name="link_revoke"),
    path("staff/sites/<uuid:public_id>/family-info/", views.site_info_edit, name="site_info_edit"),
]
