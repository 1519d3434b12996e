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

ROLES = ("anonymous", "family", "staff_a", "staff_b", "coordinator_a", "group_admin")

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
) -> dict[str, int]:
    """Expected status per role. Defaults: a page for any current staff member."""
    return {
        "anonymous": anonymous,
        "family": family,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "coordinator_a": coordinator_a,
        "group_admin": group_admin,
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
