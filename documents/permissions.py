"""Who may do what with folders and documents, on top of the access policy.

Reading follows ``Folder.objects.visible_to`` (the policy's care scope).
Managing (folders, renames, moves, bin, required reading, family sharing):
coordinators of the folder's site; group folders: group admins (head office).
Uploading: managers, and every care staff member of the site where the
folder allows it (resident folders always do).
"""

from __future__ import annotations

from carehub import policy

from .models import Folder


def folder_site_id(folder: Folder) -> int | None:
    """The site a folder belongs to today (a resident's folder follows the resident)."""
    if folder.scope == Folder.Scope.RESIDENT and folder.resident_id:
        return folder.resident.site_id
    return folder.site_id


def can_manage_folder(user, folder: Folder) -> bool:
    if folder.scope == Folder.Scope.GROUP:
        return policy.is_group_admin(user)
    return policy.can(user, policy.Scope.MANAGE, folder_site_id(folder))


def can_upload(user, folder: Folder) -> bool:
    if can_manage_folder(user, folder):
        return True
    if not folder.staff_may_upload or not policy.is_active_staff(user):
        return False
    if folder.scope == Folder.Scope.GROUP:
        return True
    return policy.can(user, policy.Scope.CARE, folder_site_id(folder))


def can_create_root(user) -> bool:
    return policy.role(user) >= policy.Role.COORDINATOR


def can_manage_reading(user) -> bool:
    return policy.role(user) >= policy.Role.COORDINATOR
