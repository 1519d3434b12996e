"""Family portal pages (families only) and the staff pages that manage family access."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import throttling
from carehub import policy
from carehub.access_log import log_access, log_refusal
from carehub.decorators import family_required
from carehub.models import AccessLog
from coordination.models import Resident
from directory.models import Site

from . import selectors, services
from .forms import (
    AcceptInvitationForm,
    InvitationForm,
    LinkRightsForm,
    MessageForm,
    PreferencesForm,
    SiteFamilyInfoForm,
)
from .models import FamilyLink, Invitation

# --- Helpers ------------------------------------------------------------------------------


def _resident_context(link: FamilyLink, section: str) -> dict:
    resident = link.resident
    return {
        "link": link,
        "resident": resident,
        "care_home_phone": selectors.phone_for_families(resident.site),
        "resident_name": selectors.resident_first_name(resident),
        "section": section,
    }


def _form_errors_status(form) -> int:
    return 400 if form.errors else 200


# --- Family pages ----------------------------------------------------------------------------


@family_required
@require_GET
def home(request):
    links = selectors.family_links(request.user)
    if landing := selectors.landing_url(links):
        return redirect(landing)
    # The page names each resident followed.
    log_access(request, AccessLog.Action.VIEW, *links)
    return render(request, "portal/home.html", {"links": links})


@require_GET
def news(request, public_id):
    link = selectors.family_link_for(request.user, public_id, right="news")
    day = None
    if request.GET.get("day"):
        try:
            day = date.fromisoformat(request.GET["day"])
        except ValueError:
            messages.error(request, _("This date is not valid: showing the latest news."))
    page = selectors.news_page(
        request.user,
        link.resident,
        cursor=request.GET.get("before"),
        day=day,
        size=settings.PORTAL_FEED_PAGE_SIZE,
    )
    log_access(request, AccessLog.Action.VIEW, link.resident)
    context = _resident_context(link, "news") | {"page": page, "is_first_page": not request.GET.get("before")}
    return render(request, "portal/news.html", context)


@require_GET
def documents(request, public_id):
    link = selectors.family_link_for(request.user, public_id, right="documents")
    docs = selectors.family_documents(request.user, link.resident)
    log_access(request, AccessLog.Action.VIEW, link.resident)
    return render(request, "portal/documents.html", _resident_context(link, "documents") | {"documents": docs})


@require_GET
def document_download(request, public_id, document_id):
    from documents.downloads import version_response

    # Re-checked here, at download time: the link, its documents right, the sharing flag.
    link = selectors.family_link_for(request.user, public_id, right="documents")
    document = selectors.family_document(request.user, link.resident, document_id)
    version = document.current_version
    if version is None:
        raise Http404
    return version_response(request, version, inline=False)


@require_http_methods(["GET", "POST"])
def thread(request, public_id):
    from messaging import services as messaging_services

    link = selectors.family_link_for(request.user, public_id, right="messages")
    conversation = selectors.family_thread(request.user, link.resident)
    form = MessageForm(request.POST or None, initial={"client_token": uuid.uuid4()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if conversation is None:
                conversation = services.family_thread_ensure(link=link)
            try:
                messaging_services.message_send(
                    conversation=conversation,
                    sender=request.user,
                    body=form.cleaned_data["body"],
                    client_token=form.cleaned_data["client_token"],
                )
            except messaging_services.RateLimited as exc:
                form.add_error("body", exc.message)
                status = 429
            except messaging_services.MessagingError as exc:
                form.add_error("body", exc.message)
                status = 400
            else:
                messages.success(request, _("Your message was sent to the care team."))
                return redirect("portal:messages", public_id=link.resident.public_id)
        else:
            status = 400
    items = selectors.thread_messages(request.user, conversation) if conversation else []
    if conversation is not None and items and status == 200:
        messaging_services.message_mark_read(conversation=conversation, user=request.user, last_id=items[-1].pk)
    if conversation is not None:
        log_access(request, AccessLog.Action.VIEW, conversation)
    else:
        log_access(request, AccessLog.Action.VIEW, link.resident)
    context = _resident_context(link, "messages") | {"items": items, "form": form}
    return render(request, "portal/messages.html", context, status=status)


@require_GET
def practical(request, public_id):
    link = selectors.family_link_for(request.user, public_id)
    info = selectors.site_family_info(link.resident.site)
    log_access(request, AccessLog.Action.VIEW, link.resident)
    return render(request, "portal/practical.html", _resident_context(link, "practical") | {"info": info})


@family_required
@require_http_methods(["GET", "POST"])
def account(request):
    prefs = selectors.family_preferences(request.user)
    form = PreferencesForm(request.POST or None, initial={"digest": prefs.digest})
    if request.method == "POST" and form.is_valid():
        services.family_preferences_update(user=request.user, digest=form.cleaned_data["digest"])
        messages.success(request, _("Your e-mail preferences are saved."))
        return redirect("portal:account")
    log_access(request, AccessLog.Action.VIEW)
    return render(request, "portal/account.html", {"form": form}, status=_form_errors_status(form))


@family_required
@require_GET
def sign_ins(request):
    entries = selectors.sign_ins(request.user)
    log_access(request, AccessLog.Action.VIEW)
    return render(request, "portal/sign_ins.html", {"entries": entries})


@family_required
@require_POST
def data_export(request):
    """The relative's own data as a ZIP of JSON files (GDPR right of access)."""
    from .exports import family_data_export

    payload = family_data_export(request.user)
    log_access(request, AccessLog.Action.EXPORT)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in payload.items():
            archive.writestr(f"{name}.json", json.dumps(content, ensure_ascii=False, indent=2, default=str))
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="carehub-my-data-{stamp}.zip"'
    return response


