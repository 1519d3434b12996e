import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_group_admin", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: a member of staff or a relative of a resident.

    `is_staff` keeps Django's meaning (may open the admin panel); whether the
    person works for the group is `kind`.
    """

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff member")
        FAMILY = "family", _("Family member")

    username = None
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail address"), unique=True)
    kind = models.CharField(_("kind of account"), max_length=10, choices=Kind.choices, default=Kind.STAFF)
    is_group_admin = models.BooleanField(
        _("group administrator"),
        default=False,
        help_text=_("Head-office staff who see and manage every site of the group."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def is_family(self) -> bool:
        return self.kind == self.Kind.FAMILY

    @property
    def is_care_staff(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def initials(self) -> str:
        parts = [self.first_name[:1], self.last_name[:1]]
        return "".join(parts).upper() or self.email[:1].upper()


class UserSession(models.Model):
    """The index of a person's open sessions (staff and families alike), filled at sign-in.

    Sessions are stored by key only: this index finds one person's sessions, to end
    them at once, without decoding every session of the group.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    #: Wrong PINs typed since this session last locked (counted here, not in the session data,
    #: so that parallel requests cannot each see the count before the others' tries).
    unlock_failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["session_key"], name="usersession_unique_key")]
        indexes = [models.Index(fields=["user", "created_at"], name="usersession_user_created_at")]

    def __str__(self):
        return f"{self.user_id}:{self.session_key[:6]}…"


class UnlockPin(models.Model):
    """A person's PIN that opens their locked screen on a shared tablet, hashed like a password."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="unlock_pin", verbose_name=_("user")
    )
    pin_hash = models.CharField(max_length=256)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        default_permissions = ()
        verbose_name = _("unlock PIN")
        verbose_name_plural = _("unlock PINs")

    def __str__(self):
        return f"PIN of {self.user_id}"
