"""CareHub settings, driven by environment variables alone.

With nothing set, CareHub runs embedded: SQLite under var/, in-memory channel
layer, database cache, eager Celery, console e-mail. Setting DATABASE_URL and
REDIS_URL switches to PostgreSQL, channels_redis, the Redis cache and a real
Celery broker. A malformed value raises ImproperlyConfigured at start-up.
"""

import secrets
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

env = environ.Env()
TESTING = "pytest" in sys.modules or env.bool("CAREHUB_TESTING", default=False)


def _env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return env.str(name, default=default)


def _positive_int(name: str, default: int) -> int:
    try:
        value = env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer") from exc
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive integer, got {value}")
    return value


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _bool(name: str, default: bool) -> bool:
    """A yes/no setting; anything else is a typo that must not silently mean "no"."""
    raw = env.str(name, default="1" if default else "0").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(_TRUE + _FALSE[:-1])}; got {raw!r}")


def _non_negative_int(name: str, default: int) -> int:
    try:
        value = env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer") from exc
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative, got {value}")
    return value


def _dev_secret_key() -> str:
    """A development key generated once into var/ (git-ignored), never committed."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEBUG = _bool("DEBUG", default=False)
SECRET_KEY = _env_secret("SECRET_KEY") or _dev_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DATABASE_URL = _env_secret("DATABASE_URL", default="")
REDIS_URL = _env_secret("REDIS_URL", default="")
PRODUCTION_MODE = bool(DATABASE_URL and REDIS_URL)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "carehub.apps.CareHubAdminConfig",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "allauth",
    "allauth.account",
    "auditlog",
    "csp",
    "django_htmx",
    # CareHub
    "carehub",
    "accounts",
    "directory",
    "coordination",
    "documents",
    "messaging",
    "portal",
    "notifications",
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files itself: they get the headers too.
    "carehub.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "carehub.middleware.PrivateCacheMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

ROOT_URLCONF = "carehub.urls"
WSGI_APPLICATION = "carehub.wsgi.application"
ASGI_APPLICATION = "carehub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carehub.context_processors.carehub",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
if DATABASE_URL:
    try:
        DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    except Exception as exc:  # django-environ raises several kinds on bad URLs
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    if DATABASES["default"].get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://…)")
    DATABASES["default"]["CONN_MAX_AGE"] = _non_negative_int("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "carehub.sqlite3")),
            # IMMEDIATE transactions avoid "database is locked" on lock upgrades;
            # WAL lets readers and the writer work at the same time.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, Celery --------------------------------------------
# Parallel test processes (pytest-xdist), and the Celery workers and Daphne nodes
# they spawn, share one Redis: each keeps its own cache keys, channel groups and
# queue, so that one process's tests never see another's data.
_TEST_SHARD = env.str("PYTEST_XDIST_WORKER", default="")
_SHARD_SUFFIX = f"-test-{_TEST_SHARD}" if _TEST_SHARD else ""
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="carehub") + _SHARD_SUFFIX,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env.str("CHANNEL_PREFIX", default="carehub") + _SHARD_SUFFIX,
                "capacity": 1500,
                "expiry": 60,
            },
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_TASK_DEFAULT_QUEUE = "carehub" + _SHARD_SUFFIX
    CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", default=False)
else:
    # A cache shared by every process of one machine: rate limits, idle
    # tracking and presence must agree between Daphne and a worker.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "carehub_cache",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE: dict = {}  # apps add their periodic tasks in carehub/celery.py

# --- Auth, accounts, 2FA ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"  # staff e-mails come from coordinators
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False  # shared workstations: no "remember me"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "signup": "20/m/ip",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CareHub] "

OTP_TOTP_ISSUER = env.str("OTP_ISSUER", default="CareHub")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
BACKUP_CODE_COUNT = 10
FAMILY_2FA_REQUIRED = _bool("FAMILY_2FA_REQUIRED", default=True)

# --- Sessions ------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
IDLE_TIMEOUT_STAFF = _positive_int("IDLE_TIMEOUT_STAFF", 15 * 60)
IDLE_TIMEOUT_FAMILY = _positive_int("IDLE_TIMEOUT_FAMILY", 30 * 60)
IDLE_WARNING_BEFORE = 60
SESSION_ABSOLUTE_LIFETIME = _positive_int("SESSION_ABSOLUTE_LIFETIME", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag instead

# --- Security --------------------------------------------------------------------
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", default=not DEBUG and PRODUCTION_MODE)
SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = _non_negative_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL_REDIRECT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading makes HTTPS mandatory for every subdomain of the hospital's domain,
    # for browsers, for good: a decision for its IT team (SECURE_HSTS_PRELOAD=1), not a default.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
if _bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Internationalisation ----------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone") from exc
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# No MEDIA_URL is served: files only leave through permission-checked views.
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": "/no-public-media/"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail --------------------------------------------------------------------------
EMAIL_URL = _env_secret("EMAIL_URL", default="")
if EMAIL_URL:
    try:
        vars().update(env.email_url_config(EMAIL_URL))
    except Exception as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not a valid e-mail URL: {exc}") from exc
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CareHub <carehub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_BASE_URL = env.str("SITE_BASE_URL", default="http://127.0.0.1:8000")

# --- Audit trail ---------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False  # each app registers its domain models explicitly
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Logging -------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.security.DisallowedHost": {"level": "ERROR"}},
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", default=True)
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

# --- App settings: each app owns its section below (append-only between apps) ---
# [directory]
DIRECTORY_PAGE_SIZE = _positive_int("DIRECTORY_PAGE_SIZE", 25)
DIRECTORY_SITES_PAGE_SIZE = _positive_int("DIRECTORY_SITES_PAGE_SIZE", 24)
DIRECTORY_PHOTO_MAX_BYTES = _positive_int("DIRECTORY_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
DIRECTORY_PHOTO_SIZE = _positive_int("DIRECTORY_PHOTO_SIZE", 400)  # longest side of a stored photo, in pixels
try:
    # pg_trgm strict word similarity from which a query word matches a name despite a typo:
    # 0.38 forgives one wrong letter in names of six letters or more ("dupomt" scores 0.4).
    DIRECTORY_TYPO_THRESHOLD = env.float("DIRECTORY_TYPO_THRESHOLD", default=0.38)
except ValueError as exc:
    raise ImproperlyConfigured("DIRECTORY_TYPO_THRESHOLD must be a number") from exc
if not 0 < DIRECTORY_TYPO_THRESHOLD < 1:
    raise ImproperlyConfigured("DIRECTORY_TYPO_THRESHOLD must be between 0 and 1")
CELERY_BEAT_SCHEDULE["directory-search-refresh"] = {
    "task": "directory.tasks.search_documents_refresh_recent_changes",
    "schedule": 6 * 3600,  # assignments start and end by the calendar: re-derive search columns
}
# [coordination]
#: Default shift hours ("HH:MM,HH:MM,HH:MM": morning, afternoon, night starts); each site may override them.
COORDINATION_SHIFT_STARTS = env.str("COORDINATION_SHIFT_STARTS", default="07:00,14:00,21:00")
try:
    _shift_starts = [tuple(int(n) for n in part.strip().split(":")) for part in COORDINATION_SHIFT_STARTS.split(",")]
    if len(_shift_starts) != 3 or any(len(t) != 2 or not (0 <= t[0] < 24 and 0 <= t[1] < 60) for t in _shift_starts):
        raise ValueError
    if not (_shift_starts[0] < _shift_starts[1] < _shift_starts[2]):
        raise ValueError
except ValueError as exc:
    raise ImproperlyConfigured(
        "COORDINATION_SHIFT_STARTS must be three increasing times HH:MM,HH:MM,HH:MM (morning, afternoon, night)"
    ) from exc
#: Minutes after which an urgent note nobody acknowledged is escalated (per-site override).
COORDINATION_ESCALATION_DELAY_MINUTES = _positive_int("COORDINATION_ESCALATION_DELAY_MINUTES", 15)
#: Minutes during which the author may still correct a note (per-site override).
COORDINATION_CORRECTION_WINDOW_MINUTES = _positive_int("COORDINATION_CORRECTION_WINDOW_MINUTES", 10)
#: Longest text of each part of a note (Data, Action, Result), in characters.
COORDINATION_NOTE_MAX_LENGTH = _positive_int("COORDINATION_NOTE_MAX_LENGTH", 4000)
CELERY_BEAT_SCHEDULE["coordination-sweep-urgent-notes"] = {
    "task": "coordination.tasks.sweep_urgent_notes",
    "schedule": 60.0,
}
# [documents]
#: Largest file accepted, per file (bytes). Checked while the upload streams in.
DOCUMENTS_MAX_UPLOAD_SIZE = _positive_int("DOCUMENTS_MAX_UPLOAD_SIZE", 25 * 1024 * 1024)
#: Files accepted in one form submission (the drag-and-drop page sends one request per file).
DOCUMENTS_MAX_FILES_PER_REQUEST = _positive_int("DOCUMENTS_MAX_FILES_PER_REQUEST", 10)
#: Content types accepted, by detected kind (see documents/detection.py).
DOCUMENTS_KNOWN_TYPES = ("pdf", "png", "jpeg", "webp", "heic", "txt", "csv", "docx", "xlsx", "odt", "ods")
DOCUMENTS_ALLOWED_TYPES = tuple(env.list("DOCUMENTS_ALLOWED_TYPES", default=list(DOCUMENTS_KNOWN_TYPES)))
if _unknown := sorted(set(DOCUMENTS_ALLOWED_TYPES) - set(DOCUMENTS_KNOWN_TYPES)):
    raise ImproperlyConfigured(
        f"DOCUMENTS_ALLOWED_TYPES: unknown type(s) {_unknown}; known: {', '.join(DOCUMENTS_KNOWN_TYPES)}"
    )
#: Zip-based office files: refuse archives that would expand past this size or ratio (zip bombs).
DOCUMENTS_ZIP_MAX_UNCOMPRESSED = _positive_int("DOCUMENTS_ZIP_MAX_UNCOMPRESSED", 200 * 1024 * 1024)
DOCUMENTS_ZIP_MAX_RATIO = _positive_int("DOCUMENTS_ZIP_MAX_RATIO", 100)
DOCUMENTS_ZIP_MAX_MEMBERS = _positive_int("DOCUMENTS_ZIP_MAX_MEMBERS", 5000)
#: Days a document stays in the bin before it is erased for good.
DOCUMENTS_BIN_RETENTION_DAYS = _positive_int("DOCUMENTS_BIN_RETENTION_DAYS", 30)
#: Text extracted from PDFs for search: at most this many pages and characters.
DOCUMENTS_TEXT_MAX_PAGES = _positive_int("DOCUMENTS_TEXT_MAX_PAGES", 300)
DOCUMENTS_TEXT_MAX_CHARS = _positive_int("DOCUMENTS_TEXT_MAX_CHARS", 1_000_000)
DOCUMENTS_THUMBNAIL_SIZE = _positive_int("DOCUMENTS_THUMBNAIL_SIZE", 320)
#: Virus scanning with ClamAV, only when set: tcp://host:3310 or unix:///run/clamav/clamd.ctl.
DOCUMENTS_CLAMD_URL = env.str("DOCUMENTS_CLAMD_URL", default="")
if DOCUMENTS_CLAMD_URL and not DOCUMENTS_CLAMD_URL.startswith(("tcp://", "unix://")):
    raise ImproperlyConfigured("DOCUMENTS_CLAMD_URL must start with tcp:// or unix://")
DOCUMENTS_CLAMD_TIMEOUT = _positive_int("DOCUMENTS_CLAMD_TIMEOUT", 60)
#: Behind nginx: an ``internal`` location serving MEDIA_ROOT (e.g. /protected-media/); nginx sends the files.
DOCUMENTS_X_ACCEL_REDIRECT = env.str("DOCUMENTS_X_ACCEL_REDIRECT", default="")
CELERY_BEAT_SCHEDULE["documents-purge-bin"] = {
    "task": "documents.tasks.purge_bin",
    "schedule": 6 * 3600,  # seconds; the task erases only what is past retention
}
# [messaging]
MESSAGING_MAX_BODY_CHARS = _positive_int("MESSAGING_MAX_BODY_CHARS", 4000)
MESSAGING_MAX_FRAME_BYTES = _positive_int("MESSAGING_MAX_FRAME_BYTES", 32_768)
MESSAGING_RATE_LIMIT = _positive_int("MESSAGING_RATE_LIMIT", 20)  # messages …
MESSAGING_RATE_WINDOW = _positive_int("MESSAGING_RATE_WINDOW", 10)  # … per this many seconds
MESSAGING_EDIT_WINDOW = _positive_int("MESSAGING_EDIT_WINDOW", 5 * 60)
MESSAGING_ESCALATION_DELAY = _positive_int("MESSAGING_ESCALATION_DELAY", 5 * 60)
MESSAGING_UNREAD_EMAIL_AFTER = _positive_int("MESSAGING_UNREAD_EMAIL_AFTER", 60 * 60)
MESSAGING_RETENTION_DAYS = env.int("MESSAGING_RETENTION_DAYS", default=0)  # 0: keep every message
if MESSAGING_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("MESSAGING_RETENTION_DAYS must be 0 (keep) or a number of days")
MESSAGING_PRESENCE_TTL = _positive_int("MESSAGING_PRESENCE_TTL", 70)
MESSAGING_HEARTBEAT = _positive_int("MESSAGING_HEARTBEAT", 25)
MESSAGING_REPLAY_LIMIT = _positive_int("MESSAGING_REPLAY_LIMIT", 500)
if REDIS_URL:
    # redis-py 8 reads with a 5 s socket timeout by default, and channels_redis waits on
    # BZPOPMIN for 5 s: an idle socket's receive loop then dies with "Timeout reading"
    # (close 1011) after about 5 s. Give blocking reads room (tests/messaging/test_cluster.py).
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {"address": REDIS_URL, "socket_timeout": _positive_int("CHANNEL_REDIS_SOCKET_TIMEOUT", 30)}
    ]
CELERY_BEAT_SCHEDULE["messaging-escalate-overdue"] = {
    "task": "messaging.tasks.escalate_overdue_urgent_messages",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["messaging-unread-digest"] = {
    "task": "messaging.tasks.send_unread_digests",
    "schedule": 15 * 60.0,
}
CELERY_BEAT_SCHEDULE["messaging-retention"] = {
    "task": "messaging.tasks.purge_old_messages",
    "schedule": 24 * 3600.0,
}
# [portal]
#: Days a family invitation link stays valid (single use).
PORTAL_INVITATION_VALID_DAYS = _positive_int("PORTAL_INVITATION_VALID_DAYS", 7)
#: News items per page of the family feed.
PORTAL_FEED_PAGE_SIZE = _positive_int("PORTAL_FEED_PAGE_SIZE", 20)
#: Local hour (0-23) from which the summary e-mail of the previous day/week is sent.
try:
    PORTAL_DIGEST_SEND_HOUR = env.int("PORTAL_DIGEST_SEND_HOUR", default=8)
except ValueError:
    PORTAL_DIGEST_SEND_HOUR = -1
if not 0 <= PORTAL_DIGEST_SEND_HOUR <= 23:
    raise ImproperlyConfigured("PORTAL_DIGEST_SEND_HOUR must be an hour between 0 and 23")
CELERY_BEAT_SCHEDULE["portal-family-digests"] = {
    "task": "portal.tasks.send_family_digests",
    "schedule": 3600.0,  # hourly; each period is sent once per person (SentDigest unique key)
}
CELERY_BEAT_SCHEDULE["accounts-prune-sessions"] = {
    "task": "accounts.tasks.prune_sessions",
    "schedule": 6 * 3600.0,
}
# [backoffice]
#: Largest CSV accepted by the staff and resident imports (bytes).
BACKOFFICE_IMPORT_MAX_BYTES = _positive_int("BACKOFFICE_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
#: Rows accepted in one CSV import.
BACKOFFICE_IMPORT_MAX_ROWS = _positive_int("BACKOFFICE_IMPORT_MAX_ROWS", 5000)
#: Days of the "notes per day" chart on the coordinator dashboard.
BACKOFFICE_CHART_DAYS = _positive_int("BACKOFFICE_CHART_DAYS", 30)
#: Access-log entries at most in one resident's access-history export (CSV/PDF).
BACKOFFICE_HISTORY_EXPORT_MAX_ROWS = _positive_int("BACKOFFICE_HISTORY_EXPORT_MAX_ROWS", 50_000)
