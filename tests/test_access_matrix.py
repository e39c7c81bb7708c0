"""Access-control matrix (issue 11): every URL pattern x every role (and anonymous) x an object in the
user's province, in another province and in none, for GET and for each write the view accepts.

`MATRIX` declares, per URL name, who may read, who may write and how its object is scoped. A URL
pattern without an entry fails `test_every_url_pattern_is_in_the_matrix` ("add it to the matrix"); a
view that forgets scoping fails `test_url_answers_as_the_matrix_says` (an object of another province
must answer 404, DESIGN section 2). Writes that are refused must leave every table as it was.

Users: each role limited to Hà Nội ("001", `-in`) and with every province (`-all`), plus anonymous.
Objects: in Hà Nội ("in"), in TP Hồ Chí Minh ("out") and, where the model allows, in no province
("none": an APP registration, a flag on an activation). One test per URL name keeps the scene built
once per URL and loops over users, objects and methods inside it.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core.models import ImportJob
from core.roles import Role
from registrations.models import CheckRun, Rule
from tests.agents.factories import AgentFactory, PointFactory
from tests.enforcement.campaigns import matrix as campaigns
from tests.enforcement.remediation import matrix as remediation
from tests.enforcement.sanctions.matrix import ladder_form, suggestion_for
from tests.inspections.factories import ReportFactory, TaskFactory, make_action, make_finding, make_sanction
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag
from tests.reports.evidence.factories import pack_args as evidence_pack_args
from tests.reports.subjects.matrix import subject_request_for

READERS = frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR})
STAFF = frozenset({Role.OFFICER, Role.MANAGER})
MANAGER = frozenset({Role.MANAGER})
AUDIT = frozenset({Role.MANAGER, Role.AUDITOR})
INSPECTOR = frozenset({Role.INSPECTOR})
EVERYONE = frozenset(Role)
IMPORTERS = frozenset({Role.OFFICER, Role.MANAGER, Role.INTEGRATION})
API_READERS = frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR, Role.INTEGRATION})

# How an object is scoped: "province" (404 outside the user's provinces, and for a limited user an
# object in no province), "owner" (404 unless the user's own: import jobs, an inspector's tasks),
# "global" (no province: rules, checklists, runs).
PROVINCE, OWNER, GLOBAL = "province", "owner", "global"
# "team": import jobs (issue 13): the user's own, and the team's within the user's provinces; the scene's
# other job is an all-provinces officer's, so only users with every province see it
TEAM = "team"


@dataclass(frozen=True)
class Access:
    """Who may do what on one URL name."""

    read: frozenset  # roles whose GET succeeds (others: 403)
    write: frozenset | None = None  # roles whose writes succeed; None: a read-only view (POST -> 405)
    obj: str | None = None  # the scene's object kind in the URL ("point", "flag", ...)
    scope: str = PROVINCE
    args: Callable | None = None  # obj -> reverse() args; default [obj.pk]; without obj: []
    data: Callable | dict | None = None  # a valid write body (obj -> dict), so a refused write is a real one
    get: str = "ok"  # "ok": 200; "any": any answer below 400; "none": the view answers no GET (405)
    audited_read: bool = False  # its GET writes an audit row (exports), so a POST answered as a GET does too
    owner_roles: frozenset = frozenset()  # roles that see only their own objects (by `owner`)
    owner: Callable | None = None  # obj -> the user it belongs to, for `owner_roles`
    unreachable: tuple = ()  # object variants that answer 404 to everyone (no such thing to act on)
    # operator-wide settings (webhooks): a user limited to some provinces is refused (403), GET and writes alike
    all_provinces_only: bool = False
    note: str = ""


def _pk(o):
    return [o.pk]


def _webhook_form(_o=None):
    return {"name": "SOC", "url": "http://127.0.0.1:9/matrix", "event_types": ["sanction.approved"]}


MATRIX: dict[str, Access] = {
    # --- core
    "home": Access(read=EVERYONE, get="any"),
    "login": Access(read=EVERYONE, get="any", write=EVERYONE, note="public sign-in page"),
    "logout": Access(read=EVERYONE, get="none", write=EVERYONE),
    "set_language": Access(read=EVERYONE, get="any", write=EVERYONE, data={"language": "en"}),
    "core:audit_list": Access(read=AUDIT),
    "core:user_list": Access(read=MANAGER),
    "core:user_create": Access(read=MANAGER, write=MANAGER),
    "core:user_detail": Access(read=MANAGER, obj="user"),
    "core:user_edit": Access(read=MANAGER, write=MANAGER, obj="user", data=lambda u: {"role": "auditor"}),
    "core:user_password": Access(read=MANAGER, get="none", write=MANAGER, obj="user", data={}),
    "core:user_token": Access(
        read=MANAGER, get="none", write=MANAGER, obj="user", args=lambda u: [u.pk, "issue"], data={}
    ),
    # --- agents
    "agents:agent_list": Access(read=READERS),
    "agents:agent_create": Access(read=STAFF, write=STAFF),
    "agents:agent_export": Access(read=READERS, audited_read=True),
    "agents:agent_detail": Access(read=READERS, obj="agent"),
    "agents:agent_edit": Access(read=STAFF, write=STAFF, obj="agent", data=lambda a: {"name": "Renamed"}),
    "agents:agent_status": Access(
        read=STAFF,
        write=STAFF,
        obj="agent",
        args=lambda a: [a.pk, "suspend"],
        data={"action": "suspend", "reason": "matrix"},
    ),
    "agents:point_list": Access(read=READERS),
    "agents:point_create": Access(read=STAFF, write=STAFF),
    "agents:point_export": Access(read=READERS, audited_read=True),
    "agents:point_detail": Access(read=READERS, obj="point"),
    "agents:point_edit": Access(read=STAFF, write=STAFF, obj="point", data=lambda p: {"name": "Renamed"}),
    "agents:point_status": Access(
        read=STAFF,
        write=STAFF,
        obj="point",
        args=lambda p: [p.pk, "suspend"],
        data={"action": "suspend", "reason": "matrix"},
    ),
    "agents:import": Access(read=IMPORTERS, write=IMPORTERS),
    "agents:import_result": Access(read=IMPORTERS),
    # the jobs' progress fragment: like the result page, it lists only the user's own jobs (?jobs=ids)
    "agents:import_progress": Access(read=IMPORTERS),
    "agents:import_rejects": Access(read=IMPORTERS, obj="agents_job", scope=TEAM),
    # --- registrations: records, imports
    "registrations:registration_list": Access(read=READERS, write=READERS, note="search by POST (item 6)"),
    "registrations:registration_detail": Access(read=READERS, obj="registration"),
    "registrations:registration_reveal": Access(
        read=STAFF, get="none", write=STAFF, obj="registration", data={"reason": "matrix check"}
    ),
    "registrations:import": Access(read=IMPORTERS, write=IMPORTERS),
    "registrations:import_detail": Access(read=IMPORTERS, obj="import_job", scope=TEAM),
    "registrations:import_progress": Access(read=IMPORTERS, obj="import_job", scope=TEAM),
    "registrations:import_rejects": Access(read=IMPORTERS, obj="import_job", scope=TEAM),
    "registrations:import_resume": Access(
        read=IMPORTERS, get="none", write=IMPORTERS, obj="import_job", scope=TEAM, data={}
    ),
    # --- registrations: checks (flags, rules, runs)
    "registrations:flag_list": Access(read=READERS),
    "registrations:point_flags_section": Access(read=READERS, obj="point"),
    "registrations:agent_flags_section": Access(read=READERS, obj="agent"),
    "registrations:registration_flags_section": Access(read=READERS, obj="registration"),
    "registrations:flag_review_bulk": Access(
        read=READERS, get="none", write=STAFF, data={"to_status": "DISMISSED", "reason": "matrix", "ids": []}
    ),
    "registrations:flag_export": Access(read=READERS, audited_read=True),
    "registrations:flag_detail": Access(read=READERS, obj="flag"),
    "registrations:flag_review": Access(
        read=READERS, get="none", write=STAFF, obj="flag", data={"to_status": "DISMISSED", "reason": "matrix"}
    ),
    "registrations:rule_list": Access(read=READERS),
    "registrations:rule_detail": Access(
        read=READERS,
        write=MANAGER,
        obj="rule",
        scope=GLOBAL,
        args=lambda r: [r.code],
        data={"enabled": "", "reason": "matrix check: switch off"},
    ),
    "registrations:rule_rollback": Access(
        read=READERS,
        get="none",
        write=MANAGER,
        obj="rule",
        scope=GLOBAL,
        args=lambda r: [r.code],
        data={"version": "1", "reason": "matrix check: restore"},
    ),
    "registrations:rule_backtest": Access(
        read=READERS, get="none", write=MANAGER, obj="rule", scope=GLOBAL, args=lambda r: [r.code], data={}
    ),
    "registrations:checkrun_list": Access(read=READERS),
    "registrations:checkrun_start": Access(read=READERS, get="none", write=STAFF, data={}),
    "registrations:checkrun_detail": Access(read=READERS, obj="checkrun", scope=GLOBAL),
    "registrations:checkrun_progress": Access(read=READERS, obj="checkrun", scope=GLOBAL),
    # --- inspections: office
    "inspections:task_list": Access(read=READERS),
    "inspections:task_assign_bulk": Access(read=STAFF, get="none", write=STAFF, data={}),
    "inspections:task_create": Access(read=STAFF, write=STAFF),
    "inspections:task_create_from_flag": Access(
        read=STAFF, write=STAFF, obj="flag", unreachable=("none",), note="an activation's flag has no point to inspect"
    ),
    "inspections:task_bulk_create": Access(read=STAFF, write=STAFF),
    "inspections:task_detail": Access(read=READERS, obj="task"),
    "inspections:task_assign": Access(read=STAFF, get="none", write=STAFF, obj="task", data={}),
    "inspections:task_unassign": Access(read=STAFF, get="none", write=STAFF, obj="task", data={}),
    "inspections:task_cancel": Access(read=STAFF, write=STAFF, obj="task", data={"reason": "matrix"}),
    "inspections:task_review": Access(read=STAFF, get="none", write=STAFF, obj="task", data={}),
    "inspections:finding_list": Access(read=READERS),
    "inspections:finding_detail": Access(read=READERS, obj="finding"),
    "inspections:sanction_propose": Access(read=STAFF, write=STAFF, obj="finding"),
    "inspections:sanction_list": Access(read=READERS),
    "inspections:sanction_detail": Access(read=READERS, obj="sanction"),
    "inspections:sanction_decide": Access(
        read=MANAGER,
        get="none",
        write=MANAGER,
        obj="sanction",
        args=lambda s: [s.pk, "reject"],
        data={"note": "matrix"},
    ),
    "inspections:action_create": Access(read=STAFF, write=STAFF, obj="finding"),
    "inspections:action_list": Access(read=READERS),
    "inspections:action_detail": Access(read=READERS, obj="action"),
    "inspections:action_evidence": Access(read=STAFF, write=STAFF, obj="action", data={}),
    "inspections:action_evidence_file": Access(read=READERS, obj="action"),
    "inspections:checklist_list": Access(read=READERS),
    "inspections:checklist_detail": Access(read=READERS, obj="checklist", scope=GLOBAL),
    "inspections:checklist_edit": Access(read=MANAGER, write=MANAGER, obj="checklist", scope=GLOBAL),
    "inspections:point_section": Access(read=READERS, obj="point"),
    "inspections:agent_section": Access(read=READERS, obj="agent"),
    "inspections:home_section": Access(read=READERS),
    # --- inspections: field (an inspector's own tasks)
    "inspections:my_tasks": Access(read=INSPECTOR),
    # the field app's service worker, manifest and offline page (issue 14): public, no personal data (the worker
    # is checked for updates when the inspector is signed out too)
    "inspections:field_service_worker": Access(read=EVERYONE, note="public: code and static file names only"),
    "inspections:field_manifest": Access(read=EVERYONE, note="public web app manifest"),
    "inspections:field_offline": Access(read=EVERYONE, note="public page shown offline, no personal data"),
    "inspections:task_work": Access(read=INSPECTOR, obj="field_task", scope=OWNER),
    **{
        f"inspections:{name}": Access(read=INSPECTOR, get="none", write=INSPECTOR, obj="field_task", scope=OWNER)
        for name in (
            "field_checkin",
            "field_answers",
            "field_remarks",
            "field_photo",
            "field_sim",
            "field_sim_remove",
            "field_checkout",
            "field_submit",
        )
    },
    "inspections:field_photo_remove": Access(
        read=INSPECTOR,
        get="none",
        write=INSPECTOR,
        obj="photo",
        scope=OWNER,
        args=lambda p: [p.report.task_id, p.pk],
        data={},
    ),
    "inspections:photo": Access(
        read=READERS | INSPECTOR,
        obj="photo",
        owner_roles=INSPECTOR,
        owner=lambda p: p.report.task.inspector,
        note="an inspector sees the photos of its own tasks only",
    ),
    # --- inspections: risk and the nightly chain
    "inspections:policy": Access(read=READERS, write=MANAGER),
    "inspections:policy_rescore": Access(read=READERS, get="none", write=MANAGER, data={}),
    "inspections:nightly_list": Access(read=READERS),
    "inspections:nightly_start": Access(read=READERS, get="none", write=MANAGER, data={}),
    "inspections:nightly_detail": Access(read=READERS, obj="nightly", scope=GLOBAL),
    "inspections:nightly_progress": Access(read=READERS, obj="nightly", scope=GLOBAL),
    # --- API v1
    "api:me": Access(read=EVERYONE),
    "api:agent_list": Access(read=API_READERS, write=frozenset({Role.OFFICER, Role.MANAGER, Role.INTEGRATION})),
    "api:agent_detail": Access(
        read=API_READERS, write=frozenset({Role.OFFICER, Role.MANAGER, Role.INTEGRATION}), obj="agent"
    ),
    "api:point_list": Access(read=API_READERS, write=frozenset({Role.OFFICER, Role.MANAGER, Role.INTEGRATION})),
    "api:point_detail": Access(
        read=API_READERS, write=frozenset({Role.OFFICER, Role.MANAGER, Role.INTEGRATION}), obj="point"
    ),
    **{
        f"api:{kind}_{action}": Access(read=STAFF, get="none", write=STAFF, obj=kind, data={"reason": "matrix"})
        for kind in ("agent", "point")
        for action in ("suspend", "reinstate", "terminate")
    },
    "api:registration_list": Access(read=READERS),
    "api:registration_search": Access(read=READERS, get="none", write=READERS),
    "api:registration_detail": Access(read=READERS, obj="registration"),
    "api:registration_reveal": Access(
        read=STAFF, get="none", write=STAFF, obj="registration", data={"reason": "matrix check"}
    ),
    "api:activation_list": Access(read=READERS),
    "api:import_registrations": Access(read=IMPORTERS, get="none", write=IMPORTERS),
    "api:import_activations": Access(read=IMPORTERS, get="none", write=IMPORTERS),
    "api:import_job_detail": Access(read=IMPORTERS, obj="import_job", scope=TEAM),
    "api:import_job_rejects": Access(read=IMPORTERS, obj="import_job", scope=TEAM),
    "api:flag_list": Access(read=READERS),
    "api:flag_review": Access(read=READERS, get="none", write=STAFF),
    "api:flag_detail": Access(read=READERS, obj="flag"),
    "api-schema": Access(read=EVERYONE),
    "api-docs": Access(read=EVERYONE),
    # --- core audit trail (issue 12)
    "core:audit_export": Access(read=AUDIT, audited_read=True),
    "core:audit_verify": Access(read=AUDIT, write=AUDIT, note="a verification of the chain: a job"),
    # --- reports.evidence
    "reports:agent_evidence_section": Access(read=READERS, obj="agent"),
    "reports:point_evidence_section": Access(read=READERS, obj="point"),
    "reports:agent_evidence_create": Access(read=STAFF, get="none", write=STAFF, obj="agent"),
    "reports:point_evidence_create": Access(read=STAFF, get="none", write=STAFF, obj="point"),
    "reports:evidence_download": Access(
        read=READERS, obj="point", args=evidence_pack_args, audited_read=True, note="a DONE pack of the point"
    ),
    # --- reports.monthly
    "reports:monthly": Access(read=READERS),
    "reports:monthly_csv": Access(read=READERS),
    "reports:monthly_pdf": Access(read=READERS),
    "reports:monthly_issue": Access(read=MANAGER, get="none", write=MANAGER, data={"month": "2026-03", "lang": "vi"}),
    # an issue of Hà Nội (provinces ["001"]), made once per scene: `_monthly_issue` below
    "reports:monthly_issue_detail": Access(read=READERS, args=lambda _o: [_monthly_issue().pk]),
    "reports:monthly_issue_file": Access(read=READERS, args=lambda _o: [_monthly_issue().pk, "pdf"]),
    "api:monthly_figures": Access(read=READERS, args=lambda _o: ["2026-03"]),
    # --- reports.subjects
    "reports:subject_request_list": Access(read=READERS),
    "reports:subject_request_create": Access(read=STAFF, write=STAFF, data={"kind": "SEE", "msisdn": "0912000111"}),
    "reports:subject_request_detail": Access(
        read=READERS, obj="registration", args=lambda r: [subject_request_for(r).pk]
    ),
    "reports:subject_request_act": Access(
        read=STAFF,
        get="none",
        write=STAFF,
        obj="registration",
        args=lambda r: [subject_request_for(r).pk, "acknowledge"],
        data={},
    ),
    "reports:subject_request_download": Access(
        read=STAFF,
        obj="registration",
        args=lambda r: [subject_request_for(r, done_see=True).pk, "json"],
        audited_read=True,
        note="a completed SEE request's data; auditors read requests but never personal data",
    ),
    "api:subject_request_list": Access(read=READERS, write=STAFF, data={"kind": "SEE", "msisdn": "0912000111"}),
    "api:subject_request_detail": Access(read=READERS, obj="registration", args=lambda r: [subject_request_for(r).pk]),
    "api:subject_request_act": Access(
        read=STAFF,
        get="none",
        write=STAFF,
        obj="registration",
        args=lambda r: [subject_request_for(r).pk],
        data={"action": "acknowledge"},
    ),
    "api:subject_request_data": Access(
        read=STAFF,
        obj="registration",
        args=lambda r: [subject_request_for(r, done_see=True).pk],
        audited_read=True,
    ),
    # --- reports.dashboard
    "reports:dashboard": Access(read=READERS, note="home of officers, managers and auditors; counts by province"),
    # --- enforcement.remediation (issue 16)
    "enforcement:remediation_case_list": Access(read=READERS),
    "enforcement:remediation_case_detail": Access(
        read=READERS, obj="registration", args=lambda r: [remediation.case_for(r).pk]
    ),
    "enforcement:remediation_step_list": Access(read=READERS, note="MSISDNs masked on the page"),
    "enforcement:remediation_lists": Access(read=READERS, note="MSISDNs masked on the page"),
    "enforcement:remediation_list_issue": Access(read=STAFF, get="none", write=STAFF, data=remediation.send_body),
    "enforcement:remediation_issue_csv": Access(
        read=STAFF,
        obj="registration",
        args=lambda r: [remediation.issue_for(r).pk],
        audited_read=True,
        note="the list's MSISDNs for the operator's CRM; auditors read the lists masked",
    ),
    "enforcement:remediation_policy": Access(read=READERS, write=MANAGER, data=remediation.policy_body),
    "enforcement:remediation_outcomes": Access(read=STAFF, write=STAFF, data={}),
    "enforcement:remediation_outcome_job": Access(read=STAFF, obj="outcomes_job", scope=TEAM),
    "api:remediation_case_list": Access(read=API_READERS, note="MSISDNs masked"),
    "api:remediation_case_detail": Access(
        read=API_READERS, obj="registration", args=lambda r: [remediation.case_for(r).pk]
    ),
    "api:remediation_steplist": Access(read=IMPORTERS, audited_read=True, data={}),
    "api:remediation_steplist_send": Access(read=IMPORTERS, get="none", write=IMPORTERS, data=remediation.send_body),
    "api:remediation_outcomes": Access(read=IMPORTERS, get="none", write=IMPORTERS, data=remediation.OUTCOMES_BODY),
    "api:remediation_outcome_job": Access(read=IMPORTERS, obj="outcomes_job", scope=TEAM),
    # --- enforcement.campaigns (issue 16)
    "enforcement:campaign_list": Access(read=READERS),
    "enforcement:campaign_create": Access(read=MANAGER, write=MANAGER, data=campaigns.create_body),
    "enforcement:campaign_detail": Access(read=READERS, obj="point", args=lambda p: [campaigns.campaign_for(p).pk]),
    "enforcement:campaign_close": Access(
        read=MANAGER, get="none", write=MANAGER, obj="point", args=lambda p: [campaigns.campaign_for(p).pk], data={}
    ),
    "enforcement:campaign_withdraw": Access(
        read=MANAGER,
        get="none",
        write=MANAGER,
        obj="point",
        args=lambda p: [campaigns.campaign_for(p).pk],
        data=campaigns.WITHDRAW_BODY,
    ),
    "api:campaign_withdraw": Access(
        read=MANAGER,
        get="none",
        write=MANAGER,
        obj="point",
        args=lambda p: [campaigns.campaign_for(p).pk],
        data=campaigns.WITHDRAW_BODY,
    ),
    "api:campaign_list": Access(read=API_READERS),
    "api:campaign_detail": Access(read=API_READERS, obj="point", args=lambda p: [campaigns.campaign_for(p).pk]),
    # --- enforcement.sanctions: the sanction ladder (issue 16)
    "enforcement:ladder": Access(read=READERS, note="operator-wide setting: every reader reads it"),
    "enforcement:ladder_edit": Access(read=MANAGER, write=MANAGER, data=ladder_form),
    "enforcement:suggestion_list": Access(read=READERS),
    "enforcement:suggestion_detail": Access(read=READERS, obj="finding", args=lambda f: [suggestion_for(f).pk]),
    "enforcement:suggestion_confirm": Access(
        read=STAFF,
        get="none",
        write=STAFF,
        obj="finding",
        args=lambda f: [suggestion_for(f).pk],
        data={"note": "matrix check"},
    ),
    "enforcement:suggestion_dismiss": Access(
        read=STAFF,
        get="none",
        write=STAFF,
        obj="finding",
        args=lambda f: [suggestion_for(f).pk],
        data={"reason": "matrix check"},
    ),
    "enforcement:finding_ladder_section": Access(read=READERS, obj="finding"),
    "enforcement:sanction_ladder_section": Access(read=READERS, obj="sanction"),
    "enforcement:point_ladder_section": Access(read=READERS, obj="point"),
    "enforcement:agent_ladder_section": Access(read=READERS, obj="agent"),
    "api:sanction_ladder": Access(read=READERS),
    "api:sanction_suggestion_list": Access(read=READERS),
    "api:sanction_suggestion_detail": Access(read=READERS, obj="finding", args=lambda f: [suggestion_for(f).pk]),
    "api:sanction_suggestion_confirm": Access(
        read=STAFF,
        get="none",
        write=STAFF,
        obj="finding",
        args=lambda f: [suggestion_for(f).pk],
        data={"note": "matrix check"},
    ),
    "api:sanction_suggestion_dismiss": Access(
        read=STAFF,
        get="none",
        write=STAFF,
        obj="finding",
        args=lambda f: [suggestion_for(f).pk],
        data={"reason": "matrix check"},
    ),
    # --- agents.blacklist (issue 16)
    "agents:blacklist_list": Access(read=READERS),
    "agents:blacklist_detail": Access(read=READERS, obj="blacklist"),
    "agents:blacklist_add": Access(read=MANAGER, write=MANAGER, data={"agent_code": "AG-HN", "reason": "matrix"}),
    "agents:blacklist_lift": Access(read=MANAGER, write=MANAGER, obj="blacklist", data={"reason": "matrix"}),
    "api:blacklist_list": Access(read=READERS),
    "api:blacklist_detail": Access(read=READERS, obj="blacklist"),
    # --- core.webhooks (issue 16): operator-wide, so managed by managers with every province only
    "core:webhook_list": Access(read=AUDIT),
    "core:webhook_detail": Access(read=AUDIT, obj="webhook", scope=GLOBAL),
    "core:webhook_create": Access(read=MANAGER, write=MANAGER, all_provinces_only=True, data=_webhook_form),
    "core:webhook_edit": Access(
        read=MANAGER, write=MANAGER, obj="webhook", scope=GLOBAL, all_provinces_only=True, data=_webhook_form
    ),
    "core:webhook_rotate": Access(
        read=MANAGER, get="none", write=MANAGER, obj="webhook", scope=GLOBAL, all_provinces_only=True, data={}
    ),
    "core:webhook_test": Access(
        read=MANAGER, get="none", write=MANAGER, obj="webhook", scope=GLOBAL, all_provinces_only=True, data={}
    ),
    # --- bench and scale (issue 15)
}

# Admin is for superusers only (core/admin.py): every role is sent to the admin's sign-in page.
ADMIN_PUBLIC = {"admin:login", "admin:logout", "admin:jsi18n"}
# Anonymous users may use these (sign in, choose a language, read the API's description).
PUBLIC = {
    "login",
    "logout",
    "set_language",
    "inspections:field_service_worker",
    "inspections:field_manifest",
    "inspections:field_offline",
}


# --- walking the URL tree ---------------------------------------------------------------------------


def url_patterns(resolver=None, namespace=""):
    """(name, pattern) for every named URL pattern of the project."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from url_patterns(entry, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else None
            if name or namespace != "admin":  # the admin's unnamed redirects are covered by its own test
                yield name, entry


