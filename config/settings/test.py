"""Tests: the base settings with a fast password hasher (Argon2 is tested on its own)."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Assertions read the English source strings; tests/core/test_i18n.py checks the Vietnamese default.
LANGUAGE_CODE = "en"
# Anchor files are tested on their own (tests/core/test_audit.py gives each test a file of its own).
AUDIT_ANCHOR_FILE = ""
