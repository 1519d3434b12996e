"""The staff directory pages. Thin: reads in selectors, writes in services."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from accounts import throttling
from carehub import policy
from carehub.access_log import log_access
from carehub.decorators import staff_required
from carehub.ids import parse_uuid
from carehub.models import AccessLog

from . import exports, ical, selectors, services
from .forms import (
    MAX_QUERY_LENGTH,
    OWN_SHIFTS,
    CalendarFeedForm,
    DirectorySearchForm,
    OnCallShiftForm,
    StaffProfileForm,
)
from .models import CalendarFeed, OnCallShift, Site, Unit

ROSTER_DAYS = 14


def _partial_requested(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


# --- Search ----------------------------------------------------------------------------------
@require_GET
@staff_required
def search(request):
    user = request.user
    sites = list(Site.objects.visible_to(user).only("pk", "public_id", "name", "time_zone"))
    site = next((s for s in sites if str(s.public_id) == request.GET.get("site")), None)
    if site is not None:
        units = list(Unit.objects.filter(site=site).order_by("name"))
    elif parse_uuid(request.GET.get("unit")):
        units = list(Unit.objects.visible_to(user).filter(public_id=parse_uuid(request.GET["unit"])))
    else:
        units = []
    form = DirectorySearchForm(request.GET or None, sites=sites, units=units)
    result = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        filters = selectors.SearchFilters(
            query=data.get("q", ""),
            site=data.get("site"),
            unit=data.get("unit"),
            job=data.get("job", ""),
            on_call=data.get("on_call", False),
            present=data.get("present", False),
        )
        result = selectors.directory_search(
            viewer=user,
            filters=filters,
            page_number=request.GET.get("page") or 1,
            per_page=settings.DIRECTORY_PAGE_SIZE,
            all_sites=sites,
        )
        if not filters.is_empty:
            log_access(request, AccessLog.Action.SEARCH, query=filters.describe())
    context = {
        "form": form,
        "result": result,
        "site": site,
        "units": units,
    }
    template = "directory/partials/results.html" if _partial_requested(request) else "directory/search.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- People --------------------------------------------------------------------------------------
@require_GET
@staff_required
def profile(request, public_id):
    person = selectors.person_for(viewer=request.user, public_id=public_id)
    leads = selectors.site_leads_by_site(person.site_ids) if person.site_ids else {}
    return render(
        request,
        "directory/profile.html",
        {
            "person": person,
            "leads": [(a.site, leads.get(a.site_id, [])) for a in person.assignments],
            "is_self": person.user.pk == request.user.pk,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def profile_edit(request):
    profile = services.staff_profile_for(user=request.user)
    if request.method == "POST":
        form = StaffProfileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.staff_profile_update(
                    profile=profile,
                    phone_extension=data["phone_extension"],
                    mobile=data["mobile"],
                    mobile_visibility=data["mobile_visibility"],
                    languages=data["languages"],
                    photo=data["photo"] or None,
                    remove_photo=data["remove_photo"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field_name, errors in exc.error_dict.items():
                        form.add_error(field_name if field_name in form.fields else None, errors)
                else:
                    form.add_error("photo", exc)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("directory:profile", public_id=request.user.public_id)
    else:
        form = StaffProfileForm(
            initial={
                "phone_extension": profile.phone_extension,
                "mobile": profile.mobile,
                "mobile_visibility": profile.mobile_visibility,
                "languages": profile.languages,
            }
        )
    return render(
        request,
        "directory/profile_edit.html",
        {"form": form, "profile": profile},
        status=400 if form.errors else 200,
    )


@require_GET
@staff_required
def profile_photo(request, public_id):
    person = selectors.person_for(viewer=request.user, public_id=public_id)
    photo = person.profile.photo
    if not photo:
        raise Http404
    try:
        handle = photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    return response


@require_GET
@staff_required
def profile_vcard(request, public_id):
    person = selectors.person_for(viewer=request.user, public_id=public_id)
    name = slugify(person.user.get_full_name()) or "contact"
    return _download(exports.vcards([person]), f"{name}.vcf", "text/vcard; charset=utf-8")


def _download(text: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(text, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Sites --------------------------------------------------------------------------------------
@require_GET
@staff_required
def sites(request):
    """Every site, a page at a time (a group may have hundreds), filtered by name or city."""
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    matching = selectors.sites_matching(viewer=request.user, query=query)
    if query.strip():
        log_access(request, AccessLog.Action.SEARCH, query=f"sites: {query.strip()}")
    page = Paginator(matching, settings.DIRECTORY_SITES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/sites.html",
        {
            "overview": selectors.sites_overview(sites=page.object_list),
            "page": page,
            "query": query,
        },
    )


def _visible_site(request, public_id) -> Site:
    return policy.get_visible_or_404(Site, request.user, public_id=public_id)


@require_GET
@staff_required
def site_detail(request, public_id):
    site = _visible_site(request, public_id)
    today = selectors.site_today(site)
    return render(
        request,
        "directory/site_detail.html",
        {
            "site": site,
            "units": list(site.units.order_by("name")),
            "coordinators": selectors.site_leads(site=site),
            "on_call": selectors.on_call_today_by_site([site]).get(site.pk, []),
            "today": today,
            "people": selectors.site_people(viewer=request.user, site=site),
            "can_manage": policy.can(request.user, policy.Scope.MANAGE, site.pk),
        },
    )


@require_GET
@staff_required
def site_vcards(request, public_id):
    site = _visible_site(request, public_id)
    people = selectors.site_people(viewer=request.user, site=site)
    log_access(request, AccessLog.Action.EXPORT, site, query="vcard", site_id=site.pk)
    return _download(exports.vcards(people), f"{slugify(site.name) or 'site'}.vcf", "text/vcard; charset=utf-8")


@require_GET
@staff_required
def site_csv(request, public_id):
    site = _visible_site(request, public_id)
    people = selectors.site_people(viewer=request.user, site=site)
    log_access(request, AccessLog.Action.EXPORT, site, query="csv", site_id=site.pk)
    return _download(exports.csv_text(people), f"{slugify(site.name) or 'site'}.csv", "text/csv; charset=utf-8")


# --- On-call roster ---------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_required
def oncall_roster(request, public_id):
    site = _visible_site(request, public_id)
    can_manage = policy.can(request.user, policy.Scope.MANAGE, site.pk)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    form = OnCallShiftForm(request.POST or None, site=site) if can_manage else None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.on_call_shift_create(
                actor=request.user,
                site=site,
                user=data["user"],
                date=data["date"],
                unit=data["unit"],
                note=data["note"],
            )
        except ValidationError as exc:
            for field_name, errors in exc.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, errors)
        else:
            messages.success(request, _("The on-call roster was updated."))
            return redirect("directory:oncall_roster", public_id=site.public_id)
    start = selectors.site_today(site)
    shifts = selectors.on_call_roster(site=site, start=start, days=ROSTER_DAYS)
    days = [start + datetime.timedelta(days=n) for n in range(ROSTER_DAYS)]
    by_day = {day: [s for s in shifts if s.date == day] for day in days}
    return render(
        request,
        "directory/oncall_roster.html",
        {"site": site, "form": form, "by_day": by_day, "can_manage": can_manage, "today": start},
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
@staff_required
def oncall_delete(request, public_id):
    shift = policy.get_visible_or_404(OnCallShift.objects.select_related("site"), request.user, public_id=public_id)
    try:
        services.on_call_shift_delete(actor=request.user, shift=shift)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The on-call entry was removed."))
    return redirect(reverse("directory:oncall_roster", kwargs={"public_id": shift.site.public_id}))


# --- On-call calendar feeds -------------------------------------------------------------------------
#: How long a calendar app may keep a feed before asking again (its own copy only: ``private``).
FEED_MAX_AGE = 300
#: A feed's fetch is written to the access log at most this often: calendar apps poll every few minutes.
FEED_LOG_EVERY = 3600


def _feed_sites(user) -> list[Site]:
    return list(Site.objects.visible_to(user).only("pk", "public_id", "name", "is_active"))


def _calendar_page(request, *, sites, form=None, issued=None, status=200):
    if form is None:
        # From a site's roster page (?site=…): that roster is chosen.
        chosen = request.GET.get("site", "")
        form = CalendarFeedForm(
            sites=sites, initial={"feed": chosen if chosen in {str(s.public_id) for s in sites} else OWN_SHIFTS}
        )
    rows = [
        {
            "feed": feed,
            "title": ical.feed_title(feed),
            "choice": str(feed.site.public_id) if feed.site_id else OWN_SHIFTS,
        }
        for feed in selectors.calendar_feeds_of(user=request.user)
    ]
    return render(
        request,
        "directory/calendar_feeds.html",
        {
            "form": form,
            "feeds": rows,
            "issued": issued,
        },
        status=status,
    )


@require_GET
@staff_required
def calendar_feeds(request):
    """Subscribe to the on-call calendars: the person's feeds, a new one, renewal of a link."""
    return _calendar_page(request, sites=_feed_sites(request.user))


