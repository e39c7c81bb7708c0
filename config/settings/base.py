"""Settings read from the environment; with nothing set, a working development setup.

DATABASE_URL  (default: SQLite file var/db.sqlite3)
DATABASE_REPLICA_URL (a PostgreSQL read replica of DATABASE_URL for pages and exports: config/db_router.py)
REDIS_URL     (set: Celery broker/results and cache on Redis; unset: a queue in files under var/celery/,
               served by the worker that `make run` starts beside the web server)
CELERY_EAGER  (1: no worker, tasks run inside the request that sends them)
SECRET_KEY, FIELD_ENCRYPTION_KEY, PII_HMAC_KEY, AUDIT_HMAC_KEY  (development: generated once into var/dev-secrets.json)
AUDIT_ANCHOR_FILE (where the audit chain's head is appended; default var/audit-anchors-<database>.log)
ALLOWED_HOSTS (comma separated), DEBUG (0/1)
S3_BUCKET, S3_ENDPOINT_URL, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION  (set: uploads on S3; unset: var/media)
RETENTION_YEARS (default 2: cancelled registrations are anonymised that many years after cancellation)
BLACKLIST_YEARS (default 3: how long a terminated agent's identity keys stay on the blacklist)
CAMPAIGN_DEFAULT_DAYS (default 365: an automatic re-verification campaign's period before the termination)
CAMPAIGN_SWEEP_DAYS (default 7: terminations this recent without a campaign get one)
CHECKS_FULL_EVERY_DAYS (default 7), CHECKS_INFLIGHT_WAIT_SECONDS (900), CHECKS_INFLIGHT_GRACE_SECONDS (0.5): check runs
TRUSTED_PROXIES (comma separated addresses or networks of our own reverse proxies; their X-Forwarded-For is read)
"""

import json
import os
import secrets
from base64 import urlsafe_b64encode
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


def _new_secrets() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": "k1:" + urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "PII_HMAC_KEY": secrets.token_urlsafe(32),
        "AUDIT_HMAC_KEY": "a1:" + urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def dev_secret(name: str) -> str:
    """A secret from the environment, else from a file generated once and ignored by git.

    Keeping the generated keys stable matters: encrypted personal data written with one key
    must still be readable after a restart.
    """
    if os.environ.get(name):
        return os.environ[name]
    path = VAR_DIR / "dev-secrets.json"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        # "x" mode: two processes starting at once must not write different keys.
        with open(path, "x", encoding="utf-8") as fh:
            json.dump(_new_secrets(), fh, indent=2)
        path.chmod(0o600)
    except FileExistsError:
        pass
    stored = json.loads(path.read_text(encoding="utf-8"))
    if name not in stored:
        stored = _add_secret(path, name)
    return stored[name]


