"""What a relative sees of people: the one home of that rule.

People: staff by first name and job ("Claire, infirmier(ère) (IDE)"), never by last
name, e-mail or @handle; "Care team" stands for the job when they have no staff
profile; other relatives by first name; the viewer as "You". The job follows the
name after a comma, as French writes a job in apposition: the job labels carry
their own parentheses ("Infirmier(ère) (IDE)"), so "Claire (Infirmier(ère) (IDE))"
would nest them, and "·" already separates the name from the time on the pages.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def staff_as_family_sees(user) -> str:
    """A member of staff as a relative sees them: first name and job only."""
    profile = getattr(user, "staff_profile", None)
    job = profile.get_job_display() if profile is not None else _("Care team")
    if not user.first_name:
        return job
    return _("%(first_name)s, %(job)s") % {"first_name": user.first_name, "job": _apposition(job)}


def _apposition(job: str) -> str:
    """A job after a name is a common noun, in lower case ("Claire, infirmière");
    an initialism at its start ("ASH …") keeps its capitals."""
    if len(job) > 1 and job[1].isupper():
        return job
    return job[:1].lower() + job[1:]


def person_as_family_sees(user, *, viewer=None) -> str:
    """Anyone of a family thread as a relative sees them: "You", a relative by first
    name, staff as :func:`staff_as_family_sees` says."""
    if viewer is not None and user.pk == viewer.pk:
        return _("You")
    if user.is_family:
        return user.first_name or _("A relative")
    return staff_as_family_sees(user)
