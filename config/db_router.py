"""Reads of pages and exports from a PostgreSQL read replica (issue 15), enabled by DATABASE_REPLICA_URL.

With the replica configured (settings add the `replica` alias, this router and ReplicaReadsMiddleware):

- a GET or HEAD request (a page, an export, an API read) reads from the replica, except:
  - the session, the signed-in user, its groups and permissions and the lockout records (a replica a moment
    behind would sign someone out right after signing in, or keep a revoked role for that moment);
  - anything inside a transaction (`transaction.atomic`: reads there must see what it is about to write);
  - anything after the request's first write (it reads its own writes: the primary from then on; the audit
    row an export writes before its rows does not count, nothing reads it back);
- every write, every other request (POST, PUT, PATCH, DELETE), Celery tasks (imports, check runs, packs),
  management commands and migrations use the primary (`default`);
- for STICKY_SECONDS after a request that may have written, the same browser's requests read the primary too
  (a cookie): the page a form redirects to shows what was just saved whatever the replica's lag.

Raw SQL through `django.db.connection` always runs on the primary. Without DATABASE_REPLICA_URL nothing
changes: no alias, no router, no middleware.
"""

import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connections

REPLICA = "replica"
PRIMARY = "default"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# After a request that may have written, the same browser reads the primary for this long (a cookie).
STICKY_COOKIE = "saw_primary_until"
STICKY_SECONDS = 10
# Read from the primary always: signing in, sessions, roles and permissions, lockouts.
PRIMARY_APPS = frozenset({"sessions", "auth", "contenttypes", "axes", "authtoken"})
PRIMARY_MODELS = frozenset({"core.user"})
# Append-only logs a request writes and never reads back (an export's audit row, written before its rows are
# read): writing one does not send the request's later reads to the primary.
WRITE_ONLY_LOGS = frozenset({"core.auditevent"})


@dataclass
class _Scope:
    wrote: bool = False


_scope: ContextVar[_Scope | None] = ContextVar("replica_reads", default=None)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        scope = _scope.get()
        if scope is None or scope.wrote:
            return PRIMARY
        if model._meta.app_label in PRIMARY_APPS or model._meta.label_lower in PRIMARY_MODELS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        scope = _scope.get()
        if scope is not None and model._meta.label_lower not in WRITE_ONLY_LOGS:
            scope.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY  # the replica follows the primary's schema through replication


class ReplicaReadsMiddleware:
    """Marks a GET/HEAD request as one whose reads may go to the replica (ReplicaRouter decides each read).
    First in MIDDLEWARE, so the whole request is inside the mark.

    Read your writes across requests: a request that may have written (any POST, PUT, PATCH, DELETE, or a GET
    that wrote) sets a cookie for STICKY_SECONDS, and the same browser's requests read the primary until it
    expires, so the page a form redirects to shows what was just saved even while the replica lags behind."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            return _sticky(request, self.get_response(request))
        if _recently_wrote(request):
            return self.get_response(request)
        scope = _Scope()
        token = _scope.set(scope)
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        if scope.wrote:
            return _sticky(request, response)
        if getattr(response, "streaming", False):
            # a streamed export reads as it is sent, after this returned: its reads stay in the mark
            response.streaming_content = _within(scope, response.streaming_content)
        return response


def _recently_wrote(request) -> bool:
    try:
        return float(request.COOKIES.get(STICKY_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def _sticky(request, response):
    until = time.time() + STICKY_SECONDS
    response.set_cookie(
        STICKY_COOKIE,
        f"{until:.0f}",
        max_age=STICKY_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _within(scope: _Scope, content):
    """Each chunk of a streamed response produced with the request's mark set (and unset between chunks)."""
    chunks = iter(content)
    while True:
        token = _scope.set(scope)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        finally:
            _scope.reset(token)
        yield chunk


class replica_reads:  # noqa: N801 - used like a function: `with replica_reads(): ...`
    """The same mark outside a request (a streamed export's generator, a test): `with replica_reads(): ...`."""

    def __enter__(self):
        self._token = _scope.set(_Scope())
        return self

    def __exit__(self, *exc):
        _scope.reset(self._token)
