"""Settings, all from the environment (README.md).

With no environment at all the product runs on an embedded SQLite database with Celery eager.
DATABASE_URL switches the database (postgres://… or sqlite:///absolute/path.sqlite3);
REDIS_URL / CELERY_BROKER_URL switch Celery to a real broker and the cache to Redis.
"""
import datetime
import json
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Off unless turned on explicitly (`python3 dev.py run` turns it on for itself on the embedded
# SQLite database). Off, the key must be set: a long random one, never a published default.
DEBUG = env_bool("DEBUG", False)
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production"
KNOWN_DEFAULT_SECRET_KEYS = {DEV_SECRET_KEY, "change-me-in-production", "build-only", "changeme", "secret"}
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY = os.environ.get("SECRET_KEY") or (DEV_SECRET_KEY if DEBUG else "")
if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off (the default) set SECRET_KEY to a long random value, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(64))'; for development set DEBUG=1."
        )
    if (
        SECRET_KEY in KNOWN_DEFAULT_SECRET_KEYS
        or SECRET_KEY.startswith(("django-insecure", "dev-only"))
        or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
        or len(set(SECRET_KEY)) < 5
    ):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for DEBUG off: use at least {SECRET_KEY_MIN_LENGTH} random characters "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(64))'), never a published default."
        )
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# --- HTTPS, cookies, sessions, browser policies -------------------------------------------------
# With DEBUG off the site expects HTTPS, usually from a TLS proxy in front that sets
# X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER names the header as Django sees it; empty = none, for
# a site that terminates TLS itself). Every value can be overridden from the environment.
_proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "" if DEBUG else "HTTP_X_FORWARDED_PROTO").strip()
SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP inside the network
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session lasts one working day at most (SESSION_COOKIE_AGE) and ends after SESSION_IDLE_TIMEOUT
# seconds without a request (accounts.middleware.SessionIdleTimeoutMiddleware).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(10 * 3600)))
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files (htmx,
# Chart.js and the page scripts are served locally; templates hold no inline script). Style
# attributes stay allowed (progress-bar widths; they cannot run script).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Permissions-Policy (django-permissions-policy): the pages use none of these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in ("accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
                    "microphone", "midi", "payment", "usb", "xr-spatial-tracking")
}

