"""All settings, driven by the environment; with nothing set, SQLite (WAL) under ./var/."""

from __future__ import annotations

from datetime import timedelta
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
    "xinfang.documents",
    "xinfang.audit",
    "xinfang.handling",
    "xinfang.triage",
    "xinfang.workbench",
    "xinfang.intake",
    "xinfang.tracking",
    "xinfang.citizens",
    "xinfang.board",
    "xinfang.notify",
    "xinfang.wechat",
    "xinfang.mailbox",
    "xinfang.hotline",
    "xinfang.open311",
    "xinfang.grid",
    "xinfang.analytics",
    "xinfang.demo",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "xinfang.signin",
    "xinfang.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a lock-out flagged during the request into the lock-out page.
    "axes.middleware.AxesMiddleware",
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
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out users before the password check
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "signin:login"
LOGIN_REDIRECT_URL = "workbench:home"  # where staff land after signing in without a ?next=

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

# Rate limits (sign-in codes, submissions, board likes) count in the cache, so with several
# worker processes it must be shared: XINFANG_CACHE_URL=redis://127.0.0.1:6379/1. Without it,
# each process counts for itself (fine for `make run` and tests, not for production).
_CACHE_URL = env_str("XINFANG_CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

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
        # aiosmtpd (mailbox_smtpd) logs every command at INFO, senders' addresses included.
        "mail.log": {"level": env_str("LOG_LEVEL_SMTP", "WARNING")},
    },
}

