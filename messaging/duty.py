"""Duty roles: addressing a message to whoever holds a role at the time of sending.

Roles and how each is resolved (at send time, never cached):

- ``on_call:<site id>`` — the on-call of a site: ``directory.selectors.on_call_for(site=…)``
  (the on-call roster in force now).
- ``coordinator:<site id>`` — the IDEC of a site: the site's leads
  (``directory.selectors.site_leads(site=…)``) whose job is nurse
  coordinator; when the site has none with that job, all its leads.
- ``night_nurse:<unit id>`` — the nurse of a unit: staff with a nursing job
  (``directory.selectors.unit_nurses``) whose assignment in force today is on that
  unit. CareHub has no shift schedule, so "night" is the unit's nurse as
  assigned; when the unit has no nurse assigned, the role falls back to the
  on-call of the unit's site, and the conversation says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from carehub import policy

if TYPE_CHECKING:
    from directory.models import Site

ON_CALL = "on_call"
COORDINATOR = "coordinator"
NIGHT_NURSE = "night_nurse"
KINDS = (NIGHT_NURSE, ON_CALL, COORDINATOR)


@dataclass(frozen=True)
class DutyRole:
    kind: str
    site: Site
    unit: object | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.unit.pk if self.kind == NIGHT_NURSE else self.site.pk}"

    @property
    def label(self) -> str:
        if self.kind == NIGHT_NURSE:
            return _("Night nurse of %(unit)s") % {"unit": self.unit}
        if self.kind == ON_CALL:
            return _("On-call of %(site)s") % {"site": self.site.name}
        return _("IDEC of %(site)s") % {"site": self.site.name}


def role_from_key(key: str, *, user) -> DutyRole | None:
    """The role named by ``key``, if it exists within what ``user`` may see; else None."""
    from directory.models import Site, Unit

    kind, _sep, raw_id = (key or "").partition(":")
    if kind not in KINDS or not raw_id.isdigit():
        return None
    if kind == NIGHT_NURSE:
        unit = Unit.objects.visible_to(user).select_related("site").filter(pk=int(raw_id)).first()
        return DutyRole(kind, unit.site, unit) if unit else None
    site = Site.objects.visible_to(user).filter(pk=int(raw_id)).first()
    return DutyRole(kind, site) if site else None


def role_choices(*, user) -> list[tuple[str, str]]:
    """Roles offered in the composer: those of the sites where the person works
    (group admins: every site)."""
    from directory.models import Site, Unit

    sites = Site.objects.in_care_scope_of(user).filter(is_active=True).order_by("name")
    units = Unit.objects.in_care_scope_of(user).filter(site__is_active=True).select_related("site")
    choices = []
    for site in sites:
        for kind in (ON_CALL, COORDINATOR):
            role = DutyRole(kind, site)
            choices.append((role.key, role.label))
    for unit in units.order_by("site__name", "name"):
        role = DutyRole(NIGHT_NURSE, unit.site, unit)
        choices.append((role.key, role.label))
    return choices


def _on_call(site) -> list:
    from directory.selectors import on_call_for

    return [u for u in _users(on_call_for(site=site)) if u.is_active]


def _idec(site) -> list:
    """The site's leads whose job is nurse coordinator; all its leads when none has that job."""
    from directory.models import Job
    from directory.selectors import site_leads

    leads = [u for u in _users(site_leads(site=site)) if u.is_active]
    idec = [u for u in leads if getattr(getattr(u, "staff_profile", None), "job", "") == Job.NURSE_COORDINATOR]
    return idec or leads


def _users(result) -> list:
    """Accept users, or objects carrying a ``user`` (shifts, assignments), from the directory."""
    User = get_user_model()
    users = []
    for item in result or []:
        user = item if isinstance(item, User) else getattr(item, "user", None)
        if user is not None and user not in users:
            users.append(user)
    return users


@dataclass
class Resolution:
    users: list
    note: str = ""


def resolve(role: DutyRole) -> Resolution:
    """Who holds ``role`` right now. Staff only, still in care scope of the role's site."""
    if role.kind == NIGHT_NURSE:
        from directory.selectors import unit_nurses

        users = unit_nurses(site_id=role.site.pk, unit_id=role.unit.pk)
        note = ""
        if not users:
            users = _on_call(role.site)
            note = _("No nurse is assigned to this unit: sent to the on-call of the site.") if users else ""
    elif role.kind == ON_CALL:
        users, note = _on_call(role.site), ""
    else:
        users, note = _idec(role.site), ""
    reachable = []
    for user in users:
        if not user.is_family and policy.can(user, policy.Scope.CARE, role.site.pk):
            reachable.append(user)
    return Resolution(reachable, note)
