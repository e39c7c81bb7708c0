"""Reads for pages, exports and the API; all start from the user's province scope."""

from core.scoping import access_object

from .models import Agent, RegistrationPoint, StatusChange


def agent_list(*, user):
    return Agent.objects.for_user(user).select_related("province", "parent")


def point_list(*, user):
    return RegistrationPoint.objects.for_user(user).select_related("province", "agent")


def agent_get(*, user, pk) -> Agent:
    return access_object(agent_list(user=user), user, pk=pk)


def point_get(*, user, pk) -> RegistrationPoint:
    return access_object(point_list(user=user), user, pk=pk)


def agent_by_code(*, user, code: str) -> Agent | None:
    return Agent.objects.for_user(user).filter(code=code).first()


def status_history(obj):
    field = "agent" if isinstance(obj, Agent) else "point"
    return StatusChange.objects.filter(**{field: obj}).select_related("actor").order_by("-changed_at", "-id")