INSTALLED_APPS = [
    # first: its `changepassword` command replaces Django's (it also revokes the user's API tokens)
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "simple_history",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "collections_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # last: turns a login refused by the lockout into its 429 answer (accounts/lockout.py)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
# Seconds /readyz waits for the database or the broker before it calls that part failed; also
# PostgreSQL's connect timeout, so a request does not hang on an unreachable database.
HEALTH_CHECK_TIMEOUT = float(os.environ.get("HEALTH_CHECK_TIMEOUT", "2"))
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
    # PostgreSQL's JIT compiler is off for the product's connections: it compiled the dashboard's
    # KPI queries for longer than they ran (docs/scaling.md, "PostgreSQL settings"). DATABASE_JIT=on
    # gives the server's own setting back.
    if os.environ.get("DATABASE_JIT", "off") != "on":
        DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in protection (django-axes; docs/security.md) -----------------------------------------
# The lockout backend comes first: it refuses a locked-out account or address before the password
# is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies in front of the application that append the client's address to CLIENT_IP_HEADER
# (0: none, the socket address is the client and forwarded headers are ignored).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
CLIENT_IP_HEADER = "HTTP_" + os.environ.get("CLIENT_IP_HEADER", "X-Forwarded-For").upper().replace("-", "_")
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
# Locked out by account (any address) and by address (any account), on the login page, the admin
# and POST /api/auth/token/ alike; records live in the database so the lockout holds when the
# cache (Redis) is down.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
# A success does not wipe the count: axes would wipe every attempt from the address, so anyone
# with one valid account could interleave its sign-ins with guesses at others'. Failures age out
# after the cool-off instead.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
# The log names the account and the address tried (axes masks both by default); never the password.
AXES_SENSITIVE_PARAMETERS = []

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded files (lenders' books, error reports, recordings) have no public URL: they leave only
# through views that check access (collections_app/views/files.py). PRIVATE_FILE_SERVING picks who
# sends the bytes: "django" (default), "x-accel-redirect" (nginx: an `internal` location at
# PRIVATE_FILE_ACCEL_PREFIX aliased to MEDIA_ROOT) or "x-sendfile" (Apache mod_xsendfile, lighttpd).
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
PRIVATE_FILE_SERVING = os.environ.get("PRIVATE_FILE_SERVING", "django").strip().lower()
if PRIVATE_FILE_SERVING not in {"django", "x-accel-redirect", "x-sendfile"}:
    raise ImproperlyConfigured("PRIVATE_FILE_SERVING must be django, x-accel-redirect or x-sendfile")
PRIVATE_FILE_ACCEL_PREFIX = os.environ.get("PRIVATE_FILE_ACCEL_PREFIX", "/protected-media/")
# A call or visit recording: audio only (checked by type, extension and content), at most this size.
RECORDING_MAX_BYTES = int(os.environ.get("RECORDING_MAX_BYTES", str(50 * 1024 * 1024)))
# case documents (dispute evidence, death certificates, court notices): PDF, JPEG or PNG up to this size
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# the shared secret a phone system sends in the X-Dialer-Token header (docs/disputes.md); empty = webhook off
DIALER_WEBHOOK_TOKEN = os.environ.get("DIALER_WEBHOOK_TOKEN", "")
# Request bodies without files are held in memory: refuse one above 10 MB. Uploaded files above
# 2.5 MB go to a temporary file, never memory; their size cap is IMPORT_MAX_UPLOAD_MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
# Imports (docs/imports.md, "Limits"): what a lender's file may be before it is refused whole.
IMPORT_MAX_UPLOAD_MB = float(os.environ.get("IMPORT_MAX_UPLOAD_MB", "200"))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "5000000"))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "200"))
IMPORT_MAX_FIELD_CHARS = int(os.environ.get("IMPORT_MAX_FIELD_CHARS", "10000"))
IMPORT_MAX_RAW_EXTRA_COLUMNS = int(os.environ.get("IMPORT_MAX_RAW_EXTRA_COLUMNS", "50"))
IMPORT_XLSX_MAX_UNPACKED_MB = int(os.environ.get("IMPORT_XLSX_MAX_UNPACKED_MB", "1024"))
IMPORT_XLSX_MAX_SHARED_STRINGS_MB = int(os.environ.get("IMPORT_XLSX_MAX_SHARED_STRINGS_MB", "200"))
IMPORT_XLSX_MAX_RATIO = int(os.environ.get("IMPORT_XLSX_MAX_RATIO", "100"))
IMPORT_XLSX_MAX_MEMBERS = int(os.environ.get("IMPORT_XLSX_MAX_MEMBERS", "1000"))
IMPORT_BATCH_SIZE = int(os.environ.get("IMPORT_BATCH_SIZE", "5000"))
# A running import renews its lease with every stored batch; one silent this long is taken over.
IMPORT_LEASE_SECONDS = int(os.environ.get("IMPORT_LEASE_SECONDS", "300"))
# The dashboard's figures are computed by a Celery task and kept in the cache (docs/kpis.md,
# "Figures computed in the background"): older than DASHBOARD_FRESH_SECONDS, a visit asks for new
# ones (and shows the kept ones meanwhile); they are kept for DASHBOARD_KEEP_SECONDS.
DASHBOARD_FRESH_SECONDS = int(os.environ.get("DASHBOARD_FRESH_SECONDS", "300"))
DASHBOARD_KEEP_SECONDS = int(os.environ.get("DASHBOARD_KEEP_SECONDS", str(24 * 3600)))

