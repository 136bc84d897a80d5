from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _tune_sqlite(sender, connection, **kwargs):
    # synchronous does not persist in the file: set on every connection, as Latchkey's
    # Storage/SqliteConnectionTuning.cs does (busy_timeout: Django's default "timeout" of 5 s is the same).
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA synchronous=NORMAL")


class BenchSsoConfig(AppConfig):
    name = "benchsso"

    def ready(self):
        connection_created.connect(_tune_sqlite)
