"""Settings of the test suite (pyproject names it): production settings, then what tests need.

Subprocesses that tests start (Daphne nodes, a Celery worker) name this module in
DJANGO_SETTINGS_MODULE when they must share the test process's queue and prefixes;
the e2e suite names carehub.settings on purpose, to run production in embedded mode.
"""

import os

# Production mode (DATABASE_URL and REDIS_URL set) refuses to start without a key; the test process
# and the nodes it starts share this one (not a secret: it signs nothing outside the suite).
os.environ.setdefault("SECRET_KEY", "tests-only-key-never-used-outside-the-suite-0123456789abcdef")

from carehub.env import env_bool, env_str  # noqa: E402
from carehub.settings import *  # noqa: E402, F403
from carehub.settings import CACHES, CHANNEL_LAYERS, REDIS_URL, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory; a worker that must reach a real mail server (tests/faults/) is given another backend.
EMAIL_BACKEND = env_str("TESTS_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Eager by default; the tests with a real worker set CELERY_TASK_ALWAYS_EAGER=0 for it.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
# Tests drive the scheduler themselves (tests/carehub/test_scheduler.py).
EMBEDDED_SCHEDULER = False
# The suite's databases are made and dropped per run: their checkpoints never go beside the dev database.
AUDIT_CHECKPOINT_FILE = env_str("AUDIT_CHECKPOINT_FILE", "")
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
# No collectstatic before the suite: templates resolve static names as they are.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

# Parallel test processes (pytest-xdist), and the Celery workers and Daphne nodes
# they start, share one Redis: each keeps its own cache keys, channel groups and
# queue, so that one process's tests never see another's data.
_worker = env_str("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _worker:
    _suffix = f"-test-{_worker}"
    CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": CACHES["default"]["KEY_PREFIX"] + _suffix}}
    _layer = CHANNEL_LAYERS["default"]
    CHANNEL_LAYERS = {
        "default": {**_layer, "CONFIG": {**_layer["CONFIG"], "prefix": _layer["CONFIG"]["prefix"] + _suffix}}
    }
    CELERY_TASK_DEFAULT_QUEUE = "carehub" + _suffix