ALL_URLS = sorted({name for name, _ in url_patterns() if name and not name.startswith("admin:")})
ADMIN_URLS = sorted({name for name, _ in url_patterns() if name and name.startswith("admin:")})
PATTERNS = {name: entry for name, entry in url_patterns() if name}


def write_methods(name: str, access: Access) -> list[str]:
    """The write methods a view accepts: a DRF view's handlers; POST for a page."""
    callback = PATTERNS[name].callback
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None and hasattr(view_class, "permission_classes"):
        return [m for m in ("post", "put", "patch", "delete") if hasattr(view_class, m)]
    return ["post"]


def test_every_url_pattern_is_in_the_matrix():
    unnamed = [str(entry.pattern) for name, entry in url_patterns() if not name]
    assert not unnamed, f"name these URL patterns so the access matrix can hold them: {unnamed}"
    missing = sorted(set(ALL_URLS) - set(MATRIX))
    assert not missing, f"add these URL names to MATRIX in {__file__}: {missing}"
    stale = sorted(set(MATRIX) - set(ALL_URLS))
    assert not stale, f"these MATRIX entries name no URL pattern any more: {stale}"


# --- the scene ---------------------------------------------------------------------------------------

USERS = [(role, scope) for role in Role for scope in ("in", "all")]


def _user(make_user, role, scope):
    provinces = ["001"] if scope == "in" else None
    return make_user(role, provinces=provinces, username=f"{role.value}-{scope}", is_staff=role == Role.MANAGER)


