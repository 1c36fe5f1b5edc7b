"""Settings shared by every settings module: every value comes from the environment.

Unset means the embedded default (one process, SQLite file, in-memory channel layer).
`MONGO_URI` selects MongoDB, `REDIS_URL` the Redis channel layer and cache. Run the
server with `production` and the tests with `test`; this module on its own checks nothing.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

from attendance_project.databases import tune_sql_database
from attendance_project.secrets import derived_secret_key
from core.security_headers import CONTENT_SECURITY_POLICY_DIRECTIVES

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean flag such as DEBUG=1 / DEBUG=true."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEFAULT_JWT_SECRET = "insecure-development-secret-change-me"

DEBUG = env_bool("DEBUG", default=False)

JWT_SECRET = os.environ.get("JWT_SECRET") or DEFAULT_JWT_SECRET
# Django's own key (sessions, CSRF, password reset) is separate from the token key.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or derived_secret_key(JWT_SECRET)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

MONGO_URI = os.environ.get("MONGO_URI", "")
# MONGO_OFFLINE=1 with MONGO_URI: MongoDB's models and migration modules without a server
# (the dummy engine), so that `makemigrations` can write the MongoDB migration set.
MONGO_OFFLINE = env_bool("MONGO_OFFLINE")
REDIS_URL = os.environ.get("REDIS_URL", "")
USE_MONGODB = bool(MONGO_URI)

if USE_MONGODB:
    _django_apps = [
        "attendance_project.mongo_apps.MongoAdminConfig",
        "attendance_project.mongo_apps.MongoAuthConfig",
        "attendance_project.mongo_apps.MongoContentTypesConfig",
    ]
else:
    _django_apps = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
    ]

INSTALLED_APPS = [
    "daphne",
    *_django_apps,
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "accounts",
    "classes",
    "attendance",
    "reports",
    "live",
]

MIDDLEWARE = [
    "core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.security_headers.SecurityHeadersMiddleware",
    "core.middleware.JsonErrorMiddleware",
]

ROOT_URLCONF = "attendance_project.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "attendance_project.wsgi.application"
ASGI_APPLICATION = "attendance_project.asgi.application"

# Database ---------------------------------------------------------------------------


def mongo_uri_database(uri: str) -> str:
    """Return the database a mongodb:// or mongodb+srv:// URI names in its path, or ''."""
    rest = uri.split("://", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    return unquote(path.split("?", 1)[0])


if USE_MONGODB:
    # Named here rather than left to the backend, which parses the URI again (a DNS query
    # for mongodb+srv://) each time it builds a connection handler.
    MONGO_DB_NAME = os.environ.get("MONGO_DB_NAME") or mongo_uri_database(MONGO_URI)
    if not MONGO_DB_NAME:
        raise ImproperlyConfigured(
            "MONGO_URI names no database: give it a path such as "
            "mongodb://mongo:27017/attendance?replicaSet=rs0, or set MONGO_DB_NAME."
        )
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.dummy" if MONGO_OFFLINE else "django_mongodb_backend",
            "HOST": MONGO_URI,
            "NAME": MONGO_DB_NAME,
        }
    }
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    # MongoDB cannot index Lower("email"); the plain unique index on the stored,
    # lower-cased email (User.save() normalizes it) is what keeps emails unique there.
    SILENCED_SYSTEM_CHECKS = ["models.W044"]
    MIGRATION_MODULES = {
        app: f"mongo_migrations.{app}"
        for app in ("admin", "auth", "contenttypes", "sessions", "accounts", "classes", "attendance")
    }
elif os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": tune_sql_database(dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60))}
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
else:
    _sqlite_path = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
    DATABASES = {"default": tune_sql_database({"ENGINE": "django.db.backends.sqlite3", "NAME": _sqlite_path})}
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Accounts and passwords --------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "accounts.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Every page applies these; POST /auth/signup keeps the contract's 6+ characters unless
# PASSWORD_POLICY=strict (README, "Security").
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_POLICY = os.environ.get("PASSWORD_POLICY", "contract")
if PASSWORD_POLICY not in {"contract", "strict"}:
    raise ImproperlyConfigured("PASSWORD_POLICY must be 'contract' or 'strict'.")
LOGIN_URL = "/"
LOGIN_REDIRECT_URL = "/app/"
LOGOUT_REDIRECT_URL = "/"

LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", str(15 * 60)))
LOGIN_CLIENT_FAILURE_LIMIT = int(os.environ.get("LOGIN_CLIENT_FAILURE_LIMIT", "30"))
SIGNUP_CLIENT_LIMIT = int(os.environ.get("SIGNUP_CLIENT_LIMIT", "500"))
SIGNUP_CLIENT_WINDOW_SECONDS = int(os.environ.get("SIGNUP_CLIENT_WINDOW_SECONDS", str(60 * 60)))
# Wrong class join codes: per student account, and per client address over any accounts.
JOIN_FAILURE_LIMIT = int(os.environ.get("JOIN_FAILURE_LIMIT", "10"))
JOIN_CLIENT_FAILURE_LIMIT = int(os.environ.get("JOIN_CLIENT_FAILURE_LIMIT", "50"))
JOIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("JOIN_FAILURE_WINDOW_SECONDS", str(15 * 60)))
# Reverse proxies whose X-Forwarded-For names the client (addresses or networks).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# Email and password reset ------------------------------------------------------------


def email_settings(url: str, *, debug: bool) -> dict:
    """Django's EMAIL_* settings from one EMAIL_URL (smtp://, smtp+tls://, smtps://, consolemail://...).

    Unset: the console backend (the message, reset link included, is printed to the server's
    output), and password reset by email is offered only under DEBUG (`make run`), so that a
    deployment without mail never writes reset links into its logs.
    """
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend", "PASSWORD_RESET_BY_EMAIL": debug}
    import environ

    try:
        config = environ.Env.email_url_config(url)
    except (ImproperlyConfigured, ValueError) as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not a valid email URL: {exc}") from None
    options = config.pop("OPTIONS", {})
    config = {key: value for key, value in config.items() if value not in (None, "")}
    for flag in ("TLS", "SSL"):
        if str(options.get(flag, "")).lower() in {"1", "true", "yes", "on"}:
            config[f"EMAIL_USE_{flag}"] = True
    return {**config, "PASSWORD_RESET_BY_EMAIL": True}


_email = email_settings(os.environ.get("EMAIL_URL", ""), debug=DEBUG)
PASSWORD_RESET_BY_EMAIL = _email.pop("PASSWORD_RESET_BY_EMAIL")
globals().update(_email)
EMAIL_TIMEOUT = 10  # seconds: a mail server that hangs must not hold a request for long
DEFAULT_FROM_EMAIL = os.environ.get("EMAIL_FROM") or "Live attendance <no-reply@localhost>"
# How long a reset link works; using it once also ends it (the token covers the password).
PASSWORD_RESET_TIMEOUT = int(float(os.environ.get("PASSWORD_RESET_MINUTES", "60")) * 60)
PASSWORD_RESET_CLIENT_LIMIT = int(os.environ.get("PASSWORD_RESET_CLIENT_LIMIT", "20"))
PASSWORD_RESET_EMAIL_LIMIT = int(os.environ.get("PASSWORD_RESET_EMAIL_LIMIT", "3"))
PASSWORD_RESET_WINDOW_SECONDS = int(os.environ.get("PASSWORD_RESET_WINDOW_SECONDS", str(60 * 60)))

