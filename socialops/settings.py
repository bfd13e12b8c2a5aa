"""SocialOps settings. Everything that differs between machines comes from the environment.

The embedded default (nothing set) is SQLite in ``var/`` and Celery's filesystem broker, so
``make run`` works with nothing installed but Python. ``DATABASE_URL`` and ``REDIS_URL`` switch
to PostgreSQL and Redis, as production and CI use.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import dev_secret, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SOCIALOPS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)
# SOCIALOPS_ENV=production turns every "helpful" default off and refuses DEBUG.
PRODUCTION = env_str("SOCIALOPS_ENV", "development") == "production"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when SOCIALOPS_ENV=production.")

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off.")
    SECRET_KEY = dev_secret(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The address people and networks reach us at: links we hand out (sandbox posts, invitations, OAuth
# callbacks, signed media) start with it. Unset, it is where `make run` serves (the Procfile's
# SOCIALOPS_HOST and SOCIALOPS_PORT, default http://127.0.0.1:8000; never PORT, which honcho sets per
# process); a server listening on every interface needs SITE_URL set.
_RUN_HOST = env_str("SOCIALOPS_HOST", "127.0.0.1")
SITE_URL = env_str(
    "SITE_URL",
    f"http://{'127.0.0.1' if _RUN_HOST in ('0.0.0.0', '::', '[::]') else _RUN_HOST}:{env_int('SOCIALOPS_PORT', 8000)}",  # noqa: S104
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # A per-person index of sessions (user -> session keys): offboarding ends every device's session
    # without decoding the session table (accounts.signals indexes every sign-in).
    "allauth.usersessions",
    "axes",
    # SocialOps apps: each owns its models and exposes services.py / selectors.py.
    "socialops.audit",  # the kernel's audit log, below every app (socialops/audit/__init__.py)
    "socialops.idempotency",  # Idempotency-Key for API writes (socialops/idempotency/services.py)
    "socialops.webhooks",  # the kernel's outgoing webhooks, below every app (socialops/webhooks/__init__.py)
    "socialops.sharing",  # the kernel's share links (calendar, dashboards), below every app (socialops/sharing/__init__.py)
    "accounts",
    "governance",
    "channels_registry",
    "publishing",
    "approvals",
    "inbox",
    "analytics",
    "home",  # the start page: reads every app above, so it sits on top (home/__init__.py)
]

MIDDLEWARE = [
    "socialops.request_id.RequestIdMiddleware",  # first: every response names its request
    "django.middleware.security.SecurityMiddleware",
    "socialops.middleware.ApiNoStoreMiddleware",
    "socialops.throttling.RateLimitHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # No i18n_patterns, so the locale can be chosen after the user is known.
    "django.middleware.locale.LocaleMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "socialops.audit.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "socialops.tenancy.TenancyMiddleware",
    # Axes last: it turns a lockout into a clear page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "socialops.urls"
WSGI_APPLICATION = "socialops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.shell",
                "socialops.devmail.mail_catcher_link",
            ],
            # {{ at|local_datetime }} and its kin in every template: the one date rule (socialops/dates.py)
            "builtins": ["socialops.templatetags.dates"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_env = environ.Env()
VAR_DIR.mkdir(parents=True, exist_ok=True)
_database_url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": _env.db_url_config(_database_url)}
if DATABASES["default"].get("ENGINE") not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    raise ImproperlyConfigured(
        "DATABASE_URL must be postgres://user:pass@host:5432/name or sqlite:////path/db.sqlite3 "
        "(leave it unset or empty for the embedded SQLite database)."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web + worker + beat share one file: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock at BEGIN (no upgrade deadlocks), and the busy
    # timeout makes a waiting writer queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# An optional read replica (PostgreSQL streaming replica) for the dashboards' reads: only code
# inside ``socialops.db_router.replica_reads`` reads there, never inside a primary transaction.
_replica_url = env_str("DATABASE_REPLICA_URL", "") or ""
if _replica_url:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL too.")
    DATABASES["replica"] = _env.db_url_config(_replica_url)
    if DATABASES["replica"].get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must be postgres://user:pass@host:5432/name (a replica of "
            "DATABASE_URL's database)."
        )
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 60))
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # tests (and `manage.py test`) read the primary: no second test database to keep in step
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["socialops.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "") or ""
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared by web, worker and beat (unlike the per-process local-memory cache).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "celery" / "broker"
    (_broker_dir).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The kernel's own task (apps' tasks.py are found by autodiscovery; socialops is not an app).
CELERY_IMPORTS = ["socialops.heartbeat"]
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "socialops.heartbeat.record_heartbeat", "schedule": 30.0},
}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# "mandatory": a sign-in with an address that is not verified (one added under Settings → E-mail
# addresses, say) sends a verification link instead of signing in; invited people's addresses are
# verified by the invitation itself (accounts.services.register_invited_user).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SocialOps"
# TOTP secrets and recovery-code seeds are encrypted at rest with CHANNEL_CREDENTIALS_KEYS.
MFA_ADAPTER = "accounts.adapters.MFAAdapter"

# Brute-force lockout: 5 failures for one account from one address locks it for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False

# Sessions: an idle time-out and an absolute one (enforced by SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 120) * 60
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT_HOURS", 12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

INVITATION_TTL = timedelta(days=env_int("INVITATION_TTL_DAYS", 7))

# --- Internationalization -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language (socialops/formats/<lang>/formats.py), shown through socialops/dates.py.
FORMAT_MODULE_PATH = ["socialops.formats"]
LANGUAGE_COOKIE_NAME = "socialops_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {
        "BACKEND": env_str("MEDIA_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- E-mail ---------------------------------------------------------------------------------
# Development (DEBUG): the mail catcher keeps every e-mail in EMAIL_FILE_PATH and lists it at /dev/mail/
# (socialops/devmail.py), printing one line per e-mail on the console of the process that sent it.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "socialops.devmail.MailCatcherBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
if EMAIL_BACKEND == "socialops.devmail.MailCatcherBackend" and not DEBUG:
    raise ImproperlyConfigured(
        "The mail catcher keeps e-mails on this machine: it is for DEBUG=1 only."
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int(
    "EMAIL_TIMEOUT", 30
)  # seconds; a hung SMTP server must not outlive the outbox lease
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SocialOps <no-reply@socialops.local>")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.OrganizationTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["socialops.permissions.HasCapability"],
    "DEFAULT_PAGINATION_CLASS": "socialops.pagination.CursorPagination",
    "DEFAULT_SCHEMA_CLASS": "socialops.schema.AutoSchema",
    "EXCEPTION_HANDLER": "socialops.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
    # socialops/throttling.py: per token and per address (rates in API_THROTTLE_RATES below); failed
    # token authentications are limited per address by the authentication class itself.
    "DEFAULT_THROTTLE_CLASSES": [
        "socialops.throttling.TokenRateThrottle",
        "socialops.throttling.AddressRateThrottle",
    ],
    # Proxies in front of us that append the client's address to X-Forwarded-For: the address
    # throttle trusts only the entry they added (0: REMOTE_ADDR; never the whole client-sent header).
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0),
}


# --- API throttling (socialops/throttling.py) -------------------------------------------------------
# Fixed windows counted in CACHES["default"] (Redis or the file cache in var/: shared by every web
# process). A refused request gets 429 and Retry-After. Rates: "<number>/<second|minute|hour|day>".
def _rate(name: str, default: str) -> str:
    value = (env_str(name, default) or "").strip()
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must be a rate like 300/minute; got {value!r}")
    return value


API_THROTTLE_RATES = {
    "token": _rate("API_RATE_PER_TOKEN", "300/minute"),
    "address": _rate("API_RATE_PER_ADDRESS", "600/minute"),
    "auth_failure": _rate("API_AUTH_FAILURES_PER_ADDRESS", "10/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SocialOps API",
    "DESCRIPTION": "Every call acts for the one organization its token belongs to.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Operation ids (and so a generated client's function names) start at the resource, not at
    # "v1": ``posts_create``, ``calendar_events_list``.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One tag per resource; every viewset names its tag (tests/test_api_schema_is_documented.py).
    "TAGS": [
        {
            "name": "posts",
            "description": "Posts: one text for several channels, drafted, changed, deleted.",
        },
        {
            "name": "variants",
            "description": "A post's variant per channel: its own text, format and publishing state.",
        },
        {
            "name": "media",
            "description": "The media library: upload images and videos, alt text, focal point, renditions.",
        },
        {
            "name": "scheduling",
            "description": "Schedule, publish now, cancel, unschedule and retry posts; publishing freezes.",
        },
        {
            "name": "calendar",
            "description": "The editorial calendar: events of a range, moving posts, notes, cadence targets, holidays, share links.",
        },
        {
            "name": "campaigns",
            "description": "Campaigns: named date ranges with UTM parameters that posts belong to.",
        },
        {
            "name": "approvals",
            "description": "Approval workflows, approval requests and their decisions, comments on posts.",
        },
        {
            "name": "channels",
            "description": "Connected social accounts, channel groups and access grants to restricted channels.",
        },
        {"name": "members", "description": "The organization's members and invitations."},
        {
            "name": "access reviews",
            "description": "Access reviews: team leads confirm or remove the channel access their "
            "people hold; removals apply at once and the closed review is kept as evidence.",
        },
        {
            "name": "offboarding",
            "description": "Offboarding a person: the preview of every change, the run, and its stored reports.",
        },
        {
            "name": "teams",
            "description": "Teams (a tree) that channels, posts and members belong to.",
        },
        {
            "name": "service accounts",
            "description": "Service accounts (machine users of the organization) and their scoped tokens.",
        },
        {
            "name": "webhooks",
            "description": "Outgoing webhook endpoints, their deliveries and secrets (Standard Webhooks signatures).",
        },
        {"name": "notifications", "description": "The token owner's notifications."},
        {
            "name": "inbox",
            "description": "Inbox conversations, their items and the replies sent from here.",
        },
        {
            "name": "analytics",
            "description": "Analytics: the organization dashboard's figures, from the daily rollups.",
        },
        {"name": "organization", "description": "The organization the token belongs to."},
        {
            "name": "audit",
            "description": "The audit log: who changed what, when, from where and how (read-only).",
        },
        {
            "name": "governance",
            "description": "Governance: coverage gaps, the channel inventory and retiring channels.",
        },
    ],
    # Swagger UI is served from our own static files (no CDN; the CSP allows only 'self').
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # every operation documents the one error shape (socialops/schema.py, codes in socialops/errors.py)
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "socialops.schema.add_error_responses",
        "socialops.schema.describe_fields",  # every field described (socialops/schema_glossary.py)
    ],
    # Several models have a "status"; name each enum so the schema is unambiguous (and warning-free).
    "ENUM_NAME_OVERRIDES": {
        "ChannelStatusEnum": "channels_registry.models.Channel.Status",
        "PostStatusEnum": "publishing.models.Post.Status",
        "VariantStatusEnum": "publishing.models.PostVariant.Status",
        "ConversationStatusEnum": "inbox.models.Conversation.Status",
        "ConversationKindEnum": "inbox.models.Conversation.Kind",
        "ConversationItemKindEnum": "inbox.models.Item.Kind",
        "ConversationReplyStatusEnum": "inbox.models.Reply.Status",
    },
}

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
# The __Host- prefix makes browsers accept these cookies only over HTTPS, with Path=/ and without
# Domain: no sibling sub-domain and no plain-HTTP attacker can plant or overwrite them. Browsers
# refuse such a cookie unless it is Secure, so plain-HTTP development keeps the usual names.
if SESSION_COOKIE_SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
if CSRF_COOKIE_SECURE:
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# django-csp 4: no inline scripts or styles; everything is served from 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Request paths that are bearer secrets (approval, share, media, invitation links; OAuth codes)
    # are logged as a hash on every handler (socialops/log_redaction.py; gunicorn: gunicorn.conf.py).
    "filters": {
        "redact_secrets": {"()": "socialops.log_redaction.RedactSecretsFilter"},
        "request_id": {"()": "socialops.request_id.RequestIdLogFilter"},
    },
    "formatters": {
        # every line names the request it belongs to (the X-Request-ID header; "-" outside one)
        "app": {"format": "%(levelname)s %(name)s [request %(request_id)s] %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "app",
            "filters": ["redact_secrets", "request_id"],
        },
        # runserver's request log (Django's own handler, plus the filter)
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx logs full URLs at INFO; OAuth token exchanges carry secrets in query strings.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # Django's default adds an unfiltered console handler here; the root's is enough.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# --- Networks ---------------------------------------------------------------------------------
# Outbound HTTP refuses loopback and private addresses; only the test fakes need this on.
OUTBOUND_ALLOW_LOOPBACK = env_bool("OUTBOUND_ALLOW_LOOPBACK", False)
# A media file fetched by URL (POST /api/v1/media/ {"url"}) must arrive within this many seconds.
MEDIA_FETCH_TIMEOUT = env_int("MEDIA_FETCH_TIMEOUT", 30)
# App credentials per network (client id / secret; URL overrides for tests and self-hosted APIs).
SOCIALOPS_PROVIDERS: dict[str, dict] = {
    key: {
        "client_id": env_str(f"{key.upper()}_CLIENT_ID", "") or "",
        "client_secret": env_secret(f"{key.upper()}_CLIENT_SECRET", "") or "",
    }
    for key in ("x", "facebook", "instagram", "linkedin", "bluesky", "mastodon")
}
META_GRAPH_VERSION = env_str("META_GRAPH_VERSION", "v23.0")

# --- Outgoing webhooks (socialops/webhooks/delivery.py) --------------------------------------------
# Seconds one delivery may take (connect, send, answer); slower is a failed attempt.
WEBHOOK_TIMEOUT = float(env_int("WEBHOOK_TIMEOUT_SECONDS", 10))
# Waits (seconds) after the 1st, 2nd, … failed attempt; after the last one the delivery is given
# up. They add up to about a day (23.7 h), as the Standard Webhooks retry advice has it.
WEBHOOK_BACKOFF = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800]
# An endpoint is disabled (and its organization's admins told) once it has failed this many
# times in a row and not once succeeded for this long.
WEBHOOK_DISABLE_MIN_FAILURES = env_int("WEBHOOK_DISABLE_MIN_FAILURES", 10)
WEBHOOK_DISABLE_AFTER = timedelta(hours=env_int("WEBHOOK_DISABLE_AFTER_HOURS", 24))
# An endpoint that answers again after this many failures in a row was down: its deliveries that
# wait for a retry are sent now instead of after their backoff.
WEBHOOK_RECOVERY_MIN_FAILURES = env_int("WEBHOOK_RECOVERY_MIN_FAILURES", 5)
# After a secret rotation the previous secret signs too, for this long.
WEBHOOK_SECRET_OVERLAP = timedelta(hours=env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24))
# Characters of an endpoint's answer kept in the delivery log.
WEBHOOK_RESPONSE_SNIPPET = 1000
# Deliveries one worker sends at once (threads), and the beat sweep's batch and time budget.
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 32)
# ... of which one endpoint gets at most this many (connections kept alive, each sending in turn).
WEBHOOK_CONCURRENCY_PER_ENDPOINT = env_int("WEBHOOK_CONCURRENCY_PER_ENDPOINT", 8)
WEBHOOK_SWEEP_LIMIT = 1000
WEBHOOK_SWEEP_SECONDS = 20.0
# Days the delivery log keeps delivered and given-up deliveries (pending ones stay).
WEBHOOK_LOG_RETENTION_DAYS = env_int("WEBHOOK_LOG_RETENTION_DAYS", 30)
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {
    "task": "socialops.webhooks.tasks.sweep_webhooks",
    "schedule": 5.0,
}
CELERY_BEAT_SCHEDULE["webhooks-purge"] = {
    "task": "socialops.webhooks.tasks.purge_old_webhook_deliveries",
    "schedule": 24 * 3600.0,
}

# --- Channel credentials ------------------------------------------------------------------------
# Comma-separated Fernet keys: the first encrypts, every one decrypts (rotate by putting a new key
# first, running ``manage.py rotate_channel_keys``, then dropping the old one).
CHANNEL_CREDENTIALS_KEYS = [
    k.strip() for k in (env_secret("CHANNEL_CREDENTIALS_KEYS", "") or "").split(",") if k.strip()
]
if not CHANNEL_CREDENTIALS_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CHANNEL_CREDENTIALS_KEYS (or CHANNEL_CREDENTIALS_KEYS_FILE) is required when DEBUG is off."
        )
    import base64 as _b64
    import hashlib as _hashlib

    # Development only: a Fernet key derived from a random secret kept in var/.
    CHANNEL_CREDENTIALS_KEYS = [
        _b64.urlsafe_b64encode(
            _hashlib.sha256(dev_secret(VAR_DIR / "channel_credentials_key").encode()).digest()
        ).decode()
    ]
CELERY_BEAT_SCHEDULE.update(
    {
        "channels-refresh-expiring": {
            "task": "channels_registry.tasks.refresh_expiring_credentials",
            "schedule": 600.0,
        },
        "channels-health-check": {
            "task": "channels_registry.tasks.check_channels_health",
            "schedule": 6 * 3600.0,
        },
        "sandbox-audience": {
            "task": "channels_registry.tasks.simulate_sandbox_audience",
            "schedule": 60.0,
        },
        # pushes whose processing task was lost (channels_registry/services/webhooks.py)
        "webhooks-resume-unprocessed": {
            "task": "channels_registry.tasks.resume_unprocessed_webhooks",
            "schedule": 60.0,
        },
    }
)

# --- Publishing scheduler (publishing/scheduler/dispatch.py) --------------------------------------
# Beat ticks the dispatcher every 2 s; every wait is a row (due_at / next_attempt_at). The only
# countdown is the lookahead (a variant claimed up to one tick early waits ≤ 2 s), far below the
# broker's visibility timeout. A claim's lease is short: a worker must pick the claim up within
# it, and renews it every third of it while it works, so a claim whose message was lost (a broker
# restarted empty) or whose worker died is taken back within one lease (never sent: claimed
# again; maybe sent: settled by asking the network). At most PUBLISHING_MAX_WAITING claims wait
# for a worker at once (the backlog stays in the database, not in the broker).
PUBLISHING_LEASE_SECONDS = env_int("PUBLISHING_LEASE_SECONDS", 30)
PUBLISHING_MAX_WAITING = env_int("PUBLISHING_MAX_WAITING", 500)
PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS = 2.0
CELERY_BEAT_SCHEDULE.update(
    {
        # a tick nobody ran within 10 s is dropped (the next one does the same work)
        "publishing-dispatch": {
            "task": "publishing.tasks.dispatch",
            "schedule": 2.0,
            "options": {"expires": 10},
        },
    }
)

# --- Notifications (accounts/notifications.py) ----------------------------------------------------
# Read notifications (and the dedupe markers of reminders) older than this are deleted nightly.
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 90)
CELERY_BEAT_SCHEDULE.update(
    {
        "idempotency-keys-purge": {
            "task": "socialops.idempotency.tasks.purge_expired_keys",
            "schedule": 3600.0,
        },
        "notifications-purge-read": {
            "task": "accounts.tasks.purge_old_notifications",
            "schedule": 24 * 3600.0,
        },
    }
)

# --- Inbox polling (inbox/services/polling.py) ----------------------------------------------------
# Every 15 s the sweep enqueues the channels whose inbox is due; each is polled every
# INBOX_POLL_SECONDS, later after a rate limit or a failure (the network's retry-after, else doubling).
INBOX_POLL_SECONDS = env_int("INBOX_POLL_SECONDS", 60)
CELERY_BEAT_SCHEDULE.update(
    {
        "inbox-poll-sweep": {
            "task": "inbox.tasks.poll_due_inboxes",
            "schedule": 15.0,
            "options": {"expires": 14},
        },
        # snoozed conversations whose time has passed come back open
        "inbox-wake-snoozed": {
            "task": "inbox.tasks.wake_snoozed_conversations",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
        # answers overdue: the team lead (else the managers) is told, once per breach
        "inbox-sla-breaches": {
            "task": "inbox.tasks.notify_sla_breaches",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
    }
)

# --- Analytics metrics fetch (analytics/services.py) -------------------------------------------------
# Every 10 min the sweep enqueues the channels whose metrics are due; each channel is fetched every
# ANALYTICS_FETCH_SECONDS (daily: account figures, and its posts' daily in their first 30 days, then
# weekly), later after a rate limit or a failure (the network's retry-after, else doubling waits).
ANALYTICS_FETCH_SECONDS = env_int("ANALYTICS_FETCH_SECONDS", 24 * 3600)
# Metrics (raw rows and daily rollups) are kept this many days; a daily task deletes older ones and
# a dashboard range that starts before the limit is refused with the first day still kept.
ANALYTICS_RETENTION_DAYS = env_int("ANALYTICS_RETENTION_DAYS", 3 * 365 + 1)
CELERY_BEAT_SCHEDULE.update(
    {
        "analytics-fetch-sweep": {
            "task": "analytics.tasks.fetch_due_metrics",
            "schedule": 600.0,
            "options": {"expires": 540},
        },
        "analytics-retention-purge": {
            "task": "analytics.tasks.purge_old_metrics",
            "schedule": 24 * 3600.0,
            "options": {"expires": 3600},
        },
        # scheduled reports (analytics/reports): due schedules become runs, lost runs are resumed
        "analytics-reports-sweep": {
            "task": "analytics.reports.tasks.send_due_reports",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
    }
)

# --- Approvals SLA sweep (approvals/tasks.py) ------------------------------------------------------
# Every minute: remind approvers before a stage's SLA runs out, escalate to the backup when it has.
CELERY_BEAT_SCHEDULE.update(
    {
        "approvals-sla-sweep": {
            "task": "approvals.tasks.sweep_approval_slas",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
    }
)

# --- Notification e-mail outbox (accounts/notifications.py) ----------------------------------------
# Every minute: send outbox e-mails that are due and unsent (retries after their backoff, a message
# lost or never enqueued, a claim whose worker died). Waits are rows, never countdowns.
CELERY_BEAT_SCHEDULE.update(
    {
        "notification-emails-sweep": {
            "task": "accounts.tasks.sweep_notification_emails",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
    }
)

# --- Audit chain key (socialops/audit/chain.py) ---------------------------------------------------
# The audit log's chain is an HMAC under a key kept outside the database. Comma-separated keys:
# the first signs new entries, every one verifies (entries record their key's id); rotate by
# putting a new key first and keeping the old ones. Each key: at least 32 characters.
AUDIT_CHAIN_KEYS = [
    k.strip() for k in (env_secret("AUDIT_CHAIN_KEY", "") or "").split(",") if k.strip()
]
if not AUDIT_CHAIN_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_CHAIN_KEY (or AUDIT_CHAIN_KEY_FILE) is required when DEBUG is off."
        )
    AUDIT_CHAIN_KEYS = [dev_secret(VAR_DIR / "audit_chain_key")]  # development only
if any(len(k) < 32 for k in AUDIT_CHAIN_KEYS):
    raise ImproperlyConfigured(
        "Each AUDIT_CHAIN_KEY key must be at least 32 characters (e.g. secrets.token_urlsafe(48))."
    )

# --- Audit log retention ------------------------------------------------------------------------
# Once a day: delete audit entries past each organization's retention (default 7 years), behind a
# sealed checkpoint so the rest of the chain still verifies (socialops/audit/tasks.py).
CELERY_BEAT_SCHEDULE["audit-purge"] = {
    "task": "socialops.audit.tasks.purge_expired_entries",
    "schedule": 24 * 3600.0,
}

# Access review reminders (governance/access_review/tasks.py): hourly, each reviewer told at most
# once a day (the notification's dedupe key names the day), from 3 days before the due date.
CELERY_BEAT_SCHEDULE["access-review-reminders"] = {
    "task": "governance.access_review.tasks.remind_access_reviewers",
    "schedule": 3600.0,
}
