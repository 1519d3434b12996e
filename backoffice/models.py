"""What the coordinators' panel keeps of its own: an index of sign-in sessions per user.

Deactivating a staff member must end their sessions at once. Sessions are
stored by key only; this index (filled on sign-in) finds a user's sessions
without decoding every session of the group.
"""

from django.conf import settings
from django.db import models


class UserSession(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["user", "created_at"], name="usersession_user_created")]

    def __str__(self):
        return f"{self.user_id}:{self.session_key[:6]}…"
