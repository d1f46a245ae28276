"""`gunicorn wsgi:app`: the panel as a WSGI app (counting metrics into the shared folder, like `mailflow web`)."""

from app import create_app
from app.metrics.multiprocess import enable_multiprocess

app = create_app()
enable_multiprocess(app)
