"""The admin panel's building blocks (scoping, log viewers, paginator) and the access log's admin."""

from django.contrib import admin

from . import access_log  # noqa: F401 - registers the access log's admin

admin.site.site_url = "/"
