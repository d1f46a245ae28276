"""`gunicorn wsgi:app`: the panel as a WSGI app."""

from app import create_app

app = create_app()
