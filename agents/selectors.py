"""Reads for pages, exports and the API; all start from the user's province scope."""

import csv
import io

from django.db import connection

from core.scoping import access_object, user_can_see_province

from .models import Agent, RegistrationPoint, StatusChange


def agent_list(*, user):
    return Agent.objects.for_user(user).select_related("province", "parent")


def point_list(*, user):
    return RegistrationPoint.objects.for_user(user).select_related("province", "agent")


# What a row of the agents and points lists shows, and their sort fields (issue 15): not every column of
# the agent or point and of each related row.
_ROW_FIELDS = (
    "code",
    "name",
    "kind",
    "province__name",
    "status",
    "risk_tier",
    "risk_score",
    "risk_factors",
    "updated_at",
)


def agent_rows(*, user):
    """agent_list with only the columns a list row shows (the parent's code and province: visible_parent)."""
    return agent_list(user=user).only(*_ROW_FIELDS, "parent__code", "parent__province")


def point_rows(*, user):
    """point_list with only the columns a list row shows."""
    return point_list(user=user).only(*_ROW_FIELDS, "agent__code", "address")


def agent_get(*, user, pk) -> Agent:
    return access_object(agent_list(user=user), user, pk=pk)


def point_get(*, user, pk) -> RegistrationPoint:
    return access_object(point_list(user=user), user, pk=pk)


def agent_by_code(*, user, code: str) -> Agent | None:
    return Agent.objects.for_user(user).filter(code=code).first()


def status_history(obj):
    field = "agent" if isinstance(obj, Agent) else "point"
    return StatusChange.objects.filter(**{field: obj}).select_related("actor").order_by("-changed_at", "-id")


def visible_parent(agent: Agent, *, user) -> Agent | None:
    """The agent's parent if the user may see it: a parent in a province outside the user's is not shown
    (not even its code) on the pages, exports and API answers about an agent the user may see."""
    parent = agent.parent if agent.parent_id else None
    if parent is None or not user_can_see_province(user, parent.province_id):
        return None
    return parent


def visible_parent_code(agent: Agent, *, user) -> str:
    parent = visible_parent(agent, user=user)
    return parent.code if parent else ""


def agent_tree_ids(agent_ids) -> list[int]:
    """The agents given and every agent below them in the dealer tree (sub-agents, their sub-agents...),
    in one recursive query (PostgreSQL and SQLite alike); UNION, not UNION ALL, so a loop in bad data ends."""
    ids = [int(pk) for pk in agent_ids]
    if not ids:
        return []
    table = Agent._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"WITH RECURSIVE tree(id) AS (SELECT id FROM {table} WHERE id IN ({marks}) "  # noqa: S608 (our table name)
        f"UNION SELECT a.id FROM {table} a JOIN tree t ON a.parent_id = t.id) SELECT id FROM tree"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return [row[0] for row in cursor.fetchall()]


REJECTS_SHOWN = 20


def import_job_rejects_sample(job, limit: int = REJECTS_SHOWN) -> tuple[list[tuple[str, str]], bool]:
    """The first `limit` rejected rows of a finished agents/points job as (line, reason), read from its rejects
    file (which keeps no document number in clear), and whether there are more: what the result page lists."""
    if not job.rejects_file:
        return [], False
    rows: list[tuple[str, str]] = []
    with job.rejects_file.open("rb") as binary:
        reader = csv.reader(io.TextIOWrapper(binary, encoding="utf-8", newline=""))
        next(reader, None)  # the header
        for record in reader:
            if len(rows) == limit:
                return rows, True
            rows.append((record[0], record[1] if len(record) > 1 else ""))
    return rows, False