class Scene:
    """Objects in Hà Nội ("in"), TP Hồ Chí Minh ("out") and in no province ("none")."""

    def __init__(self, make_user):
        self.users = {(role, scope): _user(make_user, role, scope) for role, scope in USERS}
        self.staff = make_user(Role.OFFICER, username="scene-officer")
        self.other_inspector = make_user(Role.INSPECTOR, username="scene-inspector")
        hn = PointFactory(code="HN-1", agent=AgentFactory(code="AG-HN", province_code="001"))
        sg = PointFactory(code="SG-1", agent=AgentFactory(code="AG-SG", province_code="079"))
        self.points = {"in": hn, "out": sg}
        self.objects = {
            "point": {"in": hn, "out": sg},
            "agent": {"in": hn.agent, "out": sg.agent},
            "registration": {
                "in": RegistrationFactory(point=hn),
                "out": RegistrationFactory(point=sg),
                "none": RegistrationFactory(app=True),
            },
            "flag": {
                "in": make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hn, has_portrait=False)),
                "out": make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=sg, has_portrait=False)),
                "none": make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory()),
            },
            "user": {
                "in": make_user(Role.OFFICER, provinces=["001"], username="subject-hn"),
                "out": make_user(Role.OFFICER, provinces=["079"], username="subject-sg"),
                "none": make_user(Role.OFFICER, username="subject-all"),
            },
            "rule": {"in": Rule.objects.get(code="MISSING_PHOTOS")},
            "checkrun": {"in": CheckRun.objects.create(trigger="COMMAND", started_at=timezone.now())},
            "nightly": {"in": _nightly()},
            "checklist": {"in": _checklist()},
            "webhook": {"in": _webhook_endpoint()},
            "blacklist": {"in": _blacklist_entry("001"), "out": _blacklist_entry("079")},
        }
        # one open task per point (a database constraint): each task gets a point of its own
        self.objects["task"] = {k: TaskFactory(point=self.new_point(k)) for k in self.points}
        self.objects["finding"] = {k: make_finding(p) for k, p in self.points.items()}
        self.objects["sanction"] = {
            k: make_sanction(p, proposed_by=self.staff, status="PROPOSED") for k, p in self.points.items()
        }
        self.objects["action"] = {k: _action_with_evidence(p, self.staff) for k, p in self.points.items()}
        self.objects["photo"] = {k: _photo(self.new_point(k), self.other_inspector) for k in self.points}

    def new_point(self, key: str):
        return PointFactory(agent=self.points[key].agent)

    def owned(self, kind, user, own: bool):
        """An object of `kind` that is `user`'s own (or another user's), in Hà Nội."""
        owner = user if own and user is not None else self.staff
        if kind in ("import_job", "agents_job", "outcomes_job"):
            job = ImportJob.objects.create(
                kind={"import_job": "registrations", "outcomes_job": "remed_outcomes"}.get(kind, "agents"),
                file_name="x.csv",
                created_by=owner,
                status=ImportJob.Status.FAILED,
            )
            from django.core.files.base import ContentFile

            job.rejects_file.save("rejects.csv", ContentFile(b"line,reason\n"), save=True)
            return job
        inspector = user if own and user is not None else self.other_inspector
        if kind == "field_task":
            return TaskFactory(point=self.new_point("in"), inspector=inspector)
        if kind == "photo":
            return _photo(self.new_point("in"), inspector)
        raise AssertionError(kind)


