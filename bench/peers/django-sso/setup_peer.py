"""Prepares the django-simple-sso peer: migrates, creates the benchmark user and one consumer, and signs
the user in. Prints "<public_key> <private_key> <sessionid>" for bench/run.sh.

Usage (PYTHONPATH must hold this folder and the django-simple-sso source):
  DJANGO_SETTINGS_MODULE=benchsso.settings python3 setup_peer.py USER PASSWORD REDIRECT_ORIGIN
"""
import sys

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from simple_sso.sso_server.models import Consumer  # noqa: E402

user_name, password, _origin = sys.argv[1:4]
call_command("migrate", verbosity=0, interactive=False)
# The same SQLite configuration as Latchkey's (WAL, synchronous=NORMAL: see benchsso/apps.py). WAL persists in
# the file, so it is set once here, before gunicorn starts.
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode=WAL")
user = get_user_model().objects.create_user(user_name, f"{user_name}@example.test", password)
consumer = Consumer.objects.create(name="bench-app")
client = Client()
client.force_login(user)
print(consumer.public_key, consumer.private_key, client.cookies[settings.SESSION_COOKIE_NAME].value)
