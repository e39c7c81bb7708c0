"""Tests: the base settings with a fast password hasher (Argon2 is tested on its own)."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Assertions read the English source strings; tests/core/test_i18n.py checks the Vietnamese default.
LANGUAGE_CODE = "en"
# Anchor files are tested on their own (tests/core/test_audit.py gives each test a file of its own).
AUDIT_ANCHOR_FILE = ""
# Hundreds of check runs: no grace before a watermark's wait (tests/registrations/test_incremental_inflight.py
# tests it on its own).
CHECKS_INFLIGHT_GRACE_SECONDS = 0
# ... and a short wait: a test's own open transaction on another connection (a live server's) would hold a run
# for the production default of 15 minutes (the run then goes on, unsettled: still exact for what it reads).
CHECKS_INFLIGHT_WAIT_SECONDS = 5

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not an in-memory database: the browser test of an import opens it from a worker process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