# REST API and JWT ---------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ContractJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser, except that a body nested too deep to decode is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": ["core.validation.ContractJSONParser"],
    # No OPTIONS self-description outside the envelope: OPTIONS is a 405 like any unrouted method.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "core.exceptions.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=float(os.environ.get("JWT_ACCESS_HOURS", "3"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=float(os.environ.get("JWT_REFRESH_DAYS", "7"))),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "userId",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Live attendance API",
    "DESCRIPTION": (
        "REST half of the live-attendance wire contract. Every response is "
        '`{"success": true, "data": ...}` or `{"success": false, "error": "..."}`. '
        "Authenticate with `Authorization: <JWT>` or `Authorization: Bearer <JWT>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Requests ----------------------------------------------------------------------------

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB, the contract's body limit

# Live attendance -----------------------------------------------------------------------

SESSION_MAX_HOURS = float(os.environ.get("SESSION_MAX_HOURS", "12"))
# Roster import: at most this many rows and bytes in one CSV or pasted list.
ROSTER_IMPORT_MAX_ROWS = int(os.environ.get("ROSTER_IMPORT_MAX_ROWS", "1000"))
ROSTER_IMPORT_MAX_BYTES = int(os.environ.get("ROSTER_IMPORT_MAX_BYTES", str(256 * 1024)))
WS_MAX_MESSAGE_BYTES = int(os.environ.get("WS_MAX_MESSAGE_BYTES", str(64 * 1024)))
WS_RATE_LIMIT_PER_SECOND = float(os.environ.get("WS_RATE_LIMIT_PER_SECOND", "50"))
WS_RATE_LIMIT_BURST = int(os.environ.get("WS_RATE_LIMIT_BURST", "200"))
# Sockets one account may hold at once, on every worker together (close 4029 past it).
WS_MAX_SOCKETS_PER_USER = int(os.environ.get("WS_MAX_SOCKETS_PER_USER", "10"))
# How long a handshake may wait for the channel layer and the database before it is
# answered "try again" (close 4013) rather than left hanging. Keep it below Daphne's
# --websocket_connect_timeout (5 s), after which Daphne drops an unanswered handshake.
WS_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("WS_CONNECT_TIMEOUT_SECONDS", "3"))
# Handshakes a worker works on at once; one that waits WS_HANDSHAKE_QUEUE_SECONDS for its turn
# is answered "try again" (close 4013) at once (live.admission). Keep the wait plus
# WS_CONNECT_TIMEOUT_SECONDS near Daphne's --websocket_connect_timeout (5 s).
WS_HANDSHAKES_AT_ONCE = int(os.environ.get("WS_HANDSHAKES_AT_ONCE", "32"))
WS_HANDSHAKE_QUEUE_SECONDS = float(os.environ.get("WS_HANDSHAKE_QUEUE_SECONDS", "2"))
# An open socket's account is asked again (active, not signed out or revoked) at its first
# frame after this many seconds; a revocation's own close message is at once.
WS_RECHECK_SECONDS = float(os.environ.get("WS_RECHECK_SECONDS", "60"))

# Self check-in: a new code every CHECKIN_ROTATE_SECONDS (at least 2; the previous one stays valid one more
# period); addresses in CHECKIN_SCHOOL_NETWORKS (the school's own networks, comma-separated
# CIDRs) are never flagged as "a network unlike the rest of the room".
CHECKIN_ROTATE_SECONDS = max(2, int(os.environ.get("CHECKIN_ROTATE_SECONDS", "20")))


def env_networks(name: str) -> list[str]:
    """Read comma-separated CIDRs; a value that is not one stops the server with its name."""
    networks = []
    for entry in env_list(name, ""):
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {entry!r} is not a network (e.g. 10.0.0.0/8)") from None
    return networks


CHECKIN_SCHOOL_NETWORKS = env_networks("CHECKIN_SCHOOL_NETWORKS")


def channel_layers(redis_url: str) -> dict:
    """The channel layer: Redis pub/sub when a URL is given, else one process's memory."""
    if redis_url:
        return {
            "default": {
                "BACKEND": "live.compat.ResubscribingRedisPubSubLayer",
                # Pub/sub channels ignore the Redis database number: deployments (or test runs)
                # sharing one Redis keep apart by prefix.
                "CONFIG": {"hosts": [redis_url], "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "attendance")},
            }
        }
    return {
        "default": {
            "BACKEND": "live.compat.SweepingInMemoryChannelLayer",
            # A socket may fall 1,000 broadcasts behind before the layer drops one for it.
            "CONFIG": {"capacity": 1000, "expiry": 60},
        }
    }


def caches(redis_url: str) -> dict:
    """The cache (login throttle, presence): Redis when a URL is given, else local memory."""
    if redis_url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                # Fail fast (the login throttle then fails open) rather than hang on a silent host.
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
                "KEY_PREFIX": "attendance",
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


CHANNEL_LAYERS = channel_layers(REDIS_URL)
CACHES = caches(REDIS_URL)

# Sessions and security -------------------------------------------------------------

# Database sessions: one indexed read per page. The cached_db engine writes to the cache
# unguarded, which turns a Redis outage into a 500 on every page.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind HTTPS (SECURE_COOKIES=1): HSTS for a year, and plain HTTP redirected to HTTPS.
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_HSTS_PRELOAD = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {"DIRECTIVES": CONTENT_SECURITY_POLICY_DIRECTIVES}

# Internationalisation and static files ----------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The time zone a new class gets; each class can change its own.
DEFAULT_CLASS_TIMEZONE = os.environ.get("DEFAULT_CLASS_TIMEZONE", "") or TIME_ZONE
try:
    ZoneInfo(DEFAULT_CLASS_TIMEZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"DEFAULT_CLASS_TIMEZONE names no known time zone: {DEFAULT_CLASS_TIMEZONE!r}") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Logging: never log a token. Daphne's access log is replaced by one that drops query strings.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "core.logging.RedactTokensFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}
