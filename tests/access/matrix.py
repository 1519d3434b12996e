"""The access matrix: for every URL of the project, what each role gets.

Each app declares its rows in ``tests/access/rules_<app>.py``:

    def build(world):            # optional: objects the rows need, all in site A
        world.resident = ResidentFactory(site=world.site_a)

    RULES = [
        Rule("coordination:resident_detail", lambda w: {"public_id": w.resident.public_id},
             expect(staff_b=404, family=404)),
    ]

``test_access_matrix`` enumerates the URL resolver; a named URL without a row
fails, so a new view cannot ship without a decision about who may open it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Ten roles. Site A is site 1, site B site 2:
#: family: relative of a resident of site A (the portal's world); family_b: relative of a resident of site B;
#: staff_a: care assistant of site A; nurse_a: nurse of site A; staff_b: nurse of site B;
#: doctor_a: coordinating doctor of site A; coordinator_a: director of site A (coordinator);
#: group_admin: head office; ended_a: temporary care assistant of site A whose assignment ended yesterday.
ROLES = (
    "anonymous",
    "family",
    "family_b",
    "staff_a",
    "nurse_a",
    "staff_b",
    "doctor_a",
    "coordinator_a",
    "group_admin",
    "ended_a",
)

#: A role a row does not name expects what this one does: the same rights by the policy (rows name
#: the exceptions: what a nurse may do that a care assistant may not, what only an author may do).
ALIKE = {"family_b": "family", "nurse_a": "staff_a", "doctor_a": "staff_a"}

#: Apps whose views refuse someone without a staff right before looking the object up (403 whatever the
#: address); the others look it up through the policy and find nothing (404), as for a relative.
REFUSED_BEFORE_LOOKUP = ("coordination:", "directory:", "messaging:", "backoffice:")


def expected_status(name: str, statuses: dict[str, int], role: str) -> int:
    if role in statuses:
        return statuses[role]
    if role == "ended_a":
        # No staff right left: denied wherever a relative is denied; the pages of any signed-in person
        # stay hers.
        family = statuses["family"]
        if family in (403, 404) and name.startswith(REFUSED_BEFORE_LOOKUP):
            return 403
        return family
    return statuses[ALIKE[role]]


#: What an anonymous visitor gets on a private page: the sign-in redirect.
LOGIN = 302


def expect(
    *,
    anonymous: int = LOGIN,
    family: int = 403,
    staff_a: int = 200,
    staff_b: int = 200,
    coordinator_a: int = 200,
    group_admin: int = 200,
    **others: int,
) -> dict[str, int]:
    """Expected status per role. Defaults: a page for any current staff member; the roles not named
    (family_b, nurse_a, doctor_a, ended_a) follow :func:`expected_status`."""
    unknown = set(others) - set(ROLES)
    assert not unknown, f"no such role: {unknown}"
    return {
        "anonymous": anonymous,
        "family": family,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "coordinator_a": coordinator_a,
        "group_admin": group_admin,
        **others,
    }


def same_for_all(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


@dataclass
class Rule:
    name: str
    kwargs: Callable[[Any], dict] | None = None
    statuses: dict[str, int] = field(default_factory=expect)
    method: str = "get"
    data: Callable[[Any], dict] | None = None
    note: str = ""


@dataclass
class World:
    """The objects the matrix runs against; apps add theirs in ``build``."""

    site_a: Any
    site_b: Any
    unit_a: Any
    unit_b: Any
    users: dict
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["extra"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __setattr__(self, name, value):
        if name in self.__dataclass_fields__:
            super().__setattr__(name, value)
        else:
            self.extra[name] = value
