"""A minimal Django project serving django-simple-sso 1.x's server under /server/ for bench/run.sh.

Production-like where it matters for speed: DEBUG off, no request logging, SQLite in a file, the
default (database) session engine and password hashers of the installed Django.
"""
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
# One key for setup_peer.py and every gunicorn worker: the session data and the session's auth hash are
# signed with it, so a key per process would sign the benchmark user out (bench/run.sh generates one per run).
SECRET_KEY = os.environ["BENCH_DJANGO_SECRET"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# django.contrib.admin (and the messages app it needs): simple_sso's Server() registers its Consumer admin
# when it is constructed. No admin URL is mounted, so it costs nothing per request.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "simple_sso.sso_server",
    "benchsso",  # apps.py: SQLite synchronous=NORMAL per connection
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
# The middleware stack is deliberately smaller than startproject's (no CSRF, messages, security or
# clickjacking middleware: the simple-sso views need none of them), which only makes the peer faster;
# the admin's checks for the middleware and context processors it would use are silenced for that reason.
SILENCED_SYSTEM_CHECKS = ["admin.E402", "admin.E404", "admin.E409", "admin.W411"]
ROOT_URLCONF = "benchsso.urls"
WSGI_APPLICATION = "benchsso.wsgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BENCH_DJANGO_DB", os.path.join(BASE_DIR, "bench.sqlite3"))}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True, "OPTIONS": {}}]
LOGGING = {"version": 1, "disable_existing_loggers": True}
