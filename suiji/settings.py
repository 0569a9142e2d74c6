"""Suiji settings: one file, every deployment knob read from the environment.

Local use needs no environment at all: SQLite in ``var/suiji.sqlite3``, debug on,
a development secret key. A deployment sets ``SUIJI_DEBUG=0``,
``SUIJI_SECRET_KEY`` and ``DATABASE_URL`` (PostgreSQL); the helpers below fail
loudly on malformed values instead of guessing.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (1/0/true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("SUIJI_DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("SUIJI_SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ValueError("SUIJI_SECRET_KEY must be set when SUIJI_DEBUG is off")

ALLOWED_HOSTS = env_list("SUIJI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("SUIJI_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "core",
    "refdata",
    "orgs",
    "accounts",
    "workcal",
    "directory",
    "catalog",
    "jobs",
    "draws",
    "plans",
    "web",
    "portal",
    "inspections",
    "assignments",
    "oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "suiji.urls"
WSGI_APPLICATION = "suiji.wsgi.application"

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
                "web.context_processors.navigation",
            ],
        },
    },
]

VAR_DIR = Path(env_str("SUIJI_VAR_DIR", str(BASE_DIR / "var")))
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'suiji.sqlite3'}"),
        conn_max_age=env_int("SUIJI_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the portal read while a job writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA cache_size=-{1024 * env_int('SUIJI_SQLITE_CACHE_MB', 64)}; "
                f"PRAGMA mmap_size={1024 * 1024 * env_int('SUIJI_SQLITE_MMAP_MB', 0)};"
            ),
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": None}

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

# Sign-in throttling: this many failures for one user name or one address
# within the window lock further attempts until the window has passed.
LOGIN_FAILURE_LIMIT = env_int("SUIJI_LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("SUIJI_LOGIN_FAILURE_WINDOW", 900)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Local use serves static files straight from the source folders; a deployment runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# Uploads: imports stream large files from disk, never from memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
SUIJI_MAX_UPLOAD_BYTES = env_int("SUIJI_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
# Imports of 8 MB or more read and check their rows in a forked reader process while the importing
# process writes (directory/importing/pipeline.py); False keeps all of it in one process.
SUIJI_IMPORT_READER = env_bool("SUIJI_IMPORT_READER", True)
# Oversight dashboard: how long figures that are no longer current may be served (marked with their
# time) while a background job computes new ones; 0 computes them in the request (docs/OVERSIGHT.md).
SUIJI_OVERSIGHT_STALE_SECONDS = env_int("SUIJI_OVERSIGHT_STALE_SECONDS", 3600)
# Compute the largest dashboard figure on a second database connection beside the others.
SUIJI_OVERSIGHT_THREADS = env_bool("SUIJI_OVERSIGHT_THREADS", True)
# Pages freeze and draw a task of at least this many candidates as a background job with its progress
# shown (draws/jobs.py); smaller ones, and the API, in the request.
SUIJI_DRAW_JOB_MIN = env_int("SUIJI_DRAW_JOB_MIN", 100_000)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

EMAIL_BACKEND = env_str("SUIJI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("SUIJI_FROM_EMAIL", "suiji@localhost")

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "suiji": {"handlers": ["console"], "level": env_str("SUIJI_LOG_LEVEL", "INFO")},
    },
}
