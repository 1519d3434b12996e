"""CareHub settings, driven by environment variables alone.

With nothing set, CareHub runs embedded: SQLite under var/, in-memory channel
layer, database cache, eager Celery, console e-mail. Setting DATABASE_URL and
REDIS_URL switches to PostgreSQL, channels_redis, the Redis cache and a real
Celery broker. Every variable is read through carehub/env.py: a malformed value
raises ImproperlyConfigured at start-up. Tests use tests/settings.py on top of this.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from carehub.env import (
    day_times,
    directory,
    email_address,
    email_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_secret,
    env_str,
    ip_network,
    log_level,
    one_of,
    origin,
    postgres_url,
    rate_limits,
    time_zone,
    url,
    url_path,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def _dev_secret_key() -> str:
    """A development key generated once into var/ (git-ignored), never committed."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEBUG = env_bool("DEBUG", False)
LOCAL_HOSTS = ["127.0.0.1", "localhost", "testserver", "::1", "[::1]"]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", LOCAL_HOSTS[:3])
if DEBUG and set(ALLOWED_HOSTS) - set(LOCAL_HOSTS):
    # Debug pages show settings and code to whoever triggers an error.
    raise ImproperlyConfigured("DEBUG is only for a machine of one's own: unset it, or keep ALLOWED_HOSTS local.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [], check=origin)
# The reverse proxies in front of CareHub (addresses or networks): X-Forwarded-For is read
# only from them (carehub/proxies.py). Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [], check=ip_network)

DATABASE_URL = env_secret("DATABASE_URL", check=postgres_url)
REDIS_URL = env_secret("REDIS_URL", check=url("redis", "rediss", "unix"))
PRODUCTION_MODE = bool(DATABASE_URL and REDIS_URL)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY and PRODUCTION_MODE:
    # A key made on each node would differ between nodes and sign people out at random.
    raise ImproperlyConfigured(
        "SECRET_KEY (or SECRET_KEY_FILE) must be set in production (DATABASE_URL and REDIS_URL set): "
        "the same value on every node."
    )
SECRET_KEY = SECRET_KEY or _dev_secret_key()

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
    "jobs",  # [jobs] long exports and imports on the Celery worker, with their progress and result file
    "outbox",  # [outbox] tasks written with the transaction, handed to the broker after commit
    "fhirapi",  # [fhirapi] the FHIR R4 API under /fhir/, for the admission software and other tools
]

MIDDLEWARE = [
    # Requests and latency (carehub/metrics.py): first and last, to time the whole chain.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before TrustedProxyMiddleware: an incoming X-Request-ID counts only from a trusted proxy (REMOTE_ADDR).
    "carehub.logs.RequestIdMiddleware",
    # Then: every later part (rate limits, access log, change history) reads the client's address.
    "carehub.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files itself: they get the headers too.
    "carehub.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A write the disk refused (full, read-only): a translated 507/503, never 500; before the CSRF check,
    # whose reading of the POST writes the form's files.
    "carehub.storage.StorageUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "carehub.logs.LogUserMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "carehub.middleware.ServiceWorkerPassiveMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "carehub.middleware.PrivateCacheMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "carehub.middleware.RefusalLogMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
    DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "carehub.sqlite3")),
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

# --- Scaling out (README, "Scaling out") ----------------------------------------
# Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator()) may land on
# another server connection between two fetches: DATABASE_DISABLE_SERVER_SIDE_CURSORS=1.
if IS_POSTGRES:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)
# Each Redis role may have its own instance or database number, because they need opposite
# eviction policies: the cache may drop keys (allkeys-lru), the channel layer and the broker
# (CELERY_BROKER_URL) must not (noeviction). Both default to REDIS_URL.
CACHE_REDIS_URL = env_secret("CACHE_REDIS_URL", REDIS_URL, check=url("redis", "rediss", "unix"))
CHANNEL_LAYER_REDIS_URL = env_secret("CHANNEL_LAYER_REDIS_URL", REDIS_URL, check=url("redis", "rediss", "unix"))
if not REDIS_URL and (CACHE_REDIS_URL or CHANNEL_LAYER_REDIS_URL):
    raise ImproperlyConfigured(
        "CACHE_REDIS_URL and CHANNEL_LAYER_REDIS_URL need REDIS_URL: without it CareHub runs embedded, without Redis."
    )