def _action_with_evidence(point, staff):
    from django.core.files.base import ContentFile

    action = make_action(point, created_by=staff)
    action.evidence_file.save("evidence.pdf", ContentFile(b"%PDF-1.4 matrix"), save=True)
    return action


def _nightly():
    from inspections.models import NightlyRun

    return NightlyRun.objects.create(night=dt.date(2026, 1, 1), started_at=timezone.now())


def _webhook_endpoint():
    from core.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        name="Scene SOC", url="http://127.0.0.1:9/scene", event_types=["sanction.approved"], secret="whsec_c2NlbmU="
    )


def _blacklist_entry(province_code):
    from agents.blacklist.services import blacklist_on_termination

    agent = AgentFactory(province_code=province_code, status="TERMINATED")
    return blacklist_on_termination(agent_ids=[agent.pk], reason="matrix")[0]


def _checklist():
    from inspections.models import ChecklistTemplate

    return ChecklistTemplate.objects.get(is_current=True)


def _photo(point, inspector):
    from tests.inspections.factories import add_photo

    return add_photo(ReportFactory(task=TaskFactory(point=point, inspector=inspector)))


# --- "nothing changed" ---------------------------------------------------------------------------------


def _tables():
    labels = ("core", "agents", "registrations", "inspections", "enforcement", "reports")
    return sorted(
        m._meta.db_table
        for m in apps.get_models()
        if m._meta.app_label in labels and not m._meta.proxy and m._meta.managed
    )


