"""A minimal Django project serving django-simple-sso 1.x's server under /server/ for bench/run.sh.

Production-like where it matters for speed: DEBUG off, no request logging, SQLite in a file, the
default (database) session engine and password hashers of the installed Django.
"""
import os
import secrets

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = os.environ.get("BENCH_DJANGO_SECRET", secrets.token_urlsafe(32))
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "simple_sso.sso_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "benchsso.urls"
WSGI_APPLICATION = "benchsso.wsgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BENCH_DJANGO_DB", os.path.join(BASE_DIR, "bench.sqlite3"))}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True, "OPTIONS": {}}]
LOGGING = {"version": 1, "disable_existing_loggers": True}
