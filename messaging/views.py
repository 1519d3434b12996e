"""Messaging pages. Every page works without JavaScript (plain forms and reloads);
static/js/messaging.js adds live delivery over the socket."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carehub import policy, presence
from carehub.access_log import log_access
from carehub.decorators import staff_required
from carehub.models import AccessLog

from . import duty, selectors, services
from .forms import DutyRoleForm, EditForm, FirstMessageForm, GroupForm, MemberAddForm, MessageForm, SearchForm
from .models import Attachment, Conversation, Kind, Message


def _at_message(message: Message):
    """Back to the conversation, scrolled to ``message``."""
    return redirect(
        reverse("messaging:conversation", kwargs={"public_id": message.conversation.public_id}) + f"#m-{message.pk}"
    )


def _refusal_status(exc: services.MessagingError) -> HTTPStatus:
    """A refused send: 429 when the sender is going too fast (retry later), else 400."""
    return HTTPStatus.TOO_MANY_REQUESTS if isinstance(exc, services.RateLimited) else HTTPStatus.BAD_REQUEST


def _conversation_or_404(user, public_id) -> Conversation:
    return policy.get_visible_or_404(
        Conversation.objects.select_related("site", "unit", "resident"), user, public_id=public_id
    )


@require_GET
@staff_required
def index(request):
    services.channel_memberships_sync(user=request.user)
    conversations = selectors.conversation_list(request.user)
    others = [c.other_user.pk for c in conversations if c.kind == Kind.DIRECT and c.other_user]
    states = presence.presence_of(others)
    for conversation in conversations:
        conversation.presence = states.get(conversation.other_user.pk) if conversation.other_user else None
    return render(
        request,
        "messaging/index.html",
        {
            "conversations": conversations,
            "group_form": GroupForm(user=request.user),
            "duty_form": DutyRoleForm(user=request.user),
            "search_form": SearchForm(),
        },
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@staff_required
def conversation(request, public_id):
    """The thread and its composer. A message with files is a multipart POST: the
    documents app's streaming upload handler (size limit while receiving) is
    installed before anything reads the body, hence csrf_exempt here and
    csrf_protect on the inner view, as for document uploads."""
    convo = _conversation_or_404(request.user, public_id)
    handler = None
    if request.method == "POST" and request.content_type == "multipart/form-data":
        from documents.uploads import LimitedUploadHandler, declared_length, max_request_size

        max_files = settings.DOCUMENTS_MAX_FILES_PER_REQUEST
        if declared_length(request) > max_request_size(max_files):
            flash.error(
                request,
                _("The upload is larger than the limit of %(limit)s MB per file; nothing was stored.")
                % {"limit": settings.DOCUMENTS_MAX_UPLOAD_SIZE // 1_048_576},
            )
            return redirect("messaging:conversation", public_id=convo.public_id)
        handler = LimitedUploadHandler(request, max_size=settings.DOCUMENTS_MAX_UPLOAD_SIZE, max_files=max_files)
        request.upload_handlers = [handler]
    return _conversation(request, convo, handler)


def _skipped_files_errors(handler) -> list[str]:
    if handler is None:
        return []
    from documents.uploads import too_large_message

    errors = [too_large_message(name) for name in handler.too_large]
    errors += [_("Too many files at once: “%(name)s” was not sent.") % {"name": name} for name in handler.too_many]
    return errors


@csrf_protect
def _conversation(request, convo, handler):
    form = MessageForm(request.POST or None, request.FILES or None)
    status = HTTPStatus.OK
    if request.method == "POST":
        valid = form.is_valid()
        skipped = _skipped_files_errors(handler)
        for error in skipped:  # an oversize file stops the whole send: nothing is stored
            form.add_error("files", error)
        if valid and not skipped:
            try:
                result = services.message_send(
                    conversation=convo,
                    sender=request.user,
                    body=form.cleaned_data["body"],
                    client_token=form.cleaned_data["client_token"],
                    urgent=form.cleaned_data["urgent"],
                    files=form.cleaned_data["files"],
                )
            except services.MessagingError as exc:
                form.add_error("files" if isinstance(exc, services.AttachmentRefused) else None, exc.message)
                status = _refusal_status(exc)
            else:
                if request.headers.get("Accept") == "application/json":
                    from django.http import JsonResponse

                    return JsonResponse({"id": result.message.pk, "created": result.created})
                return _at_message(result.message)
        else:
            status = HTTPStatus.BAD_REQUEST
        if request.headers.get("Accept") == "application/json":
            from django.http import JsonResponse

            errors = [str(e) for errs in form.errors.values() for e in errs]
            return JsonResponse({"errors": errors}, status=status)
    services.conversation_join(conversation=convo, user=request.user)
    try:
        before = int(request.GET.get("before", "0")) or None
    except ValueError:
        before = None
    page = selectors.messages_page(convo, before=before)
    memberships = selectors.memberships_with_users(convo)
    log_access(request, AccessLog.Action.VIEW, convo)
    # The page shown is what the person sees; a prefetch or prerender is never on their screen (the
    # script then marks read once the page is displayed and visible).
    if page and not before and not _speculative(request):
        services.message_mark_read(conversation=convo, user=request.user, last_id=page[-1].pk)
    edit_cutoff = timezone.now() - timezone.timedelta(seconds=settings.MESSAGING_EDIT_WINDOW)
    for message in page:
        message.seen = selectors.seen_by(message, memberships) if message.sender_id == request.user.pk else None
        message.acked_by_me = any(a.user_id == request.user.pk for a in message.acknowledgements.all())
        message.can_edit = (
            message.sender_id == request.user.pk and not message.is_deleted and message.created_at > edit_cutoff
        )
    states = presence.presence_of([m.user_id for m in memberships])
    for membership in memberships:
        membership.presence = states.get(membership.user_id)
    return render(
        request,
        "messaging/conversation.html",
        {
            "conversation": convo,
            "title": convo.display_title(request.user)
            if convo.kind != Kind.DIRECT
            else _direct_title(convo, memberships, request.user),
            "page": page,
            "has_older": bool(page) and Message.objects.filter(conversation=convo, id__lt=page[0].pk).exists(),
            "oldest_id": page[0].pk if page else 0,
            "last_id": page[-1].pk if page else 0,
            "last_seq": max((m.seq for m in page), default=0),
            "memberships": memberships,
            "form": form,
            "member_form": MemberAddForm(user=request.user) if convo.kind == Kind.GROUP else None,
            "max_body": settings.MESSAGING_MAX_BODY_CHARS,
            "seen_names_up_to": selectors.SEEN_BY_NAMES_UP_TO,
        },
        status=status,
    )


def _speculative(request) -> bool:
    """A browser fetching a page ahead of the person (link prefetch, prerender)."""
    purpose = (request.headers.get("Sec-Purpose") or request.headers.get("Purpose") or "").lower()
    return "prefetch" in purpose or "prerender" in purpose


def _direct_title(convo, memberships, viewer) -> str:
    others = [m.user for m in memberships if m.user_id != viewer.pk]
    return str(others[0]) if others else str(convo)


@require_http_methods(["GET", "POST"])
@staff_required
def start_direct(request, public_id):
    """Write to a colleague (the directory's "Message" link): their conversation if it exists,
    else a page to write the first message, which makes it (a link followed makes nothing)."""
    User = get_user_model()
    other = User.objects.filter(public_id=public_id, is_active=True, kind=User.Kind.STAFF).first()
    if other is None:
        raise Http404
    try:
        existing = services.conversation_direct_check(user=request.user, other=other)
    except services.NotAllowed as exc:
        flash.error(request, exc.message)
        return redirect("messaging:index")
    if existing is not None and request.method == "GET":
        return redirect("messaging:conversation", public_id=existing.public_id)
    return _first_message(
        request,
        title=_("Message to %(name)s") % {"name": other},
        send=lambda **fields: services.direct_message_send(sender=request.user, other=other, **fields),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def resident_thread(request, public_id):
    """The care team's thread about a resident (the resident page's link): the thread if it
    exists, else a page to write its first message, which makes it."""
    from coordination.models import Resident

    resident = policy.get_visible_or_404(Resident, request.user, public_id=public_id)
    try:
        existing = services.resident_thread_find(resident=resident, user=request.user)
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    if existing is not None and request.method == "GET":
        return redirect("messaging:conversation", public_id=existing.public_id)
    log_access(request, AccessLog.Action.VIEW, resident)
    return _first_message(
        request,
        title=_("Care team thread about %(resident)s") % {"resident": resident},
        send=lambda **fields: services.resident_thread_message_send(sender=request.user, resident=resident, **fields),
    )


def _first_message(request, *, title: str, send):
    form = FirstMessageForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                result = send(
                    body=form.cleaned_data["body"],
                    client_token=form.cleaned_data["client_token"],
                    urgent=form.cleaned_data["urgent"],
                )
            except services.MessagingError as exc:
                form.add_error(None, exc.message)
                status = _refusal_status(exc)
            else:
                return _at_message(result.message)
    return render(
        request,
        "messaging/first_message.html",
        {"form": form, "title": title, "max_body": settings.MESSAGING_MAX_BODY_CHARS},
        status=status,
    )


@require_POST
@staff_required
def group_create(request):
    form = GroupForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            convo = services.conversation_group_create(
                creator=request.user, title=form.cleaned_data["title"], members=form.cleaned_data["members"]
            )
        except services.MessagingError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("messaging:conversation", public_id=convo.public_id)
    return render(request, "messaging/group_form.html", {"form": form}, status=HTTPStatus.BAD_REQUEST)


@require_http_methods(["GET", "POST"])
@staff_required
def duty_send(request):
    """Address a message to a duty role, resolved now (GET shows the form alone)."""
    form = DutyRoleForm(request.POST or None, user=request.user)
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            role = duty.role_from_key(form.cleaned_data["role"], user=request.user)
            if role is None:
                form.add_error("role", _("Choose a role from the list."))
            else:
                try:
                    result = services.duty_role_message_send(
                        sender=request.user,
                        role=role,
                        body=form.cleaned_data["body"],
                        client_token=form.cleaned_data["client_token"],
                        urgent=form.cleaned_data["urgent"],
                    )
                except services.MessagingError as exc:
                    form.add_error(None, exc.message)
                    status = _refusal_status(exc)
                else:
                    return _at_message(result.message)
    return render(request, "messaging/duty_form.html", {"form": form}, status=status)


@require_POST
@staff_required
def member_add(request, public_id):
    convo = _conversation_or_404(request.user, public_id)
    form = MemberAddForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.conversation_member_add(conversation=convo, actor=request.user, user=form.cleaned_data["user"])
        except services.MessagingError as exc:
            flash.error(request, exc.message)
        else:
            flash.success(request, _("%(name)s was added.") % {"name": form.cleaned_data["user"]})
    else:
        flash.error(request, _("Choose a person from the list."))
    return redirect("messaging:conversation", public_id=convo.public_id)


@require_POST
@staff_required
def member_remove(request, public_id, user_public_id):
    convo = _conversation_or_404(request.user, public_id)
    User = get_user_model()
    member = User.objects.filter(public_id=user_public_id, conversation_memberships__conversation=convo).first()
    if member is None:
        raise Http404
    try:
        services.conversation_member_remove(conversation=convo, actor=request.user, user=member)
    except services.MessagingError as exc:
        flash.error(request, exc.message)
        return redirect("messaging:conversation", public_id=convo.public_id)
    if member.pk == request.user.pk:
        flash.success(request, _("You left the group."))
        return redirect("messaging:index")
    flash.success(request, _("%(name)s was removed.") % {"name": member})
    return redirect("messaging:conversation", public_id=convo.public_id)


def _message_or_404(user, public_id) -> Message:
    message = (
        Message.objects.visible_to(user).select_related("conversation", "sender").filter(public_id=public_id).first()
    )
    if message is None:
        raise Http404
    return message


@require_POST
@staff_required
def acknowledge(request, public_id):
    message = _message_or_404(request.user, public_id)
    try:
        services.message_acknowledge(message=message, user=request.user)
    except services.MessagingError as exc:
        flash.error(request, exc.message)
    return _at_message(message)


@require_http_methods(["GET", "POST"])
@staff_required
def message_edit(request, public_id):
    message = _message_or_404(request.user, public_id)
    if message.sender_id != request.user.pk:
        raise PermissionDenied
    form = EditForm(request.POST or None, initial={"body": message.body})
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                services.message_edit(message=message, editor=request.user, body=form.cleaned_data["body"])
            except services.MessagingError as exc:
                form.add_error(None, exc.message)
            else:
                return _at_message(message)
    return render(request, "messaging/edit.html", {"form": form, "message": message}, status=status)


@require_POST
@staff_required
def message_delete(request, public_id):
    message = _message_or_404(request.user, public_id)
    try:
        services.message_delete(message=message, actor=request.user)
    except services.MessagingError as exc:
        raise PermissionDenied(exc.message) from exc
    flash.success(request, _("The message was deleted."))
    return _at_message(message)


@require_GET
def attachment(request, public_id):
    """A file sent in a conversation: for whoever may read that conversation now
    (a family only in their family thread), 404 for anyone else; logged."""
    from . import attachments

    item = policy.get_visible_or_404(
        Attachment.objects.select_related("message__conversation__resident"), request.user, public_id=public_id
    )
    log_access(request, AccessLog.Action.DOWNLOAD, item)
    return attachments.response(request, item)


@require_GET
@staff_required
def search(request):
    form = SearchForm(request.GET or None)
    results = []
    if form.is_valid():
        query = form.cleaned_data["q"]
        results = selectors.search_messages(request.user, query)
        log_access(request, AccessLog.Action.SEARCH, query=query)
    return render(request, "messaging/search.html", {"form": form, "results": results})
