"""The WSGI entry point: `gunicorn app:app` (the only module that builds an app at import)."""

from ivr import create_app

app = create_app()