# --- Cache, channel layer, Celery --------------------------------------------
# Redis may die or hang (SIGSTOP, a full network buffer): every client of it gives up quickly, so
# pages answer. A dead Redis refuses at once; a hung one costs at most its socket timeout per call.
# Redis answers a healthy call in a millisecond or so: a quarter of a second is ample.
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 0.25, above=0)
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 0.25, above=0)
#: Longer than the channel layer's half-second blocking read (carehub/layers.py), which it must
#: outlast: an idle socket's receive loop would otherwise die with "Timeout reading" (close 1011).
CHANNEL_REDIS_SOCKET_TIMEOUT = env_float("CHANNEL_REDIS_SOCKET_TIMEOUT", 1.0, above=0.5)
#: Seconds a process trusts its last look at the channel layer's Redis (the pages' "live messaging
#: unavailable" banner, carehub/live_status.py: checked in the background, never in the request).
LIVE_STATUS_CHECK_INTERVAL = env_float("LIVE_STATUS_CHECK_INTERVAL", 10.0, above=0)
if REDIS_URL:
    # The cache holds nothing that must survive: rate limits, presence, heartbeats, the embedded
    # scheduler's claims. IGNORE_EXCEPTIONS: with Redis down a read misses and a write is dropped
    # (logged) instead of failing the page. What that means for each use (README, "Operations"):
    # presence shows "offline", message sending is not rate limited (fails open), and the sign-in
    # limits fail CLOSED: allauth takes a lock with cache.add, which then never succeeds, so every
    # sign-in POST answers 429 until Redis is back; signed-in pages keep working.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "carehub"),
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "carehub.layers.ShortReadRedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": CHANNEL_LAYER_REDIS_URL,
                        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                        "socket_timeout": CHANNEL_REDIS_SOCKET_TIMEOUT,
                    }
                ],
                "prefix": env_str("CHANNEL_PREFIX", "carehub"),
                "capacity": 1500,
                "expiry": 60,
            },
        }
    }
    CELERY_BROKER_URL = env_secret(
        "CELERY_BROKER_URL", REDIS_URL, check=url("redis", "rediss", "sentinel", "amqp", "amqps")
    )
    CELERY_TASK_DEFAULT_QUEUE = "carehub"
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
    # Sending a task (after a commit, in a request) must not hang on a dead broker: short socket
    # timeouts (CELERY_BROKER_TRANSPORT_OPTIONS below) and one quick retry; the outbox keeps the task.
    CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
    # No result backend is used (CELERY_RESULT_BACKEND below); if one is set on Redis, it fails as fast.
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
    CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
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
    CELERY_BROKER_URL = "memory://localhost/"  # a hostname: kombu warns "No hostname was supplied" otherwise
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A worker process killed mid-task (OOM, SIGKILL): its message goes back to the queue at once
# instead of being acknowledged as failed. Tasks are idempotent (outbox/services.py marks).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
#: Seconds after which Redis gives a task that was taken but never acknowledged to another worker
#: (its worker died). Redis's default is an hour: an escalation e-mail whose worker died went out an
#: hour late. Longer than any countdown a task keeps in the broker (retries: ≤ 5 minutes; escalation
#: delays wait in the outbox table instead), or that message would circulate between workers. A task
#: running longer than this is delivered a second time: each is idempotent (a job starts once, an
#: e-mail has its "sending" mark), so the second does nothing.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 10 * 60, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for abandoned messages every few seconds (kombu: interval × throttle), not every 100 s.
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
    # A broker that is down or hung answers a publish at once: the outbox keeps the task.
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_BEAT_SCHEDULE: dict = {}  # each app adds its periodic tasks in its section below
# Without a broker no beat process runs: the serving process runs CELERY_BEAT_SCHEDULE
# itself (carehub/scheduler.py), so urgent notes escalate and retention jobs run in `make run`.
EMBEDDED_SCHEDULER = env_bool("EMBEDDED_SCHEDULER", not REDIS_URL)

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
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "reset_password": "accounts.forms.ResetPasswordForm"}
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
    "login": env_str("RATE_LIMIT_LOGIN", "30/m/ip", check=rate_limits),
    "login_failed": env_str("RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key", check=rate_limits),
    # The second-factor code (accounts/throttling.py), per address and per account, right codes not counted.
    "two_factor": env_str("RATE_LIMIT_TWO_FACTOR", "10/m/ip,5/5m/user", check=rate_limits),
    "invitation": "20/m/ip",  # family invitation links that lead nowhere (portal.views.invitation_accept)
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "signup": "20/m/ip",
    # The FHIR API, per token (fhirapi/views.py); 429 with Retry-After past it.
    "fhir": env_str("RATE_LIMIT_FHIR", "600/m/key", check=rate_limits),
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CareHub] "

