"""All settings, driven by the environment; with nothing set, SQLite (WAL) under ./var/."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config import devkeys
from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("XINFANG_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)

_require_keys = env_bool("XINFANG_REQUIRE_KEYS", default=False)
_dev = {} if _require_keys else devkeys.load_or_create(VAR_DIR / "dev-keys.json")


def _key(name: str) -> str:
    value = env_secret(name) or _dev.get(name, "")
    if not value:
        raise RuntimeError(f"{name} is not set (XINFANG_REQUIRE_KEYS is on)")
    return value


SECRET_KEY = _key("SECRET_KEY")
XINFANG_DATA_KEYS = _key("XINFANG_DATA_KEYS")
XINFANG_INDEX_KEY = _key("XINFANG_INDEX_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "xinfang.core",
    "xinfang.orgs",
    "xinfang.catalog",
    "xinfang.clock",
    "xinfang.cases",
    "xinfang.intake",
    "xinfang.tracking",
    "xinfang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'xinfang.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_db),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while one of them writes; IMMEDIATE
    # transactions take the write lock up front, so concurrent writers queue instead of
    # failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "xinfang.core.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xinfang 阳光信访 API",
    "DESCRIPTION": (
        "Online petitions: intake and tracking. Errors carry per-field messages in zh and en."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # One line per job start and end drowns the web server's log; failures still show.
        "django_tasks": {"level": env_str("LOG_LEVEL_TASKS", "WARNING")},
    },
}

# --- Xinfang's own knobs -------------------------------------------------------------
# The province this installation serves (two-digit division code).
XINFANG_PROVINCE = env_str("XINFANG_PROVINCE", "43")
# 民法典 Art. 203: a period ending on a rest day runs to the next working day (C-2; per
# jurisdiction, see DOMAIN.md §14 question 1).
XINFANG_DEADLINE_ROLL_FORWARD = env_bool("XINFANG_DEADLINE_ROLL_FORWARD", default=True)
XINFANG_ATTACHMENT_MAX_BYTES = env_int("XINFANG_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
XINFANG_ATTACHMENT_MAX_COUNT = env_int("XINFANG_ATTACHMENT_MAX_COUNT", 5)
# Wrong tracking factors allowed per query code (and per client address) in the window.
XINFANG_TRACK_MAX_FAILURES = env_int("XINFANG_TRACK_MAX_FAILURES", 5)
XINFANG_TRACK_WINDOW_SECONDS = env_int("XINFANG_TRACK_WINDOW_SECONDS", 15 * 60)
# Set behind a reverse proxy that appends the client's address to X-Forwarded-For.
XINFANG_TRUST_X_FORWARDED_FOR = env_bool("XINFANG_TRUST_X_FORWARDED_FOR", default=False)