def snapshot(obj) -> tuple:
    """Row counts of every table of the project, and the object's own stored values."""
    tables = _tables()
    # table names come from the model registry, quoted: nothing here comes from a request
    counts = ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)  # noqa: S608
    sql = f"SELECT {counts}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = cursor.fetchone()
    state = None
    if obj is not None:
        model = type(obj)
        state = model.objects.filter(pk=obj.pk).values().first()
    return tuple(zip(tables, counts, strict=True)), state


def _without_audit(snap):
    counts, state = snap
    return tuple(c for c in counts if c[0] != "core_auditevent"), state


# --- expectations -------------------------------------------------------------------------------------


def visible(access: Access, scope: str, obj_key: str, own: bool, user=None, obj=None) -> bool:
    if obj_key in access.unreachable:
        return False
    if user is not None and access.owner_roles and obj is not None and _role(user) in access.owner_roles:
        return access.owner(obj) == user and visible(access, scope, obj_key, own)
    if access.obj is None or access.scope == GLOBAL:
        return True
    if access.scope == OWNER:
        return own
    if access.scope == TEAM:  # an integration account: its own jobs only (write-only for personal data)
        return own or (scope == "all" and user is not None and _role(user) != Role.INTEGRATION)
    return scope == "all" or obj_key == "in"


