from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("bin/", views.bin_list, name="bin"),
    path("folders/new/", views.folder_create, name="folder_create"),
    path("folders/<uuid:public_id>/", views.folder_detail, name="folder_detail"),
    path("folders/<uuid:public_id>/new/", views.folder_new_child, name="folder_new_child"),
    path("folders/<uuid:public_id>/edit/", views.folder_edit, name="folder_edit"),
    path("folders/<uuid:public_id>/upload/", views.folder_upload, name="folder_upload"),
    path("folders/<uuid:public_id>/upload/chunk/", views.folder_upload_chunk, name="folder_upload_chunk"),
    path("residents/<uuid:public_id>/", views.resident_folder, name="resident_folder"),
    path("d/<uuid:public_id>/", views.document_detail, name="document_detail"),
    path("d/<uuid:public_id>/edit/", views.document_edit, name="document_edit"),
    path("d/<uuid:public_id>/move/", views.document_move, name="document_move"),
    path("d/<uuid:public_id>/family/", views.document_family, name="document_family"),
    path("d/<uuid:public_id>/bin/", views.document_bin, name="document_bin"),
    path("d/<uuid:public_id>/restore/", views.document_restore, name="document_restore"),
    path("d/<uuid:public_id>/versions/new/", views.document_new_version, name="document_new_version"),
    path("d/<uuid:public_id>/versions/chunk/", views.document_version_chunk, name="document_version_chunk"),
    path("d/<uuid:public_id>/reading/", views.document_reading, name="document_reading"),
    path("d/<uuid:public_id>/read/", views.document_read_confirm, name="document_read_confirm"),
    path("reading/<uuid:public_id>/remove/", views.reading_remove, name="reading_remove"),
    path("v/<uuid:public_id>/download/", views.version_download, name="version_download"),
    path("v/<uuid:public_id>/preview/", views.version_preview, name="version_preview"),
    path("v/<uuid:public_id>/thumbnail/", views.version_thumbnail, name="version_thumbnail"),
]
