import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
application = get_wsgi_application()

from carehub import scheduler  # noqa: E402

scheduler.start()  # embedded default only: the periodic jobs that Celery beat runs in production
