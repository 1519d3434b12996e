from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("me/", views.profile_edit, name="profile_edit"),
    path("people/<uuid:public_id>/", views.profile, name="profile"),
    path("people/<uuid:public_id>/photo/", views.profile_photo, name="profile_photo"),
    path("people/<uuid:public_id>/vcard/", views.profile_vcard, name="profile_vcard"),
    path("sites/", views.sites, name="sites"),
    path("sites/<uuid:public_id>/", views.site_detail, name="site_detail"),
    path("sites/<uuid:public_id>/vcards/", views.site_vcards, name="site_vcards"),
    path("sites/<uuid:public_id>/csv/", views.site_csv, name="site_csv"),
    path("sites/<uuid:public_id>/on-call/", views.oncall_roster, name="oncall_roster"),
    path("on-call/<uuid:public_id>/delete/", views.oncall_delete, name="oncall_delete"),
    path("calendar/", views.calendar_feeds, name="calendar_feeds"),
    path("calendar/new/", views.calendar_feed_issue, name="calendar_feed_issue"),
    path("calendar/<uuid:public_id>/delete/", views.calendar_feed_delete, name="calendar_feed_delete"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
]
