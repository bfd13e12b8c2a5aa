"""gunicorn settings for the web process (Dockerfile, docker-compose.yml).

The access log goes to stdout; its lines name request paths and referrers, some of which are
bearer secrets (approval, share, media and invitation links): ``GunicornLogger`` logs their hash.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 - inside the container
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
logger_class = "socialops.gunicorn_logger.GunicornLogger"
