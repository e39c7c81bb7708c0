"""Production: secrets come from the environment only; HTTPS everywhere."""

import os

from .base import *  # noqa: F403
from .base import env_bool, env_list, require

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = require("SECRET_KEY")
FIELD_ENCRYPTION_KEY = require("FIELD_ENCRYPTION_KEY")
PII_HMAC_KEY = require("PII_HMAC_KEY")
AUDIT_HMAC_KEY = require("AUDIT_HMAC_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    require("ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "core.storage.StaticFilesStorage"},
}
