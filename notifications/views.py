from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carehub.policy import get_visible_or_404
from carehub.redirects import is_local

from .models import Notification
from .services import notification_mark_read


def notification_list(request):
    page = Paginator(Notification.objects.visible_to(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
def notification_open(request, public_id):
    """Mark a notice read and go where it points (a local path only)."""
    notification = get_visible_or_404(Notification, request.user, public_id=public_id)
    notification_mark_read(user=request.user, notification=notification)
    target = notification.url
    if is_local(request, target):
        return redirect(target)
    return redirect("notifications:list")


@require_POST
def notification_read_all(request):
    notification_mark_read(user=request.user)
    return redirect("notifications:list")
