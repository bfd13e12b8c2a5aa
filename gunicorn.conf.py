"""gunicorn settings for the web process (Dockerfile, docker-compose.yml).

The access log goes to stdout; its lines name request paths and referrers, some of which are
bearer secrets (approval, share, media and invitation links): ``GunicornLogger`` logs their hash.
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 - inside the container
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
logger_class = "socialops.gunicorn_logger.GunicornLogger"


def post_worker_init(worker):
    """Once a worker has loaded the app, its objects (modules, URL patterns, settings) leave the
    garbage collector's sight (``gc.freeze``): a full collection, every few requests, otherwise
    scans them all; it added ~130 ms to one request in twenty on the analytics dashboard
    (``bench/analytics.py`` serves its requests the same way)."""
    gc.freeze()