# --- Xinfang's own knobs -------------------------------------------------------------
# The province this installation serves (two-digit division code).
XINFANG_PROVINCE = env_str("XINFANG_PROVINCE", "43")
# 民法典 Art. 203: a period ending on a rest day runs to the next working day (C-2; per
# jurisdiction, see DOMAIN.md §14 question 1).
XINFANG_DEADLINE_ROLL_FORWARD = env_bool("XINFANG_DEADLINE_ROLL_FORWARD", default=True)
# The sweep warns when this share (in percent) of a duty clock's period has passed.
XINFANG_WARN_FRACTION = env_int("XINFANG_WARN_PERCENT", 80) / 100
# Art. 34: an extension of at most 30 days in total.
XINFANG_MAX_EXTENSION_DAYS = env_int("XINFANG_MAX_EXTENSION_DAYS", 30)
# Days the petitioner has to rate a reply before it counts as 超期未评价.
XINFANG_RATING_WINDOW_DAYS = env_int("XINFANG_RATING_WINDOW_DAYS", 30)
# Share (percent) of 不满意 ratings that open a revisit task; the law's practice is all of them.
XINFANG_REVISIT_SAMPLE_PERCENT = env_int("XINFANG_REVISIT_SAMPLE_PERCENT", 100)
# Days after a 复查/复核 window ends before the case is closed for want of a request: a letter
# posted on the last day is still on its way (DOMAIN T20).
XINFANG_WINDOW_GRACE_DAYS = env_int("XINFANG_WINDOW_GRACE_DAYS", 5)
# Days a unit has to give written feedback on a supervision order before it escalates.
XINFANG_SUPERVISION_FEEDBACK_DAYS = env_int("XINFANG_SUPERVISION_FEEDBACK_DAYS", 10)
XINFANG_ATTACHMENT_MAX_BYTES = env_int("XINFANG_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
XINFANG_ATTACHMENT_MAX_COUNT = env_int("XINFANG_ATTACHMENT_MAX_COUNT", 5)
# Wrong tracking factors allowed per query code (and per client address) in the window.
XINFANG_TRACK_MAX_FAILURES = env_int("XINFANG_TRACK_MAX_FAILURES", 5)
XINFANG_TRACK_WINDOW_SECONDS = env_int("XINFANG_TRACK_WINDOW_SECONDS", 15 * 60)
# Open311 (xinfang.open311): the jurisdiction_id this endpoint answers to besides division codes
# (e.g. hunan.gov.cn), and the discovery document's contact and API-key texts.
XINFANG_OPEN311_JURISDICTION = env_str("XINFANG_OPEN311_JURISDICTION", "")
XINFANG_OPEN311_CONTACT = env_str("XINFANG_OPEN311_CONTACT", "")
XINFANG_OPEN311_KEY_SERVICE = env_str("XINFANG_OPEN311_KEY_SERVICE", "")
# Set behind a reverse proxy that appends the client's address to X-Forwarded-For.
XINFANG_TRUST_X_FORWARDED_FOR = env_bool("XINFANG_TRUST_X_FORWARDED_FOR", default=False)
# Triage model directory (model.json, weights.npz, leaves.json); empty: the shipped model.
# `manage.py triage_retrain` writes new ones; point this at one to use it.
XINFANG_TRIAGE_MODEL_DIR = env_str("XINFANG_TRIAGE_MODEL_DIR", "")
# The base training file triage_retrain adds staff-confirmed labels to.
XINFANG_TRIAGE_TRAIN_DATA = Path(
    env_str(
        "XINFANG_TRIAGE_TRAIN_DATA",
        str(BASE_DIR.parent / "shared" / "data" / "teddycup2020c" / "train_tokenized.csv"),
    )
)

# Background jobs (xinfang.jobs). Periodic schedule: name -> {"task": dotted path of a django_tasks
# Task, "every": seconds}. schedule_sync() makes one PeriodicJob row per entry; the admin may then
# disable or retune a row, and the code only owns the task path.
XINFANG_SCHEDULE: dict[str, dict[str, object]] = {
    "jobs.prune_results": {"task": "xinfang.jobs.tasks.prune_task_results", "every": 86400},
    "jobs.requeue_stale": {"task": "xinfang.jobs.tasks.requeue_stale_tasks", "every": 600},
    "cases.sweep": {"task": "xinfang.handling.tasks.case_sweep_task", "every": 300},
    "triage.band_purge": {"task": "xinfang.triage.tasks.text_band_purge_task", "every": 86400},
    "triage.hot_issues": {"task": "xinfang.triage.tasks.hot_issues_refresh_task", "every": 3600},
    "board.propose": {"task": "xinfang.board.tasks.publications_propose_due_task", "every": 600},
    "notify.deliver": {"task": "xinfang.notify.tasks.notify_deliver_task", "every": 30},
    "analytics.rollup": {"task": "xinfang.analytics.tasks.rollup_refresh_task", "every": 300},
    "analytics.mail": {"task": "xinfang.analytics.tasks.monthly_report_mail_task", "every": 3600},
    "wechat.purge": {"task": "xinfang.wechat.tasks.wechat_purge_task", "every": 86400},
}
# KPIs (xinfang.analytics): the 满意率 variant (A: (满意+基本满意)/已评价, B: 满意/已评价,
# C: 基本满意 weighted by XINFANG_KPI_BASIC_WEIGHT_PERCENT), and the due time organs are
# measured against: "nominal" (DOMAIN C-2) or "rolled" past rest days.
XINFANG_KPI_SATISFACTION_VARIANT = env_str("XINFANG_KPI_SATISFACTION_VARIANT", "A")
XINFANG_KPI_BASIC_WEIGHT = env_int("XINFANG_KPI_BASIC_WEIGHT_PERCENT", 80) / 100
XINFANG_KPI_DUE = env_str("XINFANG_KPI_DUE", "nominal")
# The monthly KPI summary (xlsx attached) is e-mailed to these addresses (comma-separated) on or
# after this day of the month, for this division ("" = the whole installation).
XINFANG_ANALYTICS_REPORT_RECIPIENTS = env_list("XINFANG_ANALYTICS_REPORT_RECIPIENTS")
XINFANG_ANALYTICS_REPORT_DAY = env_int("XINFANG_ANALYTICS_REPORT_DAY", 1)
XINFANG_ANALYTICS_REPORT_REGION = env_str("XINFANG_ANALYTICS_REPORT_REGION", "")
# A dashboard's figures (per view, period and slice) are reused for this many seconds.
XINFANG_ANALYTICS_CACHE_SECONDS = env_int("XINFANG_ANALYTICS_CACHE_SECONDS", 60)
# Hot issues cluster at most this many of a city's latest petitions per refresh: the clustering
# is O(n²) in time and memory (3,000 demo petitions: about 5 s and 0.5 GB at peak).
XINFANG_HOT_MAX_ITEMS = env_int("XINFANG_HOT_MAX_ITEMS", 3000)
XINFANG_SCHEDULER_INTERVAL = env_int("XINFANG_SCHEDULER_INTERVAL", 5)
# Successful job results (and superseded failed attempts) are deleted after this many days.
XINFANG_JOB_RESULT_DAYS = env_int("XINFANG_JOB_RESULT_DAYS", 14)
# A job RUNNING longer than this is taken for a lost worker and queued again: keep it above the
# longest job, or that job may run twice at once.
XINFANG_JOB_STALE_SECONDS = env_int("XINFANG_JOB_STALE_SECONDS", 3600)

# Staff sign-in (xinfang.signin). Lock-out is per username, whatever the address: government
# offices share a few NAT addresses (per-address limits would lock out a whole office) and an
# attacker may hold many (per username+address limits would multiply the guesses). Unknown
# usernames lock the same way, so the lock-out page tells nothing about which accounts exist.
AXES_FAILURE_LIMIT = env_int("XINFANG_SIGNIN_MAX_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("XINFANG_SIGNIN_COOLOFF_SECONDS", 15 * 60))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 warns of rotating user agents or cookies: they do not reset a count by username.
SILENCED_SYSTEM_CHECKS = [
    "axes.W006",
    # The queue index's INCLUDE columns are a PostgreSQL speed-up; SQLite simply ignores them.
    "models.W040",
]
# Reset by a completed sign-in only: staff asked for a code are logged in after the code.
AXES_RESET_ON_SUCCESS = True
# Attempts while locked are refused without extending the lock: the time on the page stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The one reading of XINFANG_TRUST_X_FORWARDED_FOR (addresses are recorded, not counted).
AXES_CLIENT_IP_CALLABLE = "xinfang.core.http.client_key"
AXES_LOCKOUT_CALLABLE = "xinfang.signin.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "token", "csrfmiddlewaretoken"]
AXES_VERBOSE = False  # no start-up banner on every manage.py command
# Second factor: required for roles that may reveal petitioners' identities and for superusers;
# true here asks every staff user.
XINFANG_OTP_REQUIRED_ALL = env_bool("XINFANG_OTP_REQUIRED_ALL", default=False)
OTP_TOTP_ISSUER = "Xinfang 阳光信访"
# Wrong codes count towards the lock-out above; django-otp's own back-off would on top of that
# refuse a correct code typed within seconds of a wrong one.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Citizens' portal (xinfang.citizens). Sign-in codes go out through this SMS back-end (dotted
# path): ConsoleSmsBackend logs them (development), FileSmsBackend also appends them to
# XINFANG_SMS_FILE_DIR/outbox.jsonl, HttpSmsBackend posts JSON to the operator's gateway.
XINFANG_SMS_BACKEND = env_str("XINFANG_SMS_BACKEND", "xinfang.citizens.sms.ConsoleSmsBackend")
XINFANG_SMS_FILE_DIR = Path(env_str("XINFANG_SMS_FILE_DIR", str(VAR_DIR / "sms")))
XINFANG_SMS_GATEWAY_URL = env_str("XINFANG_SMS_GATEWAY_URL", "")
XINFANG_SMS_GATEWAY_TOKEN = env_secret("XINFANG_SMS_GATEWAY_TOKEN") or ""
XINFANG_SMS_GATEWAY_TIMEOUT = env_int("XINFANG_SMS_GATEWAY_TIMEOUT", 10)
XINFANG_OTP_TTL_SECONDS = env_int("XINFANG_OTP_TTL_SECONDS", 300)
XINFANG_OTP_MAX_ATTEMPTS = env_int("XINFANG_OTP_MAX_ATTEMPTS", 5)
# Codes per phone: one a minute and five an hour; per client address: twenty an hour.
XINFANG_OTP_PHONE_INTERVAL = env_int("XINFANG_OTP_PHONE_INTERVAL", 60)
XINFANG_OTP_PHONE_HOURLY = env_int("XINFANG_OTP_PHONE_HOURLY", 5)
XINFANG_OTP_CLIENT_HOURLY = env_int("XINFANG_OTP_CLIENT_HOURLY", 20)
# Web-form petitions accepted per client address and hour (a cache counter: per process with
# the default local-memory cache).
XINFANG_SUBMIT_MAX_PER_HOUR = env_int("XINFANG_SUBMIT_MAX_PER_HOUR", 10)

# Leader mailboxes (xinfang.mailbox): the SMTP receiver (`mailbox_smtpd`, behind the MX relay),
# the largest mail it takes (bigger ones get 552), and the IMAP account `mailbox_imap_poll`
# reads instead when the mail stays on an existing mail server (security: ssl, starttls, none).
XINFANG_MAILBOX_MAX_BYTES = env_int("XINFANG_MAILBOX_MAX_BYTES", 32 * 1024 * 1024)
XINFANG_MAILBOX_SMTP_HOST = env_str("XINFANG_MAILBOX_SMTP_HOST", "127.0.0.1")
XINFANG_MAILBOX_SMTP_PORT = env_int("XINFANG_MAILBOX_SMTP_PORT", 8025)
XINFANG_MAILBOX_IMAP_HOST = env_str("XINFANG_MAILBOX_IMAP_HOST", "")
XINFANG_MAILBOX_IMAP_PORT = env_int("XINFANG_MAILBOX_IMAP_PORT", 993)
XINFANG_MAILBOX_IMAP_SECURITY = env_str("XINFANG_MAILBOX_IMAP_SECURITY", "ssl")
XINFANG_MAILBOX_IMAP_USER = env_str("XINFANG_MAILBOX_IMAP_USER", "")
XINFANG_MAILBOX_IMAP_PASSWORD = env_secret("XINFANG_MAILBOX_IMAP_PASSWORD") or ""
XINFANG_MAILBOX_IMAP_FOLDER = env_str("XINFANG_MAILBOX_IMAP_FOLDER", "INBOX")
XINFANG_MAILBOX_IMAP_MAILBOX = env_str("XINFANG_MAILBOX_IMAP_MAILBOX", "")

# Notifications (xinfang.notify): the public address notices link to (tracking page, workbench).
XINFANG_SITE_URL = env_str("XINFANG_SITE_URL", "http://127.0.0.1:8000")
# Outgoing mail (Django's SMTP back-end); the timeout keeps a hung server from stalling a worker.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
XINFANG_NOTIFY_FROM_EMAIL = env_str("XINFANG_NOTIFY_FROM_EMAIL", "noreply@xinfang.localhost")
# The delivery back-end of each medium (dotted path of a notify.backends.Backend class).
XINFANG_NOTIFY_BACKENDS = {
    "email": "xinfang.notify.backends.EmailBackend",
    "sms": "xinfang.notify.backends.SmsBackend",
    "wechat": "xinfang.wechat.notify_backend.TemplateBackend",
}
# Seconds to wait after the 1st, 2nd … failed try (the last step repeats), and the tries in all.
XINFANG_NOTIFY_BACKOFF = [60, 300, 1800, 7200, 43200]
XINFANG_NOTIFY_MAX_ATTEMPTS = env_int("XINFANG_NOTIFY_MAX_ATTEMPTS", 8)
# A notice `sending` for longer than this is taken for a lost worker's and tried again: keep it
# above the back-ends' timeouts, or a slow send may go out twice.
XINFANG_NOTIFY_STALE_SECONDS = env_int("XINFANG_NOTIFY_STALE_SECONDS", 600)
# Events older than this (historical imports) queue no notices.
XINFANG_NOTIFY_MAX_EVENT_AGE_HOURS = env_int("XINFANG_NOTIFY_MAX_EVENT_AGE_HOURS", 72)
# Enqueue a delivery job when a change with notices commits (the schedule is the safety net).
XINFANG_NOTIFY_DELIVER_ON_COMMIT = env_bool("XINFANG_NOTIFY_DELIVER_ON_COMMIT", default=True)
# WeChat official accounts (xinfang.wechat): the API base (tests point it at a local stand-in)
# and how long the link to the pre-filled H5 form stays valid.
XINFANG_WECHAT_API_BASE = env_str("XINFANG_WECHAT_API_BASE", "https://api.weixin.qq.com/cgi-bin/")
XINFANG_WECHAT_LINK_MAX_AGE = env_int("XINFANG_WECHAT_LINK_MAX_AGE", 2 * 3600)
XINFANG_WECHAT_API_TIMEOUT = env_int("XINFANG_WECHAT_API_TIMEOUT", 4)
