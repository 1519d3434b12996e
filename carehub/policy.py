"""The access policy: the one place that decides who sees and changes what.

Every view starts from a queryset restricted here (``Model.objects.visible_to(user)``
calls :func:`restrict`), and object checks reuse the same rules through
:func:`get_visible_or_404`. Later apps add rules by giving their querysets a
``visible_to`` built on :func:`restrict` / :func:`site_ids`; they never bypass it.

Scopes:
- DIRECTORY: who works where. Any staff member with a current assignment sees
  the whole group's directory; families see nothing of it.
- CARE: resident data. Staff see the sites where they currently work;
  coordinators the same; group admins every site.
- MANAGE: administration. Coordinators manage the sites of their coordinator
  assignments; group admins every site.

An :class:`ApiClient` (software calling the FHIR API with a token) stands where a user would: it
reaches the directory and the care data of its token's sites, and manages nothing.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

if TYPE_CHECKING:
    from accounts.models import User


class Scope(enum.StrEnum):
    DIRECTORY = "directory"
    CARE = "care"
    MANAGE = "manage"


class Role(enum.IntEnum):
    ANONYMOUS = 0
    FAMILY = 1
    STAFF = 2
    COORDINATOR = 3
    GROUP_ADMIN = 4


class _All(enum.Enum):
    """Every site: group admins are not restricted (avoids huge IN lists)."""

    ALL_SITES = "ALL_SITES"

    def __repr__(self):
        return "ALL_SITES"


ALL_SITES: Final = _All.ALL_SITES
#: What site_ids answers: some sites, or every site.
SiteIds = frozenset[int] | Literal[_All.ALL_SITES]
_CACHE_ATTR = "_carehub_policy_cache"
M = TypeVar("M", bound=Model)


def _cache(user) -> dict:
    # Per user object, hence per request: assignments read once per request.
    cache = user.__dict__.get(_CACHE_ATTR)
    if cache is None:
        cache = user.__dict__[_CACHE_ATTR] = {}
    return cache


class ApiClient:
    """Software acting through an API token (fhirapi): treated as care staff of the token's sites only.

    Passed to ``visible_to`` like a user, so that the API reads through the same querysets as the pages.
    It has no account: writes are made by a real user (the token's creator) through the services.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_group_admin = False
    is_family = False
    pk = None

    def __init__(self, name: str, sites: frozenset[int]):
        self.name, self.sites = name, frozenset(sites)

    def __str__(self):
        return self.name


def forget(user) -> None:
    """Drop what the policy memoised on this user object (after a change of rights)."""
    user.__dict__.pop(_CACHE_ATTR, None)


# Rights are read through the user's own relations (``user.assignments``, ``user.family_links``,
# declared by the directory and portal models): the policy sits below every app and imports none.


def _coordinator_role(user) -> str:
    return user.assignments.model.Role.COORDINATOR


def _current_assignments(user) -> list[tuple[int, str]]:
    cache = _cache(user)
    if "assignments" not in cache:
        cache["assignments"] = list(user.assignments.active().values_list("site_id", "role"))
    return cache["assignments"]


#: Rights of a family link, as named by ``family_resident_ids(user, right=...)``.
FAMILY_RIGHTS = ("news", "documents", "messages")


def _family_links(user) -> list[tuple[int, bool, bool, bool]]:
    cache = _cache(user)
    if "family_links" not in cache:
        cache["family_links"] = list(
            user.family_links.filter(is_active=True, revoked_at__isnull=True).values_list(
                "resident_id", "may_see_news", "may_see_documents", "may_see_messages"
            )
        )
    return cache["family_links"]


def family_resident_ids(user, *, right: str | None = None) -> frozenset[int]:
    """The residents a family user follows through an active family link (memoised per request).

    With ``right`` ("news", "documents" or "messages"), only the links granting it.
    Anyone else (staff, anonymous, a deactivated account) follows nobody.
    """
    if not user.is_authenticated or not user.is_active or not user.is_family:
        return frozenset()
    if right is not None and right not in FAMILY_RIGHTS:
        raise ValueError(right)
    index = FAMILY_RIGHTS.index(right) + 1 if right else None
    return frozenset(link[0] for link in _family_links(user) if index is None or link[index])


def is_group_admin(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and (user.is_superuser or (user.is_group_admin and not user.is_family))
    )


def role(user) -> Role:
    if not user.is_authenticated or not user.is_active:
        return Role.ANONYMOUS
    if is_group_admin(user):
        return Role.GROUP_ADMIN
    if user.is_family:
        return Role.FAMILY
    if isinstance(user, ApiClient):
        return Role.STAFF if user.sites else Role.ANONYMOUS
    if any(r == _coordinator_role(user) for _, r in _current_assignments(user)):
        return Role.COORDINATOR
    return Role.STAFF


def is_active_staff(user) -> bool:
    """A staff member with at least one assignment in force today (or a group admin)."""
    if not user.is_authenticated or not user.is_active or user.is_family:
        return False
    if isinstance(user, ApiClient):
        return bool(user.sites)
    return is_group_admin(user) or bool(_current_assignments(user))


def site_ids(user, scope: Scope) -> SiteIds:
    """The ids of the sites a user may reach in a scope, or ALL_SITES."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if is_group_admin(user):
        return ALL_SITES
    if user.is_family:
        return frozenset()  # families reach residents through their family links only
    if isinstance(user, ApiClient):
        # Its own sites, for the directory too: a token of one site learns nothing of the others.
        return frozenset() if scope is Scope.MANAGE else user.sites
    assignments = _current_assignments(user)
    if scope is Scope.DIRECTORY:
        return ALL_SITES if assignments else frozenset()
    if scope is Scope.CARE:
        return frozenset(site for site, _ in assignments)
    if scope is Scope.MANAGE:
        return frozenset(site for site, r in assignments if r == _coordinator_role(user))
    raise ValueError(scope)


def restrict(queryset: QuerySet, user, scope: Scope, site_field: str) -> QuerySet:
    """Filter a queryset to the rows whose ``site_field`` is within the user's scope."""
    allowed = site_ids(user, scope)
    if allowed is ALL_SITES:
        return queryset
    if not allowed:
        return queryset.none()
    return queryset.filter(**{f"{site_field}__in": allowed})


def can(user, scope: Scope, site_id: int | None) -> bool:
    allowed = site_ids(user, scope)
    return allowed is ALL_SITES or (site_id is not None and site_id in allowed)


def may_manage_account(actor, account) -> bool:
    """Whether ``actor`` may change ``account``: password, second factor, e-mail, active, assignments.

    Head office manages every account. A coordinator manages an account only when every right it
    holds lies within the sites the coordinator manages: an assignment at another site (in force or
    to come), a group administrator's or superuser's rights, a family account's links are wider,
    and belong to head office. Sharing one site is not enough: it would let the coordinator of one
    site take over the coordinator of another.
    """
    if is_group_admin(actor):
        return True
    managed = site_ids(actor, Scope.MANAGE)
    if managed is ALL_SITES or not managed:
        return managed is ALL_SITES
    if account.is_superuser or account.is_group_admin or account.is_family:
        return False
    return set(account.assignments.not_ended().values_list("site_id", flat=True)) <= managed


def get_visible_or_404(queryset_or_model: type[M] | QuerySet[M], user, **lookup) -> M:
    """Fetch one object through its model's ``visible_to(user)``; 404 when absent or hidden.

    A hidden object and a missing one answer the same, so that nothing leaks.
    """
    # A model's manager, or a queryset of it: both have the model's visible_to.
    manager: Any = getattr(queryset_or_model, "objects", queryset_or_model)
    return get_object_or_404(manager.visible_to(user), **lookup)


def can_view(user: User, obj: Model) -> bool:
    manager: Any = type(obj)._default_manager  # every policy-scoped model's manager has visible_to
    return manager.visible_to(user).filter(pk=obj.pk).exists()


def refuse(request) -> None:
    """Refuse a page the user may not open: raise 404 or 403.

    A family member gets 404 on a staff page addressed by an id, exactly as for
    an object that does not exist, so that nothing leaks about other
    residents; elsewhere the refusal is a plain 403.
    """
    match = getattr(request, "resolver_match", None)
    if request.user.is_authenticated and request.user.is_family and match is not None and match.kwargs:
        raise Http404
    raise PermissionDenied
