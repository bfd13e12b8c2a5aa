"""gunicorn's logger with bearer secrets hashed (see ``socialops.log_redaction``).

gunicorn writes its access log (``"GET /a/<token>/ HTTP/1.1"``, the referrer) and its error log
("Error handling request /a/<token>/") through its own loggers, outside ``settings.LOGGING``;
``gunicorn.conf.py`` names this class as ``logger_class``.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .log_redaction import RedactSecretsFilter


class GunicornLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # On the loggers themselves: gunicorn logs to them directly, and they outlive handlers
        # that a reopen (SIGUSR1) replaces.
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactSecretsFilter) for f in log.filters):
                log.addFilter(RedactSecretsFilter())
