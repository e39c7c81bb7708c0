from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record


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
