"""Uploads in pieces, as the page's script sends them: one helper for every test that does."""

from urllib.parse import quote

from django.urls import reverse


def send_piece(client, folder, data: bytes, *, upload_id, offset, total, name="gros protocole.pdf", comment=""):
    """One piece of a file sent to a folder, as the drag-and-drop page sends it (documents.uploads)."""
    return client.generic(
        "POST",
        reverse("documents:folder_upload_chunk", kwargs={"public_id": folder.public_id}),
        data,
        content_type="application/octet-stream",
        HTTP_ACCEPT="application/json",
        HTTP_X_UPLOAD_ID=upload_id,
        HTTP_X_UPLOAD_OFFSET=str(offset),
        HTTP_X_UPLOAD_TOTAL=str(total),
        HTTP_X_UPLOAD_NAME=quote(name),
        HTTP_X_UPLOAD_COMMENT=quote(comment),
    )
