"""Settings, all from the environment (CONTRACTS.md §1).

With no environment at all the product runs on an embedded SQLite database with Celery eager.
DATABASE_URL switches the database (postgres://… or sqlite:///absolute/path.sqlite3);
REDIS_URL / CELERY_BROKER_URL switch Celery to a real broker and the cache to Redis.
"""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-change-me-in-production"
if not DEBUG and SECRET_KEY.startswith("dev-only"):
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
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
    "accounts",
    "collections_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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
]

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
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

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
    # a strategy version approved for a date becomes active that day, before the nightly run
    "activate-strategy-versions": {
        "task": "collections_app.tasks.activate_strategy_versions",
        "schedule": crontab(hour=0, minute=5),
    },
}
# A fixed business date instead of today (replaying a historical book, training); empty = today.
BUSINESS_DATE = os.environ.get("BUSINESS_DATE") or None
# Borrowers per chunk of the nightly run (a Celery task each; several workers share the chunks).
DELINQUENCY_CHUNK_SIZE = int(os.environ.get("DELINQUENCY_CHUNK_SIZE", "50000"))
# PostgreSQL work_mem for a chunk's statements (hash aggregates over the chunk's installments).
DELINQUENCY_WORK_MEM = os.environ.get("DELINQUENCY_WORK_MEM", "64MB")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with "WWW-Authenticate: Token" (not 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "collections_app.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "collections_app.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": os.environ.get("AUTH_THROTTLE_RATE", "20/min")},
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Collections case management API",
    "DESCRIPTION": "Loans, cases, contacts, promises, payments and imports over HTTP.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
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
        {"name": "promises", "description": "Promises to pay."},
        {"name": "imports", "description": "Loan, installment and payment files."},
        {"name": "kpis", "description": "Recovery KPIs."},
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Development aid: DJANGO_NO_MIGRATIONS=1 builds tables straight from the models
# (`manage.py migrate --run-syncdb`), for scratch databases while models change. Never in production.
if env_bool("DJANGO_NO_MIGRATIONS", False):
    MIGRATION_MODULES = {"accounts": None, "collections_app": None}