@dataclass
class Case:
    who: str
    obj_key: str
    method: str
    status: int
    expected: object
    changed: bool = False
    notes: list = field(default_factory=list)

    def ok(self) -> bool:
        return (self.status in self.expected if isinstance(self.expected, set) else self.status == self.expected) and (
            not self.changed
        )


def _role(user):
    from core.roles import role_of

    return Role(role_of(user))


def expected_get(name, access, role, scope, obj_key, own, user=None, obj=None):
    api = name.startswith("api:") or name in ("api-schema", "api-docs")
    if access.get == "none":  # a write-only view: refused either way (require_POST may answer first)
        return {302, 401, 403, 405} if role is None else {403, 405}
    if role is None:
        if name in PUBLIC:
            return {200, 302, 405}
        return {401, 403} if api else {302}
    if role not in access.read or (access.all_provinces_only and scope != "all"):
        return 403
    if not visible(access, scope, obj_key, own, user, obj):
        return 404
    return set(range(200, 400)) if access.get == "any" else 200


def expected_write(name, access, role, scope, obj_key, own, user=None, obj=None):
    """(expected status or set, must_not_change)."""
    api = name.startswith("api:")
    if role is None:
        if name in PUBLIC:
            # a public read-only view (the field app's worker, manifest, offline page) refuses writes too
            return (405, True) if access.write is None else (set(range(200, 500)), False)
        return ({401, 403} if api else {302, 405}), True
    if access.write is None:
        if role not in access.read:
            return {403, 405}, True
        if not visible(access, scope, obj_key, own, user, obj):
            return {404, 405}, True
        # read-only view: refuses every unsafe method (require_safe; issue 11, item 9)
        return 405, True
    if role not in access.write or (access.all_provinces_only and scope != "all"):
        return 403, True
    if not visible(access, scope, obj_key, own, user, obj):
        return 404, True
    # permitted: any answer but a refusal or a server error (the body may well be incomplete)
    return set(range(200, 500)) - {401, 403, 404, 405}, False