OTP_TOTP_ISSUER = env_str("OTP_ISSUER", "CareHub")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
BACKUP_CODE_COUNT = 10
FAMILY_2FA_REQUIRED = env_bool("FAMILY_2FA_REQUIRED", True)

# --- Sessions ------------------------------------------------------------------
# Sessions live in the database only, not in the cache (cached_db): with Redis down, signed-in
# people stay signed in. A cache that skips failed writes (IGNORE_EXCEPTIONS) would not do: a
# sign-out or a session ended by a coordinator while Redis hung would leave the old copy in the
# cache, alive again once Redis answers. The price is one primary-key read per request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
IDLE_TIMEOUT_STAFF = env_int("IDLE_TIMEOUT_STAFF", 15 * 60, minimum=1)
IDLE_TIMEOUT_FAMILY = env_int("IDLE_TIMEOUT_FAMILY", 30 * 60, minimum=1)
IDLE_WARNING_BEFORE = 60
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME", 12 * 3600, minimum=1)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag instead

# --- Security --------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and PRODUCTION_MODE)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # The __Host- prefix (ASVS 5.0 3.3.1): the browser keeps these cookies only when set over HTTPS
    # for the whole host (Path=/, no Domain), so no sibling subdomain can plant or read them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL_REDIRECT else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading makes HTTPS mandatory for every subdomain of the hospital's domain,
    # for browsers, for good: a decision for its IT team (SECURE_HSTS_PRELOAD=1), not a default.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env_bool("BEHIND_TLS_PROXY", False):
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
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris", check=time_zone)
CELERY_TIMEZONE = TIME_ZONE  # beat's crontab entries, if any, read the group's clock
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Stored files: media, upload pieces, optional object storage (README "Shared files") ---
# Every web node and every Celery worker must see the same files: MEDIA_ROOT on a shared
# filesystem (NFS...) or MEDIA_STORAGE=s3. Code reaches files through the storage API only.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
#: Files sent in pieces wait here until their last piece arrives (documents/uploads.py). The
#: pieces of one upload may reach different web nodes: a folder they all share, or sticky sessions.
UPLOAD_PIECES_DIR = Path(env_str("UPLOAD_PIECES_DIR", str(VAR_DIR / "upload-pieces")))
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "filesystem", check=one_of("filesystem", "s3"))
# No MEDIA_URL is served: files only leave through permission-checked views.
STORAGES = {
    "default": {
        "BACKEND": "carehub.storage.MediaStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": "/no-public-media/"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# MEDIA_STORAGE=s3: django-storages' S3 backend, on AWS or any S3 API (MinIO, Ceph, OVHcloud,
# Scaleway...). Objects are private and no signed URL is ever made (querystring_auth off): bytes
# still leave only through CareHub's views, after the access policy and into the access log.
# The variables are read (and checked) whatever the backend, so a typo shows before switching.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
_s3_options = {
    "bucket_name": AWS_STORAGE_BUCKET_NAME,
    "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "", check=url("http", "https")) or None,
    "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
    "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "", check=one_of("auto", "path", "virtual")) or None,
    "location": env_str("AWS_LOCATION", "").strip("/"),  # a prefix inside the bucket
    "default_acl": "private",
    "querystring_auth": False,
    "file_overwrite": False,
    # Memory stays flat whatever the file size: a file read back is spooled to disk past 2 MB,
    # and transfers run one 8 MB part at a time (threaded, boto3 held about ten in memory:
    # +132 MB for a 100 MB upload, +33 MB without threads; bench/documents_stream.py):
    # transfer_config below.
    "max_memory_size": 2 * 1024 * 1024,
}
# Without keys boto3 looks further (instance role, ~/.aws/credentials): leave them out then.
if _access_key := env_secret("AWS_ACCESS_KEY_ID"):
    _s3_options["access_key"] = _access_key
if _secret_key := env_secret("AWS_SECRET_ACCESS_KEY"):
    _s3_options["secret_key"] = _secret_key
if MEDIA_STORAGE == "s3":
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (the private bucket of the files).")
    from boto3.s3.transfer import TransferConfig

    _s3_options["transfer_config"] = TransferConfig(use_threads=False)
    STORAGES["default"] = {"BACKEND": "carehub.storage_s3.MediaS3Storage", "OPTIONS": _s3_options}

# --- E-mail --------------------------------------------------------------------------
EMAIL_URL = env_secret("EMAIL_URL", check=email_url)
if EMAIL_URL:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
#: Seconds an SMTP exchange may take: an e-mail marked "sending" ends well before it is sent again.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CareHub <carehub@localhost>", check=email_address)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_BASE_URL = env_str("SITE_BASE_URL", "http://127.0.0.1:8000", check=url("http", "https"))

# --- Audit trail ---------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False  # each app registers its domain models explicitly
AUDITLOG_DISABLE_REMOTE_ADDR = False
#: The access log's seal (carehub/audit_seal.py): a key kept off the database host, so that write access
#: to the database is not enough to rewrite the chain. Empty: derived from SECRET_KEY (and then its
#: rotations need SECRET_KEY_FALLBACKS kept as long as old entries must verify).
AUDIT_CHAIN_KEY = env_secret("AUDIT_CHAIN_KEY")
#: Earlier audit keys, comma-separated: entries sealed with them still verify.
AUDIT_CHAIN_OLD_KEYS = [k.strip() for k in env_secret("AUDIT_CHAIN_OLD_KEYS").split(",") if k.strip()]
#: Where the hourly checkpoints of the chain are appended, besides the log (carehub.audit logger). Put it
#: outside the database's reach (another host's mount); empty: the log only. Embedded: beside the
#: SQLite file, so that each database has its own.
AUDIT_CHECKPOINT_FILE = env_str(
    "AUDIT_CHECKPOINT_FILE",
    "" if DATABASE_URL else str(Path(DATABASES["default"]["NAME"]).with_suffix(".audit-checkpoints.jsonl")),
)

# --- Operations: logs, metrics, error reports, health checks (README "### Operations") -------
#: plain (one text line per event) or json (one JSON object per line: carehub/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT", "plain", check=one_of("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "carehub.logs.JsonLogFormatter"},
    },
    "filters": {
        "refusals_on_one_line": {"()": "carehub.log_filters.RefusalsOnOneLine"},
        "request_context": {"()": "carehub.logs.RequestContextFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "refusals_on_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO", check=log_level)},
    "loggers": {"django.security.DisallowedHost": {"level": "ERROR"}},
}
# A worker's lines in the same JSON as the web's, rather than Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
#: Who may read /metrics (Prometheus): addresses or networks, the client's address behind TRUSTED_PROXIES.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1"], check=ip_network)
#: Several processes per node (Gunicorn workers): prometheus_client keeps their values in this folder.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "", check=directory)
SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]
if REDIS_URL:
    # django-redis with hit/miss counters (django-prometheus); the same client otherwise.
    CACHES["default"]["BACKEND"] = "django_prometheus.cache.backends.redis.RedisCache"
#: Error reports (Sentry or compatible), off unless set; health data is scrubbed (carehub/errors_reporting.py).
SENTRY_DSN = env_secret("SENTRY_DSN", check=url("https", "http"))
#: /healthz answers 503 when beat's heartbeat is older than this (seconds); a stale worker is reported.
HEALTH_BEAT_MAX_AGE = env_int("HEALTH_BEAT_MAX_AGE", 180, minimum=1)
HEALTH_WORKER_MAX_AGE = env_int("HEALTH_WORKER_MAX_AGE", 180, minimum=1)
HEALTH_HEARTBEAT_INTERVAL = env_int("HEALTH_HEARTBEAT_INTERVAL", 30, minimum=1)
CELERY_BEAT_SCHEDULE["carehub-audit-checkpoint"] = {
    "task": "carehub.tasks.audit_checkpoint",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["carehub-heartbeat"] = {
    "task": "carehub.tasks.heartbeat",
    "schedule": float(HEALTH_HEARTBEAT_INTERVAL),
    # A heartbeat nobody ran in time is worth nothing: a worker back after an outage skips the backlog.
    "options": {"expires": HEALTH_HEARTBEAT_INTERVAL},
}

# --- App settings: each app owns its section below (append-only between apps) ---
# [directory]
DIRECTORY_PAGE_SIZE = env_int("DIRECTORY_PAGE_SIZE", 25, minimum=1)
DIRECTORY_SITES_PAGE_SIZE = env_int("DIRECTORY_SITES_PAGE_SIZE", 24, minimum=1)
DIRECTORY_PHOTO_MAX_BYTES = env_int("DIRECTORY_PHOTO_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
DIRECTORY_PHOTO_SIZE = env_int("DIRECTORY_PHOTO_SIZE", 400, minimum=1)  # longest side of a stored photo, in pixels
CELERY_BEAT_SCHEDULE["directory-search-refresh"] = {
    "task": "directory.tasks.search_documents_refresh_recent_changes",
    "schedule": 6 * 3600,  # assignments start and end by the calendar: re-derive search columns
}
# [coordination]
#: Default shift hours ("HH:MM,HH:MM,HH:MM": morning, afternoon, night starts); each site may override them.
COORDINATION_SHIFT_STARTS = env_str("COORDINATION_SHIFT_STARTS", "07:00,14:00,21:00", check=day_times(3))
#: Minutes after which an urgent note nobody acknowledged is escalated (per-site override).
COORDINATION_ESCALATION_DELAY_MINUTES = env_int("COORDINATION_ESCALATION_DELAY_MINUTES", 15, minimum=1)
#: Minutes during which the author may still correct a note (per-site override).
COORDINATION_CORRECTION_WINDOW_MINUTES = env_int("COORDINATION_CORRECTION_WINDOW_MINUTES", 10, minimum=1)
#: Longest text of each part of a note (Data, Action, Result), in characters.
COORDINATION_NOTE_MAX_LENGTH = env_int("COORDINATION_NOTE_MAX_LENGTH", 4000, minimum=1)
CELERY_BEAT_SCHEDULE["coordination-sweep-urgent-notes"] = {
    "task": "coordination.tasks.sweep_urgent_notes",
    "schedule": 60.0,
}
# [documents]
#: Largest file accepted, per file (bytes). Checked while the upload streams in.
DOCUMENTS_MAX_UPLOAD_SIZE = env_int("DOCUMENTS_MAX_UPLOAD_SIZE", 25 * 1024 * 1024, minimum=1)
#: Files accepted in one form submission (the drag-and-drop page sends one request per file).
DOCUMENTS_MAX_FILES_PER_REQUEST = env_int("DOCUMENTS_MAX_FILES_PER_REQUEST", 10, minimum=1)
#: Content types accepted, by detected kind (see documents/detection.py).
DOCUMENTS_KNOWN_TYPES = ("pdf", "png", "jpeg", "webp", "heic", "txt", "csv", "docx", "xlsx", "odt", "ods")
DOCUMENTS_ALLOWED_TYPES = tuple(
    env_list("DOCUMENTS_ALLOWED_TYPES", DOCUMENTS_KNOWN_TYPES, choices=DOCUMENTS_KNOWN_TYPES)
)
#: Zip-based office files: refuse archives that would expand past this size or ratio (zip bombs).
DOCUMENTS_ZIP_MAX_UNCOMPRESSED = env_int("DOCUMENTS_ZIP_MAX_UNCOMPRESSED", 200 * 1024 * 1024, minimum=1)
DOCUMENTS_ZIP_MAX_RATIO = env_int("DOCUMENTS_ZIP_MAX_RATIO", 100, minimum=1)
DOCUMENTS_ZIP_MAX_MEMBERS = env_int("DOCUMENTS_ZIP_MAX_MEMBERS", 5000, minimum=1)
#: Days a document stays in the bin before it is erased for good.
DOCUMENTS_BIN_RETENTION_DAYS = env_int("DOCUMENTS_BIN_RETENTION_DAYS", 30, minimum=1)
#: Text extracted from PDFs for search: at most this many pages and characters.
DOCUMENTS_TEXT_MAX_PAGES = env_int("DOCUMENTS_TEXT_MAX_PAGES", 300, minimum=1)
DOCUMENTS_TEXT_MAX_CHARS = env_int("DOCUMENTS_TEXT_MAX_CHARS", 1_000_000, minimum=1)
DOCUMENTS_THUMBNAIL_SIZE = env_int("DOCUMENTS_THUMBNAIL_SIZE", 320, minimum=1)
#: Virus scanning with ClamAV, only when set: tcp://host:3310 or unix:///run/clamav/clamd.ctl.
DOCUMENTS_CLAMD_URL = env_str("DOCUMENTS_CLAMD_URL", "", check=url("tcp", "unix"))
DOCUMENTS_CLAMD_TIMEOUT = env_int("DOCUMENTS_CLAMD_TIMEOUT", 60, minimum=1)
#: Behind nginx: an ``internal`` location serving MEDIA_ROOT (e.g. /protected-media/); nginx sends the files.
DOCUMENTS_X_ACCEL_REDIRECT = env_str("DOCUMENTS_X_ACCEL_REDIRECT", "", check=url_path)
CELERY_BEAT_SCHEDULE["documents-purge-bin"] = {
    "task": "documents.tasks.purge_bin",
    "schedule": 6 * 3600,  # seconds; the task erases only what is past retention
}
# [messaging]
MESSAGING_MAX_BODY_CHARS = env_int("MESSAGING_MAX_BODY_CHARS", 4000, minimum=1)
MESSAGING_MAX_FRAME_BYTES = env_int("MESSAGING_MAX_FRAME_BYTES", 32_768, minimum=1)
MESSAGING_RATE_LIMIT = env_int("MESSAGING_RATE_LIMIT", 20, minimum=1)  # messages …
MESSAGING_RATE_WINDOW = env_int("MESSAGING_RATE_WINDOW", 10, minimum=1)  # … per this many seconds
MESSAGING_EDIT_WINDOW = env_int("MESSAGING_EDIT_WINDOW", 5 * 60, minimum=1)
MESSAGING_ESCALATION_DELAY = env_int("MESSAGING_ESCALATION_DELAY", 5 * 60, minimum=1)
MESSAGING_UNREAD_EMAIL_AFTER = env_int("MESSAGING_UNREAD_EMAIL_AFTER", 60 * 60, minimum=1)
MESSAGING_RETENTION_DAYS = env_int("MESSAGING_RETENTION_DAYS", 0, minimum=0)  # 0: keep every message
MESSAGING_PRESENCE_TTL = env_int("MESSAGING_PRESENCE_TTL", 70, minimum=1)
MESSAGING_HEARTBEAT = env_int("MESSAGING_HEARTBEAT", 25, minimum=1)
MESSAGING_REPLAY_LIMIT = env_int("MESSAGING_REPLAY_LIMIT", 500, minimum=1)
CELERY_BEAT_SCHEDULE["messaging-escalate-overdue"] = {
    "task": "messaging.tasks.escalate_overdue_urgent_messages",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["messaging-unread-digest"] = {
    "task": "messaging.tasks.send_unread_digests",
    "schedule": 15 * 60.0,
}
CELERY_BEAT_SCHEDULE["messaging-close-sockets-of-ended-assignments"] = {
    "task": "messaging.tasks.close_sockets_of_ended_assignments",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["messaging-retention"] = {
    "task": "messaging.tasks.purge_old_messages",
    "schedule": 24 * 3600.0,
}
# [portal]
#: Days a family invitation link stays valid (single use).
PORTAL_INVITATION_VALID_DAYS = env_int("PORTAL_INVITATION_VALID_DAYS", 7, minimum=1)
#: News items per page of the family feed.
PORTAL_FEED_PAGE_SIZE = env_int("PORTAL_FEED_PAGE_SIZE", 20, minimum=1)
#: Local hour (0-23) from which the summary e-mail of the previous day/week is sent.
PORTAL_DIGEST_SEND_HOUR = env_int("PORTAL_DIGEST_SEND_HOUR", 8, minimum=0, maximum=23)
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
BACKOFFICE_IMPORT_MAX_BYTES = env_int("BACKOFFICE_IMPORT_MAX_BYTES", 2 * 1024 * 1024, minimum=1)
#: Rows accepted in one CSV import.
BACKOFFICE_IMPORT_MAX_ROWS = env_int("BACKOFFICE_IMPORT_MAX_ROWS", 5000, minimum=1)
#: Days of the "notes per day" chart on the coordinator dashboard.
BACKOFFICE_CHART_DAYS = env_int("BACKOFFICE_CHART_DAYS", 30, minimum=1)
#: Access-log entries at most in one resident's access-history export (CSV/PDF).
BACKOFFICE_HISTORY_EXPORT_MAX_ROWS = env_int("BACKOFFICE_HISTORY_EXPORT_MAX_ROWS", 50_000, minimum=1)
# [jobs] long exports and imports run on the Celery worker (jobs/); their files live in the default (media) storage.
#: Hours a finished export's file is kept for its requester; then the beat task deletes it ("expired").
EXPORTS_KEEP_HOURS = env_int("EXPORTS_KEEP_HOURS", 24, minimum=1)
CELERY_BEAT_SCHEDULE["jobs-purge-expired"] = {
    "task": "jobs.tasks.purge_expired_jobs",
    "schedule": 15 * 60.0,
}
# [outbox] work after commit (outbox/): never fails the request, never lost, sent once
#: Days a sent task and a done side-effect mark are kept (then the drain forgets them).
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 7, minimum=1)
#: Seconds after which an e-mail marked "sending" by a task that never finished (its worker died)
#: is sent again: at least once. No more than the visibility timeout, so the redelivered task sends it.
OUTBOX_SENDING_RETRY_AFTER = env_int("OUTBOX_SENDING_RETRY_AFTER", 5 * 60, minimum=1)
if OUTBOX_SENDING_RETRY_AFTER > CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "OUTBOX_SENDING_RETRY_AFTER must not exceed CELERY_VISIBILITY_TIMEOUT: a redelivered task would skip its e-mail."
    )
CELERY_BEAT_SCHEDULE["outbox-drain"] = {
    "task": "outbox.tasks.drain",
    "schedule": 60.0,
    # A drain nobody ran in time is replaced by the next one.
    "options": {"expires": 60},
}
# [accounts: sign-in through the group's identity provider] (README "Sign-in through the group's identity provider";
# the linking and second-factor rules: accounts/external_signin.py)
INSTALLED_APPS += ["allauth.socialaccount", "allauth.socialaccount.providers.openid_connect"]
#: OpenID Connect (Pro Santé Connect, Entra ID, Keycloak...): off unless OIDC_ISSUER is set.
OIDC_ISSUER = env_str("OIDC_ISSUER", "", check=url("https", "http")).rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = env_secret("OIDC_CLIENT_SECRET")
OIDC_SCOPES = env_list("OIDC_SCOPES", ["openid", "profile", "email"])
#: The provider's name on the sign-in button ("Sign in with ...").
OIDC_NAME = env_str("OIDC_NAME", "OpenID Connect")
#: A claim compared with the staff member's HR identifier (StaffProfile.external_id) before the e-mail.
OIDC_LINK_CLAIM = env_str("OIDC_LINK_CLAIM", "")
#: amr values (RFC 8176) and acr values that count as the second factor: CareHub's is then not asked.
OIDC_SECOND_FACTOR_AMR = env_list("OIDC_SECOND_FACTOR_AMR", ["mfa", "otp", "hwk", "swk"])
OIDC_SECOND_FACTOR_ACR = env_list("OIDC_SECOND_FACTOR_ACR", [])
#: Asked for in the authorisation request (Pro Santé Connect needs one, e.g. eidas1 or eidas2).
OIDC_ACR_VALUES = env_str("OIDC_ACR_VALUES", "")
OIDC_PKCE = env_bool("OIDC_PKCE", True)
#: Some providers (Pro Santé Connect) answer userinfo as a signed JWT: read the ID token alone (OIDC_USERINFO=0).
OIDC_USERINFO = env_bool("OIDC_USERINFO", True)
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE).")
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False  # the button is a POST form with the CSRF token
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # linking is accounts/external_signin.py's
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("OIDC_TIMEOUT", 10, minimum=1)
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": OIDC_PKCE,
        "APPS": (
            [
                {
                    "provider_id": "idp",
                    "name": OIDC_NAME,
                    "client_id": OIDC_CLIENT_ID,
                    "secret": OIDC_CLIENT_SECRET,
                    "settings": {
                        "server_url": OIDC_ISSUER,
                        "scope": OIDC_SCOPES,
                        "fetch_userinfo": OIDC_USERINFO,
                        "auth_params": {"acr_values": OIDC_ACR_VALUES} if OIDC_ACR_VALUES else {},
                    },
                }
            ]
            if OIDC_ISSUER
            else []
        ),
    }
}


