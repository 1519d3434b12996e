"""Access rows for the staff directory.

The directory is group-wide: every current staff member sees every site's
people (staff of site B get 200 on site-A pages, by the DIRECTORY scope of the
policy); families and anonymous visitors never reach it. Managing the on-call
roster is for the site's coordinators and group admins. The on-call calendar
feeds are a person's own (404 for others); a feed's address holds its secret
token, so it answers whoever fetches it, with or without a session.
"""

import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from directory import services
from directory.models import OnCallShift
from tests.access.matrix import Rule, expect, same_for_all
from tests.directory.factories import jpeg_bytes

MATRIX_PHOTO = "staff-photos/access-matrix.jpg"


def build(world):
    person = world.users["staff_a"]
    if not default_storage.exists(MATRIX_PHOTO):  # a fixed name: runs do not pile files up
        default_storage.save(MATRIX_PHOTO, ContentFile(jpeg_bytes((64, 64), exif=False)))
    profile = person.staff_profile
    profile.photo.name = MATRIX_PHOTO
    profile.save(update_fields=["photo"])
    world.person = person
    tomorrow = timezone.localdate(timezone=world.site_a.zone) + datetime.timedelta(days=1)
    world.shift = OnCallShift.objects.create(site=world.site_a, user=person, date=tomorrow)
    world.calendar_feed, world.calendar_token = services.calendar_feed_issue(
        user=person, site=world.site_a, language="fr"
    )


def _site_a(w):
    return {"public_id": w.site_a.public_id}


def _person(w):
    return {"public_id": w.person.public_id}


RULES = [
    Rule("directory:search"),
    Rule("directory:profile", _person, expect(family=404)),
    Rule("directory:profile_photo", _person, expect(family=404)),
    Rule("directory:profile_vcard", _person, expect(family=404)),
    Rule("directory:profile_edit"),
    Rule("directory:sites"),
    Rule("directory:site_detail", _site_a, expect(family=404)),
    Rule("directory:site_vcards", _site_a, expect(family=404)),
    Rule("directory:site_csv", _site_a, expect(family=404)),
    Rule(
        "directory:oncall_roster",
        _site_a,
        expect(family=404),
        note="read by all staff; the form is for the site's coordinators",
    ),
    Rule(
        "directory:oncall_delete",
        lambda w: {"public_id": w.shift.public_id},
        expect(family=404, staff_a=403, staff_b=403, coordinator_a=302, group_admin=404),
        method="post",
        note="coordinator_a removes the entry (roles run in order), so it is gone for the group admin",
    ),
    Rule("directory:calendar_feeds"),
    Rule(
        "directory:calendar_feed_issue",
        method="post",
        data=lambda w: {"feed": "mine"},
        note="the answer shows the new address once",
    ),
    Rule(
        "directory:calendar_feed_delete",
        lambda w: {"public_id": w.calendar_feed.public_id},
        expect(family=404, staff_a=302, nurse_a=404, doctor_a=404, staff_b=404, coordinator_a=404, group_admin=404),
        method="post",
        note="staff_a's own feed: staff_a removes it (roles run in order), nobody else finds it",
    ),
    Rule(
        "directory:calendar_feed",
        lambda w: {"token": w.calendar_token},
        same_for_all(200),
        note="public: the address is the credential (staff_a's feed of site A), checked against staff_a's rights",
    ),
]