def _request(client, method, url, name, data):
    if method == "get":
        return client.get(url)
    if name.startswith("api:"):
        return getattr(client, method)(url, data=json.dumps(data or {}), content_type="application/json")
    if method == "post":
        return client.post(url, data or {})
    return getattr(client, method)(url)


def _cases(access: Access, scene: Scene):
    """(who, role, scope, user, obj_key, obj, own) for each user and object variant.

    A user with every province meets the objects outside Hà Nội only (in Hà Nội it answers as the
    Hà Nội user does), which keeps the matrix to a few minutes."""
    people = [("anonymous", None, None, None)] + [
        (f"{role.value}-{scope}", role, scope, scene.users[(role, scope)]) for role, scope in USERS
    ]
    for who, role, scope, user in people:
        if access.obj is None:
            yield who, role, scope, user, "-", None, True
        elif access.scope in (OWNER, TEAM):
            for own in (True, False):
                obj = scene.owned(access.obj, user, own and user is not None)
                yield who, role, scope, user, "own" if own else "other's", obj, own and user is not None
        else:
            for obj_key, obj in scene.objects[access.obj].items():
                if scope == "all" and obj_key == "in" and len(scene.objects[access.obj]) > 1:
                    continue
                yield who, role, scope, user, obj_key, obj, False