def _add_secret(path, name: str) -> dict[str, str]:
    """A key added in a later version: generated and added to the file, keeping every key already there
    (deleting the file would lose the key that encrypts the stored personal data)."""
    import fcntl

    with open(path, "r+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # another process may be adding it right now
        stored = json.load(fh)
        if name not in stored:
            if name not in _new_secrets():
                raise ImproperlyConfigured(f"{name} is missing from {path}.")
            stored[name] = _new_secrets()[name]
            fh.seek(0)
            json.dump(stored, fh, indent=2)
            fh.truncate()
    return stored


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = dev_secret("SECRET_KEY")
FIELD_ENCRYPTION_KEY = dev_secret("FIELD_ENCRYPTION_KEY")
PII_HMAC_KEY = dev_secret("PII_HMAC_KEY")
# Keys of the audit trail's hash chain (`kid:base64key[,old...]`, first one signs) and where each new
# head is appended outside the database (blank: only the `sim_agent_watch.audit` log line).
AUDIT_HMAC_KEY = dev_secret("AUDIT_HMAC_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

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
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "core",
    "agents",
    "registrations",
    "inspections",
    "enforcement",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The account's language, else the switch's cookie, else Vietnamese; never Accept-Language (issue 13).
    "core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.headers.PermissionsPolicyMiddleware",
    "core.middleware.NoStoreMiddleware",
    # After sessions, locale and auth: its 400 page is in the user's language, with the user's menu.
    "core.middleware.InputCleaningMiddleware",
    "core.middleware.RequestContextMiddleware",
    # Last, as django-axes asks: it turns lockouts into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the page read while an import or a check run writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A PostgreSQL read replica (streaming replication of the primary) for the pages' and exports' reads
# (config/db_router.py says which reads go there); writes, transactions, workers and commands use the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    # tests: the replica alias is the test database itself
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(0, "config.db_router.ReplicaReadsMiddleware")  # marks GET/HEAD requests' reads
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Where each audit event's id and hash are appended as it commits (blank: only the log line). One file per
# database by default: anchors of one database must never be checked against another's trail.
_DB_SLUG = "".join(c if c.isalnum() else "-" for c in Path(str(DATABASES["default"]["NAME"])).stem)
AUDIT_ANCHOR_FILE = os.environ.get("AUDIT_ANCHOR_FILE", str(VAR_DIR / f"audit-anchors-{_DB_SLUG}.log"))

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: 5 failures for one username from one address lock it for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy every request comes from the proxy: list it here (addresses or networks) so that the
# lockout and the audit trail use the client's address from X-Forwarded-For. The header of any other caller is
# ignored (a client could write anything there). Default: none, REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_ip"

# Sessions: a working day, gone with the browser, never readable by scripts.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, never inline
# (data blocks from `json_script` are not scripts); data: images for Pico's icons, blob: for photo previews.
# /api/docs/ relaxes it for Swagger UI only (config/urls.py). Permissions-Policy: core.headers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The operator named on the monthly report to the regulator (reports.monthly).
OPERATOR_NAME = os.environ.get("OPERATOR_NAME", "Nhà mạng Demo")

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # Vietnamese numbers grouped as 35.000.000
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on each start without it
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# Upload limits: every upload has one (a reverse proxy in front should refuse larger bodies too).
# agents.csv / points.csv import in one transaction each: 20 MB is ~130,000 rows, well under a minute.
AGENTS_UPLOAD_MAX_BYTES = int(os.environ.get("AGENTS_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
# registrations.csv / activations.csv import in committed batches, so files of millions of rows are fine:
# 2 GB is some 7 million registrations.
REGISTRATIONS_UPLOAD_MAX_BYTES = int(os.environ.get("REGISTRATIONS_UPLOAD_MAX_BYTES", str(2 * 1024 * 1024 * 1024)))
# A request body that is not a file (a form, the ingest API's JSON of up to 10,000 rows): 10 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(10 * 1024 * 1024)))
# Uploaded files larger than this go to a temporary file instead of memory (Django's default, 2.5 MB).
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads (inspection photos, corrective-action evidence) on any S3-compatible store when S3_BUCKET is set.
# Objects stay private: pages stream them through views that check who may see them (storage.open),
# never by a public URL.
S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


def local_queue(folder: Path) -> dict:
    """Celery settings for a queue kept in files under `folder`: no service to run, and it works
    across processes, so the web server and the worker that `make run` starts beside it share it.

    Messages go through kombu's filesystem transport (one file per message in `queue/`, claimed by a
    rename); results are files in `results/` (pages ask whether a job sent from them has finished).
    """
    queue, results = folder / "queue", folder / "results"
    for path in (queue, results, folder / "control"):
        path.mkdir(parents=True, exist_ok=True)
    return {
        # "localhost": the transport ignores it, but without a host kombu warns on every connection
        "broker_url": "filesystem://localhost/",
        "broker_transport_options": {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(folder / "control"),
            # how often an idle worker looks for a new message file (kombu's default is 1 s)
            "polling_interval": 0.25,
        },
        "result_backend": results.as_uri(),
    }


REDIS_URL = os.environ.get("REDIS_URL", "")
# CELERY_EAGER=1: one process only, tasks run inside the request that sends them (no worker needed,
# but a long import holds the page until it is done and its progress bar is never seen moving).
CELERY_EAGER = env_bool("CELERY_EAGER", False)
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    # Nothing in the apps goes through the cache (progress, locks and heartbeats live on run and job
    # rows in the database), so a per-process cache is enough when web and worker are two processes.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _queue = local_queue(Path(os.environ.get("CELERY_QUEUE_DIR", VAR_DIR / "celery")))
    CELERY_BROKER_URL = _queue["broker_url"]
    CELERY_BROKER_TRANSPORT_OPTIONS = _queue["broker_transport_options"]
    CELERY_RESULT_BACKEND = _queue["result_backend"]
CELERY_TASK_ALWAYS_EAGER = CELERY_EAGER
# In-process tasks: let their errors surface where they are sent.
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Faults (issue 11): a worker rides out a broker outage, reconnecting for as long as it takes (a supervisor
# restarts it should it die anyway: README, Deployment); a task running when the connection drops is
# cancelled and, acked late, delivered again (the run records resume where they stopped).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A page that queues a task answers within about 2 s when the broker is down (core.runs.send_task turns that into
# a message): short connect timeouts and one quick retry, instead of kombu's and the Redis result
# backend's retries (tens of seconds).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 10, "max_retries": 1}
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
    CELERY_REDIS_SOCKET_TIMEOUT = 10
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
        "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
    }
# Queues by kind (issue 15): a worker started without -Q (make run, make worker) takes every queue; on more
# machines, each worker takes the kinds it is there for (`celery -A config worker -Q imports`, README: Scaling).
# A task not routed here goes to the default queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name) for name in ("celery", "imports", "checks", "reports")]
CELERY_TASK_ROUTES = {
    # files of up to millions of rows
    "agents.run_import_task": {"queue": "imports"},
    "registrations.run_import_task": {"queue": "imports"},
    # the rules over every registration, and the nightly chain that runs them with its other steps
    "registrations.run_checks_task": {"queue": "checks"},
    "inspections.nightly_chain_task": {"queue": "checks"},
    "inspections.schedule_inspections_task": {"queue": "checks"},
    "reports.subjects.apply_retention_task": {"queue": "checks"},
    # evidence packs and the audit trail's verification: long reads that write one file or one record
    "reports.evidence.make_pack_task": {"queue": "reports"},
    "core.verify_audit_task": {"queue": "reports"},
}
# The lease of a long job (core.runs): a RUNNING run silent for this long belongs to a process that died;
# its page says so and offers to resume, and the next run takes over.
RUNS_STALE_AFTER_SECONDS = int(os.environ.get("RUNS_STALE_AFTER_SECONDS", "60"))
# In code, in local time (CELERY_TIMEZONE): DESIGN section 6.
CELERY_BEAT_SCHEDULE: dict = {
    # 02:00 local: checks -> rescore -> schedule inspections -> escalate -> digest, as one chain with one
    # NightlyRun record (the chain runs the checks itself, so they have no entry of their own).
    "nightly-chain": {
        "task": "inspections.nightly_chain_task",
        "schedule": crontab(hour=2, minute=0),
        "kwargs": {"trigger": "SCHEDULE"},
    },
    # a job whose message a restarted broker forgot is sent again (core.runs.requeue_waiting)
    "requeue-waiting-jobs": {"task": "core.requeue_waiting_task", "schedule": crontab(minute="*/5")},
    # webhook messages whose retry has come due (core.webhooks.services: 1 min, 5 min, 30 min, 2 h, 8 h)
    "webhook-retries": {"task": "core.webhook_send_due_task", "schedule": crontab(minute="*")},
    # the remediation ladder's clock (enforcement.remediation): Circular 08's 2-hour suspension is on its list
    # within a quarter hour of the flag
    "remediation-ladder": {"task": "enforcement.remediation_advance_task", "schedule": crontab(minute="*/15")},
    # a terminated point's or agent's re-verification campaign starts within the hour (enforcement.campaigns)
    "campaign-terminations": {"task": "enforcement.campaigns_for_terminations_task", "schedule": crontab(minute=7)},
}
# The operator's outcomes file for the remediation ladder (external_id, step, outcome, done_at): small.
REMEDIATION_OUTCOMES_MAX_BYTES = int(os.environ.get("REMEDIATION_OUTCOMES_MAX_BYTES", str(5 * 1024 * 1024)))
# How long a job may wait for a worker before its message counts as lost and is sent again.
RUNS_QUEUE_LOST_AFTER_SECONDS = int(os.environ.get("RUNS_QUEUE_LOST_AFTER_SECONDS", "300"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a bad token answers 401 with a WWW-Authenticate header. DRF's, answering in the token's
        # user's language (or an explicit Accept-Language): the middleware cannot know that user.
        "core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SIM Agent Watch API",
    "DESCRIPTION": "Agents, registration points, registrations, activations, flags and inspections.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # a point or an agent: the sanction catalogue's target and a campaign's subject share one choice set
    "ENUM_NAME_OVERRIDES": {"PointOrAgentEnum": "inspections.models.outcomes.SanctionTarget"},
    # 400/401/403 (and 404 on paths with an id) on every operation: core/api/schema.py
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_error_answers",
    ],
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sim-agent-watch@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# Where the app is reached (e.g. https://watch.example.vn): the nightly digest links to it; blank: no links.
SITE_URL = os.environ.get("SITE_URL", "")
# Cancelled registrations are anonymised this many years after their cancellation (reports.subjects,
# `apply_retention` and the nightly chain's "retention" step); DESIGN section 1: identity records are
# kept for the service life plus 2 years.
RETENTION_YEARS = int(os.environ.get("RETENTION_YEARS", "2"))
# A terminated agent's tax code, phone numbers and owner's ID document stay on the blacklist (agents.blacklist)
# this many years from the termination, unless a manager lifts the entry sooner.
BLACKLIST_YEARS = int(os.environ.get("BLACKLIST_YEARS", "3"))
# Re-verification campaigns (enforcement.campaigns): an automatic campaign covers the registrations of this many
# days before the termination; terminations older than CAMPAIGN_SWEEP_DAYS get none (the feature's first run).
CAMPAIGN_DEFAULT_DAYS = int(os.environ.get("CAMPAIGN_DEFAULT_DAYS", "365"))
CAMPAIGN_SWEEP_DAYS = int(os.environ.get("CAMPAIGN_SWEEP_DAYS", "7"))
# Check runs (registrations.checks): a rule's incremental runs give way to a full run when its last full run is
# this many days old; a run's watermark waits this long at most for the transactions in flight at its start
# (an import committing), after a grace for a writer that has its change number but no transaction id yet.
CHECKS_FULL_EVERY_DAYS = int(os.environ.get("CHECKS_FULL_EVERY_DAYS", "7"))
# ... and an incremental run goes full when more rows changed than this share of the table and this many rows.
CHECKS_INCREMENTAL_MAX_SHARE = float(os.environ.get("CHECKS_INCREMENTAL_MAX_SHARE", "0.05"))
CHECKS_INCREMENTAL_MIN_ROWS = int(os.environ.get("CHECKS_INCREMENTAL_MIN_ROWS", "100000"))
CHECKS_INFLIGHT_WAIT_SECONDS = float(os.environ.get("CHECKS_INFLIGHT_WAIT_SECONDS", "900"))
CHECKS_INFLIGHT_GRACE_SECONDS = float(os.environ.get("CHECKS_INFLIGHT_GRACE_SECONDS", "0.5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_forbidden": {"()": "core.log_filters.QuietForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.request": {"filters": ["quiet_forbidden"]}},
}


def require(name: str) -> str:
    """For production: a setting that must come from the environment."""
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"Set {name} in the environment.")
    return value
