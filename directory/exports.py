"""vCards and CSV of the directory, for phones and address books.

Each export carries what the viewer may see, no more: a private mobile number
goes out only when the viewer may see it on screen.
"""

from __future__ import annotations

import vobject
from django.utils.translation import gettext as _

from carehub import spreadsheets


def _vcard(person) -> vobject.base.Component:
    user = person.user
    card = vobject.vCard()
    card.add("uid").value = f"urn:uuid:{user.public_id}"
    card.add("n").value = vobject.vcard.Name(family=user.last_name, given=user.first_name)
    card.add("fn").value = user.get_full_name() or user.email
    card.add("email").value = user.email
    card.email.type_param = "WORK"
    card.add("title").value = person.profile.get_job_display()
    assignment = person.primary_assignment
    if assignment is not None:
        org = card.add("org")
        org.value = [assignment.site.name] + ([assignment.unit.name] if assignment.unit_id else [])
    if person.profile.phone_extension:
        tel = card.add("tel")
        tel.value = person.profile.phone_extension
        tel.type_paramlist = ["WORK", "VOICE"]
    if person.mobile:
        tel = card.add("tel")
        tel.value = person.mobile
        tel.type_paramlist = ["CELL", "VOICE"]
    if assignment is not None and assignment.site.phone:
        tel = card.add("tel")
        tel.value = assignment.site.phone
        tel.type_paramlist = ["WORK"]
        card.add("note").value = _("Extension %(ext)s via %(site)s") % {
            "ext": person.profile.phone_extension or "-",
            "site": assignment.site.phone,
        }
    return card


def vcards(people) -> str:
    """One or many vCards 3.0, CRLF line endings as RFC 2426 wants."""
    return "".join(_vcard(person).serialize() for person in people)


def csv_text(people) -> str:
    headers = [
        _("Last name"),
        _("First name"),
        _("Job"),
        _("Site"),
        _("Unit"),
        _("Phone extension"),
        _("Mobile phone"),
        _("E-mail address"),
        _("Languages spoken"),
    ]
    rows = []
    for person in people:
        assignment = person.primary_assignment
        rows.append(
            (
                person.user.last_name,
                person.user.first_name,
                person.profile.get_job_display(),
                assignment.site.name if assignment else "",
                assignment.unit.name if assignment and assignment.unit_id else "",
                person.profile.phone_extension,
                person.mobile,
                person.user.email,
                ", ".join(person.languages),
            )
        )
    return spreadsheets.csv_text(headers, rows)
