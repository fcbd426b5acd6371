"""Test overrides only."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Tests share one connection per thread; persistent connections would outlive the test DB.
DATABASES["default"]["CONN_MAX_AGE"] = 0
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"django_tasks": {"level": "WARNING"}},
}
# The submission limit counts in the process-wide cache, which no test empties; the citizens'
# tests set it low themselves.
XINFANG_SUBMIT_MAX_PER_HOUR = 1_000_000
# Notices are queued in every test but delivered only where a test asks (notify's own tests):
# with the immediate task back-end they would otherwise be sent on each commit.
XINFANG_NOTIFY_DELIVER_ON_COMMIT = False