# --- Redis / Celery -------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
NIGHTLY_RUN_HOUR = int(os.environ.get("NIGHTLY_RUN_HOUR", "1"))
NIGHTLY_RUN_MINUTE = int(os.environ.get("NIGHTLY_RUN_MINUTE", "30"))
CELERY_BEAT_SCHEDULE = {
    "nightly-delinquency-run": {
        "task": "collections_app.tasks.nightly_delinquency_run",
        "schedule": crontab(hour=NIGHTLY_RUN_HOUR, minute=NIGHTLY_RUN_MINUTE),
    },
    "sweep-imports": {"task": "collections_app.tasks.sweep_imports", "schedule": 60.0},
    # a strategy version approved for a date becomes active that day, before the nightly run
    "activate-strategy-versions": {
        "task": "collections_app.tasks.activate_strategy_versions",
        "schedule": crontab(hour=0, minute=5),
    },
}
# Retention: borrowers of a lender whose agreement ended more than this many years ago are
# anonymised or purged (Lender.retention_mode) by `purge_expired`, nightly on beat (docs/retention.md).
RETENTION_YEARS = int(os.environ.get("RETENTION_YEARS", "5"))
# placements whose recall date has come go back to the internal queues (docs/agency.md)
CELERY_BEAT_SCHEDULE["recall-due-placements"] = {
    "task": "collections_app.tasks.recall_due_placements",
    "schedule": crontab(hour=0, minute=20),
}
# Weekly and monthly reports per collector, team and lender (docs/kpis.md, "Reports"): generated,
# stored and e-mailed early on Monday (last week) and on the 1st (last month). REPORT_RECIPIENTS
# (comma-separated addresses) receive every report, besides the supervisors and collectors concerned.
REPORT_RECIPIENTS = [a.strip() for a in os.environ.get("REPORT_RECIPIENTS", "").split(",") if a.strip()]
CELERY_BEAT_SCHEDULE["weekly-reports"] = {
    "task": "collections_app.tasks.generate_reports", "args": ("week",),
    "schedule": crontab(hour=6, minute=0, day_of_week=1),
}
CELERY_BEAT_SCHEDULE["monthly-reports"] = {
    "task": "collections_app.tasks.generate_reports", "args": ("month",),
    "schedule": crontab(hour=6, minute=30, day_of_month=1),
}
CELERY_BEAT_SCHEDULE["purge-expired-personal-data"] = {
    "task": "collections_app.tasks.purge_expired",
    "schedule": crontab(hour=int(os.environ.get("RETENTION_RUN_HOUR", "3")), minute=15),
}
# Outbound messages (docs/messages.md): provider backends by dotted path, the HTTP SMS gateway,
# the delivery-receipt webhook's shared secret and the per-provider send rate.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "collections_app.providers.ConsoleBackend")
EMAIL_MESSAGE_BACKEND = os.environ.get("EMAIL_MESSAGE_BACKEND", "collections_app.providers.DjangoEmailBackend")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "collections@localhost")
MESSAGE_FILE_DIR = os.environ.get("MESSAGE_FILE_DIR", "")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_KEY = os.environ.get("SMS_GATEWAY_KEY", "")
SMS_SENDER_ID = os.environ.get("SMS_SENDER_ID", "")
SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "10"))
SMS_GATEWAY_RETRIES = int(os.environ.get("SMS_GATEWAY_RETRIES", "2"))
SMS_GATEWAY_BACKOFF = float(os.environ.get("SMS_GATEWAY_BACKOFF", "1"))
SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET", "")
SMS_RATE_LIMIT = os.environ.get("SMS_RATE_LIMIT", "20/s")
EMAIL_RATE_LIMIT = os.environ.get("EMAIL_RATE_LIMIT", "5/s")
# a message taken by a sender that neither sent nor failed it within this many minutes (its worker
# died mid-send) is marked failed, never sent again: the provider may have it (docs/messages.md)
MESSAGE_CLAIM_TIMEOUT_MINUTES = int(os.environ.get("MESSAGE_CLAIM_TIMEOUT_MINUTES", "15"))
# the template the strategy's SMS-reminder actions send (beat: execute-sms-actions, every 15 minutes)
SMS_ACTION_TEMPLATE = os.environ.get("SMS_ACTION_TEMPLATE", "polite_reminder")
# A strategy action still open this many days after its due date expires (judged by the nightly run;
# docs/messages.md, "Strategy actions"). A kind not listed never expires. JSON to override.
ACTION_EXPIRE_AFTER_DAYS = json.loads(os.environ.get("ACTION_EXPIRE_AFTER_DAYS") or "null") or {
    "sms_reminder": 3, "robot_call": 3, "call": 7, "guarantor_contact": 14, "letter": 14, "lawyer_letter": 30,
}
CELERY_BEAT_SCHEDULE["execute-sms-actions"] = {"task": "collections_app.tasks.execute_sms_actions", "schedule": 900.0}
CELERY_BEAT_SCHEDULE["send-due-messages"] = {"task": "collections_app.tasks.send_due_messages", "schedule": 60.0}
# A fixed business date instead of today (replaying a historical book, training); empty = today.
BUSINESS_DATE = os.environ.get("BUSINESS_DATE") or None
# Borrowers per chunk of the nightly run (a Celery task each; several workers share the chunks).
DELINQUENCY_CHUNK_SIZE = int(os.environ.get("DELINQUENCY_CHUNK_SIZE", "50000"))
# PostgreSQL work_mem for a chunk's statements (hash aggregates over the chunk's installments).
DELINQUENCY_WORK_MEM = os.environ.get("DELINQUENCY_WORK_MEM", "64MB")
# Celery time limits (seconds) of each task of the nightly run. A chunk past the soft limit raises
# and fails the run with that reason; past the hard limit its worker process is killed and the chord's
# error callback fails the run. A 50,000-borrower chunk takes ~7 s on 2 cores (docs/performance.md).
DELINQUENCY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("DELINQUENCY_TASK_SOFT_TIME_LIMIT", "900"))
DELINQUENCY_TASK_TIME_LIMIT = int(os.environ.get("DELINQUENCY_TASK_TIME_LIMIT", "960"))