# --- Invitation acceptance (public: the link is the credential) ---------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    # The link signs a new account in: links that lead nowhere are counted per address like wrong passwords.
    usage = throttling.attempt(request, action=throttling.INVITATION)
    if usage is None:
        return throttling.refusal(request, action=throttling.INVITATION)
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationError as exc:
        return render(request, "portal/invitation_invalid.html", {"reason": exc.messages[0]}, status=404)
    usage.rollback()
    user = request.user
    context = {"invitation": invitation, "resident_name": selectors.resident_first_name(invitation.resident)}
    if user.is_authenticated:
        if not user.is_family or user.email.lower() != invitation.email.lower():
            log_refusal(request, invitation)
            return render(request, "portal/invitation_other_account.html", context, status=403)
        # The invitee sees whom the invitation is for.
        log_access(request, AccessLog.Action.VIEW, invitation)
        if request.method == "POST":
            try:
                link = services.invitation_accept_existing_account(token=token, user=user)
            except services.InvitationError as exc:
                return render(request, "portal/invitation_invalid.html", {"reason": exc.messages[0]}, status=404)
            messages.success(request, _("You now follow %(name)s.") % {"name": context["resident_name"]})
            return redirect("portal:news", public_id=link.resident.public_id)
        return render(request, "portal/invitation_confirm.html", context)
    from django.contrib.auth import get_user_model

    if get_user_model().objects.filter(email__iexact=invitation.email).exists():
        login_url = reverse("account_login") + "?" + urlencode({"next": request.path})
        return render(request, "portal/invitation_sign_in.html", context | {"login_url": login_url})
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.invitation_accept_new_account(
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationError as exc:
            return render(request, "portal/invitation_invalid.html", {"reason": exc.messages[0]}, status=404)
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            login(request, new_user, backend="allauth.account.auth_backends.AuthenticationBackend")
            messages.success(request, _("Your account is ready."))
            if settings.FAMILY_2FA_REQUIRED:
                messages.info(request, _("One more step: protect your account with a code from your phone."))
                return redirect(reverse("two_factor_setup") + "?" + urlencode({"next": reverse("portal:home")}))
            return redirect("portal:home")
    return render(request, "portal/invitation_accept.html", context | {"form": form}, status=_form_errors_status(form))


# --- Staff pages: managing family access ---------------------------------------------------------------


def _managed_resident(request, public_id) -> Resident:
    """The resident (404 if not readable), then 403 if the user does not manage the site."""
    resident = policy.get_visible_or_404(Resident, request.user, public_id=public_id)
    if not policy.can(request.user, policy.Scope.MANAGE, resident.site_id):
        raise PermissionDenied
    return resident


@require_http_methods(["GET", "POST"])
def resident_family(request, public_id):
    resident = _managed_resident(request, public_id)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invitation_create(
                actor=request.user,
                resident=resident,
                email=data["email"],
                relationship=data["relationship"],
                may_see_news=data["may_see_news"],
                may_see_documents=data["may_see_documents"],
                may_see_messages=data["may_see_messages"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("portal:resident_family", public_id=resident.public_id)
    links, invitations = selectors.resident_family_overview(resident)
    log_access(request, AccessLog.Action.VIEW, resident)
    return render(
        request,
        "portal/staff/resident_family.html",
        {
            "resident": resident,
            "form": form,
            "links": links,
            "invitations": invitations,
            "valid_days": settings.PORTAL_INVITATION_VALID_DAYS,
        },
        status=_form_errors_status(form),
    )


def _managed_invitation(request, public_id) -> Invitation:
    return get_object_or_404(
        Invitation.objects.managed_by(request.user).select_related("resident"), public_id=public_id
    )


def _managed_link(request, public_id) -> FamilyLink:
    return get_object_or_404(
        FamilyLink.objects.managed_by(request.user).select_related("resident", "user"), public_id=public_id
    )


def _back_to_resident(resident):
    return redirect("portal:resident_family", public_id=resident.public_id)


@require_POST
def invitation_resend(request, public_id):
    invitation = _managed_invitation(request, public_id)
    try:
        services.invitation_resend(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("A new link was sent to %(email)s; the previous one no longer works.") % {"email": invitation.email},
        )
    return _back_to_resident(invitation.resident)


@require_POST
def invitation_revoke(request, public_id):
    invitation = _managed_invitation(request, public_id)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email})
    return _back_to_resident(invitation.resident)


@require_POST
def link_update(request, public_id):
    link = _managed_link(request, public_id)
    form = LinkRightsForm(request.POST, prefix=str(link.public_id))
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or _("Check the rights chosen."))
        return _back_to_resident(link.resident)
    if not link.is_active:
        messages.error(request, _("This access was revoked: send a new invitation instead."))
        return _back_to_resident(link.resident)
    services.family_link_update_rights(actor=request.user, link=link, **form.cleaned_data)
    messages.success(request, _("The rights of %(name)s are updated.") % {"name": link.user})
    return _back_to_resident(link.resident)


@require_POST
def link_revoke(request, public_id):
    link = _managed_link(request, public_id)
    services.family_link_revoke(actor=request.user, link=link)
    messages.success(
        request, _("%(name)s no longer has access; their open sessions were closed.") % {"name": link.user}
    )
    return _back_to_resident(link.resident)


@require_http_methods(["GET", "POST"])
def site_info_edit(request, public_id):
    site = get_object_or_404(Site.objects.managed_by(request.user), public_id=public_id)
    info = selectors.site_family_info(site)
    form = SiteFamilyInfoForm(request.POST or None, instance=info)
    if request.method == "POST" and form.is_valid():
        services.site_family_info_update(actor=request.user, site=site, **form.cleaned_data)
        messages.success(request, _("The information for families is saved."))
        return redirect("portal:site_info_edit", public_id=site.public_id)
    return render(
        request, "portal/staff/site_info_edit.html", {"site": site, "form": form}, status=_form_errors_status(form)
    )
