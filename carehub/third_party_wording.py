"""Strings of Django and allauth whose French translation reads wrong, translated again in our catalogue.

Our locale/ comes first in LOCALE_PATHS, so its translation of these msgids replaces the library's. Marked
with gettext_noop only so that makemessages keeps them (the libraries translate them where they use them).
"""

from django.utils.translation import gettext_noop

STRINGS = (
    # The admin's page titles: "Ajout de utilisateur", "Modification de unité" (no elision possible).
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
    # Ordinary spaces before ":" and "?" where French wants a non-breaking one.
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Forgot your password?"),
    gettext_noop("Forgot Password?"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send you an email allowing you to reset it."
    ),
    gettext_noop("Error:"),
    # "vous pourrez modifiez": a typo in Django's catalogue.
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    # django-auditlog has no French catalogue.
    gettext_noop("Audit log"),
    gettext_noop("create"),
    gettext_noop("update"),
    gettext_noop("delete"),
    gettext_noop("access"),
    gettext_noop("system"),
    gettext_noop("Created {repr:s}"),
    gettext_noop("Updated {repr:s}"),
    gettext_noop("Deleted {repr:s}"),
    gettext_noop("Logged {repr:s}"),
    gettext_noop("Field"),
    gettext_noop("From"),
    gettext_noop("To"),
    gettext_noop("Relationship"),
    gettext_noop("Objects"),
)
