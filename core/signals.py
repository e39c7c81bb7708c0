"""Audit rows for what happens outside our services: sign-ins, and account changes made by Django's own
paths (the admin, `createsuperuser`, `changepassword`, DRF's token admin)."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from .audit import audit_record
from .models import User

_tokens_quiet: ContextVar[bool] = ContextVar("tokens_quiet", default=False)


@contextmanager
def quiet_token_signals():
    """Within a service that records its own event for a token change."""
    reset = _tokens_quiet.set(True)
    try:
        yield
    finally:
        _tokens_quiet.reset(reset)


@receiver(user_logged_in, dispatch_uid="core.audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_record(action="auth.login", actor=user, obj=user, request=request)


@receiver(user_logged_out, dispatch_uid="core.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="auth.logout", actor=user, obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="core.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # credentials are already scrubbed of the password by Django
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        action="auth.login_failed", actor_label=username, object_type="core.user", object_repr=username, request=request
    )


@receiver(post_save, sender=User, dispatch_uid="core.audit_password")
def audit_password_set(sender, instance, created, raw=False, **kwargs):
    """Every password set, whatever the path (the value never is). Django keeps the new raw password on
    `_password` until save() has finished; our services record their own event and mark it."""
    if raw or getattr(instance, "_password", None) is None or getattr(instance, "_password_audited", False):
        return
    audit_record(action="user.create" if created else "user.password_set", obj=instance, fields={"password": "set"})


@receiver(post_save, sender=Token, dispatch_uid="core.audit_token_issue")
def audit_token_issue(sender, instance, created, raw=False, **kwargs):
    if created and not raw and not _tokens_quiet.get():
        audit_record(action="user.token_issue", obj=instance.user)


@receiver(post_delete, sender=Token, dispatch_uid="core.audit_token_revoke")
def audit_token_revoke(sender, instance, **kwargs):
    if not _tokens_quiet.get():
        audit_record(action="user.token_revoke", object_type="core.user", object_id=str(instance.user_id))