def _ldap_filter(value: str) -> str:
    if "{login}" not in value or not (value.startswith("(") and value.endswith(")")):
        raise ValueError("an LDAP filter holding {login}, such as (&(objectClass=person)(mail={login}))")
    return value


#: LDAP / Active Directory: the directory's password signs staff in (off unless LDAP_URL is set).
LDAP_URL = env_list("LDAP_URL", [], check=url("ldap", "ldaps"))
LDAP_BIND_DN = env_str("LDAP_BIND_DN", "")
LDAP_BIND_PASSWORD = env_secret("LDAP_BIND_PASSWORD")
LDAP_SEARCH_BASE = env_str("LDAP_SEARCH_BASE", "")
LDAP_USER_FILTER = env_str("LDAP_USER_FILTER", "(&(objectClass=person)(mail={login}))", check=_ldap_filter)
#: The attribute holding the e-mail address matched with the staff account's, and one matched with
#: its HR identifier (StaffProfile.external_id) first, if set (employeeNumber, employeeID...).
LDAP_EMAIL_ATTRIBUTE = env_str("LDAP_EMAIL_ATTRIBUTE", "mail")
LDAP_LINK_ATTRIBUTE = env_str("LDAP_LINK_ATTRIBUTE", "")
LDAP_START_TLS = env_bool("LDAP_START_TLS", False)
LDAP_TIMEOUT = env_int("LDAP_TIMEOUT", 5, minimum=1)
if LDAP_URL:
    if not LDAP_SEARCH_BASE:
        raise ImproperlyConfigured(
            "LDAP_URL needs LDAP_SEARCH_BASE (where the staff entries are, e.g. ou=people,dc=example,dc=org)."
        )
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "accounts.ldap.LDAPBackend"]
# django-python3-ldap's own names (accounts/ldap.py uses its connections: server pool, TLS, timeouts).
LDAP_AUTH_URL = LDAP_URL
LDAP_AUTH_USE_TLS = LDAP_START_TLS
LDAP_AUTH_SEARCH_BASE = LDAP_SEARCH_BASE
LDAP_AUTH_CONNECTION_USERNAME = LDAP_BIND_DN or None
LDAP_AUTH_CONNECTION_PASSWORD = LDAP_BIND_PASSWORD or None
LDAP_AUTH_FORMAT_USERNAME = "accounts.ldap.bind_name"
LDAP_AUTH_CONNECT_TIMEOUT = LDAP_AUTH_RECEIVE_TIMEOUT = LDAP_TIMEOUT
# [accounts: end of the identity provider block]

# [fhirapi] the FHIR R4 API (fhirapi/, README "FHIR API")
#: The group's name, as its Organization resource gives it.
GROUP_NAME = env_str("GROUP_NAME", "CareHub")
#: Searchset pages: this many entries unless the client asks fewer (``_count``), never more than the maximum.
FHIR_PAGE_SIZE = 20
FHIR_MAX_PAGE_SIZE = 100
