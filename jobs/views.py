"""A person's background jobs: the page of one job (progress, then the download), the download, the list.

A job is its requester's alone (``Job.objects.visible_to``): anyone else gets 404,
as for a job that does not exist. The requester must still have the right to the
data (the kind's own checks, again at download time); if not, 404 as well.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from carehub import policy
from carehub.decorators import staff_required
from carehub.models import AccessLog

from . import registry, services
from .models import Job

#: Jobs shown on "my exports", newest first.
LIST_SIZE = 50


def _job_or_404(request, public_id) -> Job:
    job = policy.get_visible_or_404(Job, request.user, public_id=public_id)
    spec = registry.get(job.kind)
    if not (spec.may_request(request) and spec.allowed(request.user, job.parameters)):
        raise Http404
    return job


@require_GET
def job_detail(request, public_id):
    job = _job_or_404(request, public_id)
    if job.is_ready:  # the page names the file made (a resident's); not each refresh while it runs
        services.job_read_log(request=request, job=job, action=AccessLog.Action.VIEW)
    return TemplateResponse(request, "jobs/detail.html", {"job": job, "refresh_seconds": 2 if job.is_active else 0})


@require_GET
def job_download(request, public_id):
    job = _job_or_404(request, public_id)
    if not job.is_ready:
        return redirect("jobs:detail", public_id=job.public_id)
    services.job_read_log(request=request, job=job)
    return FileResponse(
        default_storage.open(job.result_file.name, "rb"),
        as_attachment=True,
        filename=job.result_name,
        content_type=job.result_content_type,
    )


@require_GET
@staff_required
def job_list(request):
    jobs = list(Job.objects.visible_to(request.user).defer("parameters")[:LIST_SIZE])
    return TemplateResponse(
        request, "jobs/list.html", {"jobs": jobs, "keep_hours": settings.EXPORTS_KEEP_HOURS, "size": LIST_SIZE}
    )