if REDIS_URL:
    # Short socket timeouts: with Redis away, its users (the API throttles) fall back at once
    # (accounts/throttling.py) instead of hanging the request.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# API tokens expire this long after they were issued (then 401; POST /api/auth/token/ issues a
# new one); a change of password, role or active flag revokes them at once (accounts/services.py).
API_TOKEN_TTL_HOURS = float(os.environ.get("API_TOKEN_TTL_HOURS", "24"))

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with "WWW-Authenticate: Token" (not 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "collections_app.api.filters.StrictOrderingFilter",  # an unknown ?ordering= field is a 400
    ],
    "DEFAULT_SCHEMA_CLASS": "collections_app.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "collections_app.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": os.environ.get("AUTH_THROTTLE_RATE", "20/min")},
    # DRF's own throttles read X-Forwarded-For only behind this many trusted proxies
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Collections case management API",
    "DESCRIPTION": "Loans, cases, contacts, promises, payments and imports over HTTP.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our static files (drf-spectacular-sidecar), not a CDN
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "collections_app.api.schema.describe_fields",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LoanStatusEnum": "collections_app.models.choices.LoanStatus",
        "CaseStatusEnum": "collections_app.models.choices.CaseStatus",
        "CaseCloseReasonEnum": "collections_app.models.choices.CaseCloseReason",
        "PromiseStatusEnum": "collections_app.models.choices.PromiseStatus",
        "ImportStatusEnum": "collections_app.models.choices.ImportStatus",
        "ImportKindEnum": "collections_app.models.choices.ImportKind",
        "ChannelEnum": "collections_app.models.choices.Channel",
        "OutcomeEnum": "collections_app.models.choices.Outcome",
        "ContactKindEnum": "collections_app.models.choices.ContactKind",
        "ContactStatusEnum": "collections_app.models.choices.ContactStatus",
        "RoleEnum": "accounts.models.Role",
        "TemplateChannelEnum": "collections_app.models.choices.TemplateChannel",
        "MessageChannelEnum": "collections_app.api.messages.SEND_CHANNELS",
        "DisputeStatusEnum": "collections_app.models.choices.DisputeStatus",
        "DisputeOutcomeEnum": "collections_app.models.choices.DisputeOutcome",
        "LegalStageEnum": "collections_app.models.legal.LegalStage",
        "LegalCostKindEnum": "collections_app.models.legal.LegalCostKind",
        "RecallReasonEnum": "collections_app.models.agency.RecallReason",
    },
    "TAGS": [
        {"name": "auth", "description": "API tokens."},
        {"name": "lenders", "description": "Lenders and their compliance settings."},
        {"name": "teams", "description": "Teams of collectors and their supervisors."},
        {"name": "users", "description": "Users and roles (admin only)."},
        {"name": "borrowers", "description": "Borrowers; personal data masked by role."},
        {"name": "loans", "description": "Loans, schedules and delinquency figures."},
        {"name": "payments", "description": "Payments; recording one reclassifies the loan at once."},
        {"name": "cases", "description": "Collection cases, assignment and the contact log."},
        {"name": "disputes", "description": "Disputes of the debt and the statute-of-limitations warnings."},
        {"name": "blacklist", "description": "Borrowers not to be lent to again."},
        {"name": "dialer", "description": "Call events posted by a dialer or phone system (shared-secret token)."},
        {"name": "promises", "description": "Promises to pay."},
        {"name": "agencies", "description": "Outside agencies: placing cases (through approval), recalling them."},
        {"name": "litigation", "description": "Legal cases: litigation through approval, stages, costs."},
        {"name": "imports", "description": "Loan, installment and payment files."},
        {"name": "kpis", "description": "Recovery KPIs."},
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # every failed sign-in (INFO) and every lockout (WARNING), with the account and address
    "loggers": {"axes": {"level": "INFO"}},
}

# Development aid: DJANGO_NO_MIGRATIONS=1 builds tables straight from the models
# (`manage.py migrate --run-syncdb`), for scratch databases while models change. Never in production.
if env_bool("DJANGO_NO_MIGRATIONS", False):
    MIGRATION_MODULES = {"accounts": None, "collections_app": None}