@require_POST
@staff_required
def calendar_feed_issue(request):
    sites = _feed_sites(request.user)
    form = CalendarFeedForm(request.POST, sites=sites)
    if not form.is_valid():
        return _calendar_page(request, sites=sites, form=form, status=400)
    feed, token = services.calendar_feed_issue(
        user=request.user, site=form.cleaned_data["feed"], language=translation.get_language()
    )
    # Shown in this answer only (never stored, nor put in the session): CareHub keeps the token's hash.
    url = request.build_absolute_uri(reverse("directory:calendar_feed", kwargs={"token": token}))
    return _calendar_page(request, sites=sites, issued={"feed": feed, "title": ical.feed_title(feed), "url": url})


@require_POST
@staff_required
def calendar_feed_delete(request, public_id):
    feed = policy.get_visible_or_404(CalendarFeed, request.user, public_id=public_id)
    services.calendar_feed_delete(user=request.user, feed=feed)
    messages.success(request, _("The calendar link was removed: calendar apps subscribed to it get nothing more."))
    return redirect("directory:calendar_feeds")


@login_not_required
@require_safe  # some calendar apps ask with HEAD first
def calendar_feed(request, token):
    """A calendar app's fetch: no session, the secret link is the credential, read with its owner's
    rights of today (selectors.calendar_entries)."""
    # Links that lead nowhere count like the family invitation links: per address, right ones not counted.
    usage = throttling.attempt(request, action=throttling.INVITATION)
    if usage is None:
        return throttling.refusal(request, action=throttling.INVITATION)
    feed = selectors.calendar_feed_by_token(token=token)
    if feed is None:
        raise Http404
    usage.rollback()
    entries = selectors.calendar_entries(feed=feed)
    if feed.site_id is not None and cache.add(f"carehub:calendar-feed-logged:{feed.pk}", True, FEED_LOG_EVERY):
        log_access(request, AccessLog.Action.EXPORT, feed.site, user=feed.user, query="ical", site_id=feed.site_id)
    with translation.override(feed.language):
        body = ical.feed_ical(
            feed=feed,
            entries=entries,
            roster_url=lambda site: request.build_absolute_uri(
                reverse("directory:oncall_roster", kwargs={"public_id": site.public_id})
            ),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="on-call.ics"'
    patch_cache_control(response, private=True, max_age=FEED_MAX_AGE)
    return response
