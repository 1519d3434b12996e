"""Reads of the documents app: folder listings with a fixed number of queries, search, required reading."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL

from carehub import policy, textsearch
from directory.models import Assignment, Site, Unit

from . import text_index
from .models import Document, DocumentVersion, Folder, ReadConfirmation, ReadingRequirement


def folder_children(folder: Folder, user):
    return (
        Folder.objects.visible_to(user)
        .filter(parent=folder)
        .annotate(document_count=Count("documents", filter=Q(documents__binned_at__isnull=True)))
    )


def folder_documents(folder: Folder, user):
    """Active documents of a folder with their current version and uploader: one query."""
    return (
        Document.objects.visible_to(user)
        .active()
        .filter(folder=folder)
        .select_related("current_version", "current_version__uploaded_by")
        .annotate(
            version_count=Count("versions"),
            must_read=Exists(ReadingRequirement.objects.filter(document=OuterRef("pk"))),
        )
        .order_by("title", "pk")
    )


def folder_ancestors(folder: Folder) -> list[Folder]:
    """Breadcrumb, root first (folder trees are shallow: one query per level)."""
    chain, current = [], folder.parent
    while current is not None:
        chain.append(current)
        current = current.parent
    return list(reversed(chain))


def resident_folder(resident) -> Folder | None:
    """The root folder of a resident's documents, if it was made (the caller took the resident from the policy)."""
    return Folder.objects.filter(resident=resident, scope=Folder.Scope.RESIDENT, parent__isnull=True).first()


def root_folders(user) -> dict[str, list[Folder]]:
    """Entry points of the browser, grouped by scope (resident roots are reached from the resident)."""
    roots = (
        Folder.objects.visible_to(user)
        .roots()
        .exclude(scope=Folder.Scope.RESIDENT)
        .select_related("site", "unit")
        .annotate(document_count=Count("documents", filter=Q(documents__binned_at__isnull=True)))
        .order_by("scope", "site__name", "unit__name", "name")
    )
    grouped: dict[str, list[Folder]] = {Folder.Scope.GROUP: [], Folder.Scope.SITE: [], Folder.Scope.UNIT: []}
    for folder in roots:
        grouped[folder.scope].append(folder)
    return grouped


def upload_targets(user):
    """Folders a user may upload into or move a document to (for the move form)."""
    from .permissions import can_upload

    folders = Folder.objects.visible_to(user).select_related("site", "unit", "resident", "parent")
    return [f for f in folders if can_upload(user, f)]


#: The text search configuration of the PDF text on PostgreSQL (migration 0003); SQLite has
#: text_index. Both compare words without accents nor case.
TEXT_SEARCH_CONFIG = "french_unaccent"
#: At most this many documents are listed, the last updated first.
SEARCH_RESULTS = 100


def document_search(user, query: str):
    """Documents whose title or file name have words starting with the query's words, or whose
    PDF text matches them (French full text on PostgreSQL, word starts on SQLite), accents and
    case aside on both databases: "hygiene" finds "Hygiène des mains". One query."""
    words = textsearch.tokens(query)
    base = Document.objects.visible_to(user).active().select_related("folder__resident", "current_version")
    if not words:
        return base.none()
    base = base.alias(search_text=textsearch.Normalised("title", "current_version__original_name"))
    match = textsearch.every_word_start("search_text", words)
    if settings.IS_POSTGRES:
        from django.contrib.postgres.search import SearchQuery, SearchVector

        in_text = (
            DocumentVersion.objects.annotate(text_vector=SearchVector("extracted_text", config=TEXT_SEARCH_CONFIG))
            .filter(text_vector=SearchQuery(query.strip(), config=TEXT_SEARCH_CONFIG, search_type="websearch"))
            .filter(document__current_version=F("pk"))
            .values("document_id")
        )
        match |= Q(pk__in=in_text)
    else:
        in_text_index = RawSQL(  # noqa: S611  # nosec B611 # constant SQL, the words are a bound parameter
            text_index.MATCH_SQL,
            (textsearch.fts5_word_starts(words),),
        )
        match |= Q(current_version_id__in=in_text_index)
    return base.filter(match).order_by("-updated_at", "pk")[:SEARCH_RESULTS]


# --- Required reading ----------------------------------------------------------------


def _requirement_q_for(user) -> Q | None:
    rows = list(Assignment.objects.active().filter(user=user).values_list("site_id", "unit_id"))
    if not rows:
        return None
    place = Q()
    for site_id, unit_id in rows:
        place |= Q(site_id=site_id, unit__isnull=True)
        if unit_id:
            place |= Q(site_id=site_id, unit_id=unit_id)
    job = getattr(getattr(user, "staff_profile", None), "job", None)
    return place & (Q(job="") | Q(job=job or ""))


def must_read_pending(user):
    """Documents the user is asked to read and has not confirmed for their current version."""
    q = _requirement_q_for(user)
    if q is None:
        return Document.objects.none()
    return (
        Document.objects.visible_to(user)
        .active()
        .filter(current_version__isnull=False, pk__in=ReadingRequirement.objects.filter(q).values("document_id"))
        .exclude(Exists(ReadConfirmation.objects.filter(version=OuterRef("current_version"), user=user)))
        .select_related("current_version")
        .order_by("title")
    )


def must_read_applies(document: Document, user) -> bool:
    q = _requirement_q_for(user)
    return q is not None and document.reading_requirements.filter(q).exists()


def reading_audience(document: Document, *, requirements=None, sites=None):
    """The people a document's required reading is for (active staff of the places named)."""
    requirements = list(requirements if requirements is not None else document.reading_requirements.all())
    if sites is not None and sites is not policy.ALL_SITES:
        requirements = [r for r in requirements if r.site_id in sites]
    if not requirements:
        return []
    q = Q()
    for requirement in requirements:
        cond = Q(site_id=requirement.site_id)
        if requirement.unit_id:
            cond &= Q(unit_id=requirement.unit_id)
        if requirement.job:
            cond &= Q(user__staff_profile__job=requirement.job)
        q |= cond
    user_ids = Assignment.objects.active().filter(q).values("user_id")
    return list(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True, kind=get_user_model().Kind.STAFF)
        .select_related("staff_profile")
        .order_by("last_name", "first_name", "pk")
    )


def reading_status(document: Document, user):
    """For a coordinator: who has read the current version, who has not (their own sites only)."""
    sites = policy.site_ids(user, policy.Scope.MANAGE)
    requirements = list(
        document.reading_requirements.select_related("site", "unit").order_by("site__name", "unit__name", "job")
    )
    audience = reading_audience(document, requirements=requirements, sites=sites)
    confirmed = dict(
        ReadConfirmation.objects.filter(version_id=document.current_version_id, user__in=audience).values_list(
            "user_id", "confirmed_at"
        )
    )
    rows = [(person, confirmed.get(person.pk)) for person in audience]
    visible_requirements = [r for r in requirements if sites is policy.ALL_SITES or r.site_id in sites]
    return visible_requirements, rows


def manageable_sites(user):
    return Site.objects.managed_by(user).filter(is_active=True).order_by("name")


def manageable_units(user):
    return Unit.objects.managed_by(user).select_related("site").order_by("site__name", "name")


def version_list(document: Document):
    return document.versions.select_related("uploaded_by").order_by("-number")


def version_by_upload_key(*, user, upload_key: str) -> DocumentVersion | None:
    """The version a person's upload (the browser's id for it) already stored, if it did."""
    if not upload_key:
        return None
    return (
        DocumentVersion.objects.select_related("document", "document__folder")
        .filter(uploaded_by=user, upload_key=upload_key)
        .first()
    )
