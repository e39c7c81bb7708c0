"""Managing user accounts: roles, provinces, passwords and API tokens, each change audited.

Who may manage whom (DESIGN section 2: managers manage users): a compliance manager manages accounts
inside its own reach only. An account is inside when it is not "all provinces" and every province it
holds is one of the manager's (a manager of all provinces manages every account). Never a superuser,
never itself: nobody widens their own reach or resets their own role this way. Only a superuser uses
`/admin/`.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from .audit import audit_record
from .models import Province, User
from .roles import Role, role_of
from .scoping import province_scope
from .signals import quiet_token_signals

MANAGE_PERMISSION = "core.change_user"
CREATE_PERMISSION = "core.add_user"


def may_manage(actor: User, target: User) -> bool:
    """Whether `actor` may change `target`'s account (see the module docstring)."""
    if not actor.has_perm(MANAGE_PERMISSION) or target.is_superuser or target.pk == actor.pk:
        return False
    return _within_reach(actor, all_provinces=target.all_provinces, provinces=_codes_of(target))


def _within_reach(actor: User, *, all_provinces: bool, provinces: Iterable[str]) -> bool:
    scope = province_scope(actor)
    if scope is None:
        return True
    return not all_provinces and set(provinces) <= scope


def _codes_of(user: User) -> set[str]:
    return set(user.provinces.values_list("code", flat=True)) if user.pk else set()


def _check_access(actor: User, *, role: str, all_provinces: bool, provinces: list[Province]) -> None:
    """The role and reach given to an account must be within the actor's own."""
    errors = {}
    if role not in Role.values:
        errors["role"] = _("Choose one of the roles.")
    scope = province_scope(actor)
    if all_provinces and scope is not None:
        errors["all_provinces"] = _("Only a manager of all provinces can give all provinces.")
    outside = sorted(p.code for p in provinces if scope is not None and p.code not in scope)
    if outside:
        errors["provinces"] = _("Outside your provinces: %(codes)s.") % {"codes": ", ".join(outside)}
    if errors:
        raise ValidationError(errors)


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def _access_of(user: User) -> dict:
    return {
        "role": role_of(user) or "",
        "all_provinces": user.all_provinces,
        "provinces": sorted(_codes_of(user)),
        "is_active": user.is_active,
    }


def _set_role(user: User, role: str) -> None:
    keep = user.groups.exclude(name__in=Role.values)
    user.groups.set([*keep, Group.objects.get_or_create(name=role)[0]])
    user.__dict__.pop("_role_cache", None)


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    role: str,
    provinces: list[Province],
    password: str,
    all_provinces: bool = False,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """A new account with a role, a reach and a first password (the person changes it after signing in)."""
    if not actor.has_perm(CREATE_PERMISSION):
        raise PermissionDenied
    _check_access(actor, role=role, all_provinces=all_provinces, provinces=provinces)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    user = User(username=username, first_name=first_name, last_name=last_name, email=email, all_provinces=all_provinces)
    _check_password(password, user)
    user.set_password(password)
    user._password_audited = True  # the create event below says so
    user.full_clean(exclude=["password"])
    user.save()
    user.provinces.set(provinces)
    _set_role(user, role)
    audit_record(action="user.create", actor=actor, obj=user, fields={"after": _access_of(user), "password": "set"})
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    role: str,
    provinces: list[Province],
    is_active: bool,
    all_provinces: bool = False,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """Change an account's names, role, reach or whether it may sign in; audited with before and after."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not may_manage(actor, user):
        raise PermissionDenied
    _check_access(actor, role=role, all_provinces=all_provinces, provinces=provinces)
    before = {**_access_of(user), "name": user.get_full_name(), "email": user.email}
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.all_provinces, user.is_active = all_provinces, is_active
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "email", "all_provinces", "is_active"])
    user.provinces.set(provinces)
    _set_role(user, role)
    user.__dict__.pop("_province_scope_cache", None)
    revoked = False
    if not is_active:
        with quiet_token_signals():  # recorded in this change's event
            revoked = bool(Token.objects.filter(user=user).delete()[0])  # its token stops working too
    after = {**_access_of(user), "name": user.get_full_name(), "email": user.email}
    if after != before:
        changed = sorted(key for key in after if after[key] != before[key])
        fields = {"changed": changed, "before": before, "after": after, "token_revoked": revoked}
        audit_record(action="user.change", actor=actor, obj=user, fields=fields)
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> None:
    """Set another account's password (e.g. a forgotten one); the value is never recorded."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not may_manage(actor, user):
        raise PermissionDenied
    _check_password(password, user)
    user.set_password(password)
    user._password_audited = True
    user.save(update_fields=["password"])
    audit_record(action="user.password_set", actor=actor, obj=user)


@transaction.atomic
def user_token_issue(*, actor: User, user: User) -> str:
    """A new API token for an integration account (any earlier one stops working); the key is shown once."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not may_manage(actor, user):
        raise PermissionDenied
    if role_of(user) != Role.INTEGRATION:
        raise ValidationError(_("Only integration accounts have API tokens."))
    with quiet_token_signals():
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
    audit_record(action="user.token_issue", actor=actor, obj=user)
    return token.key


@transaction.atomic
def user_token_revoke(*, actor: User, user: User) -> bool:
    """Revoke the account's API token; whether there was one."""
    if not may_manage(actor, user):
        raise PermissionDenied
    with quiet_token_signals():
        deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted:
        audit_record(action="user.token_revoke", actor=actor, obj=user)
    return bool(deleted)