def _url(name, access, obj):
    if obj is None:
        return reverse(name, args=access.args(None) if access.args else [])
    return reverse(name, args=(access.args or _pk)(obj))


def _body(access, obj):
    return access.data(obj) if callable(access.data) else access.data


@pytest.mark.django_db
@pytest.mark.parametrize("name", ALL_URLS)
def test_url_answers_as_the_matrix_says(name, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    access = MATRIX.get(name)
    if access is None:
        pytest.fail(f"{name} has no entry: add it to MATRIX in {__file__}")
    scene = Scene(make_user)
    clients = {None: Client()}
    for user in scene.users.values():
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)
    methods = ["get", *write_methods(name, access)]
    failures, permitted_writes = [], []
    for who, role, scope, user, obj_key, obj, own in _cases(access, scene):
        client = clients[user.pk if user else None]
        url = _url(name, access, obj)
        for method in methods:
            if method == "get":
                expected, guard = expected_get(name, access, role, scope, obj_key, own, user, obj), False
            else:
                expected, guard = expected_write(name, access, role, scope, obj_key, own, user, obj)
                if not guard:
                    permitted_writes.append((who, client, url, method, obj_key, obj))
                    continue
            before = snapshot(obj) if guard else None
            case = Case(
                who,
                obj_key,
                method.upper(),
                _request(client, method, url, name, _body(access, obj)).status_code,
                expected,
            )
            after = snapshot(obj) if guard else None
            if guard and access.audited_read and case.status == 200 and access.write is None:
                before, after = _without_audit(before), _without_audit(after)  # answered as its GET
            case.changed = guard and after != before
            if not case.ok():
                failures.append(case)
    # permitted writes last, so each refused write above met the scene as it was built
    allowed = set(range(200, 500)) - {401, 403, 404, 405}
    for who, client, url, method, obj_key, obj in permitted_writes:
        status = _request(client, method, url, name, _body(access, obj)).status_code
        case = Case(who, obj_key, method.upper(), status, allowed)
        if not case.ok():
            failures.append(case)
    report = "\n".join(
        f"  {c.method} {name} as {c.who} on {c.obj_key}: {c.status}, expected {_fmt(c.expected)}"
        + (" AND IT CHANGED THE DATABASE" if c.changed else "")
        for c in failures
    )
    assert not failures, f"{name}:\n{report}"


def _fmt(expected):
    if isinstance(expected, set):
        if len(expected) > 5:
            low, high = min(expected), max(expected)
            return f"{low}..{high} except {sorted(set(range(low, high + 1)) - expected)}"
        return sorted(expected)
    return expected


@pytest.mark.django_db
@pytest.mark.parametrize("name", ADMIN_URLS)
def test_admin_is_for_superusers_only(name, make_user):
    pattern = PATTERNS[name]
    converters = pattern.pattern.converters
    args = ["1" if type(conv).__name__ != "IntConverter" else 1 for conv in converters.values()]
    # the app index's pattern is a regex of the installed app labels: name one
    url = reverse(name, kwargs={"app_label": "core"}) if name == "admin:app_list" else reverse(name, args=args)
    for role in Role:
        client = Client()
        client.force_login(make_user(role, username=f"admin-{role.value}", is_staff=True))
        for method in ("get", "post"):
            before = snapshot(None)
            response = getattr(client, method)(url)
            if name in ADMIN_PUBLIC:
                assert response.status_code < 500, (name, role, method)
            else:
                assert response.status_code == 302, (name, role, method, response.status_code)
                assert "/admin/login/" in response["Location"], (name, role, method)
            assert snapshot(None) == before or name == "admin:logout", (name, role, method)


# --- reports.monthly: the issued report its MATRIX entries open (a Hà Nội one: every reader in scope sees it)


def _monthly_issue():
    from core.models import User
    from reports.monthly.figures import Month
    from reports.monthly.models import ReportIssue
    from reports.monthly.services import report_issue

    issue = ReportIssue.objects.filter(status=ReportIssue.Status.ISSUED).first()
    if issue is None:
        actor = User.objects.filter(username="scene-officer").first()
        issue = report_issue(month=Month.parse("2026-03"), provinces=["001"], language="vi", actor=actor)
    return issue
