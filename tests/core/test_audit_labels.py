"""Issue 12: every audit action the code base writes has a label, and every object type a name.

The actions are collected from the source itself (each `audit_record(action=...)` and `csv_export(...)`
call), so writing a new action without registering its label (core.registry.register_audit_actions, in
the owning app's ready()) fails here. An action built at run time (an f-string, a variable) is expanded
by DYNAMIC below; a new kind of expression fails until it is added there.
"""

import ast
from pathlib import Path

from django.conf import settings
from django.utils.functional import Promise

from core.audit import action_label, object_type_label
from core.registry import AUDIT_ACTION_LABELS

APPS = ("core", "agents", "registrations", "inspections", "reports")
ROOT = Path(settings.BASE_DIR)


def _task_moves():
    from inspections.models import TaskStatus

    return {f"inspection.{status.lower()}" for status in TaskStatus.values}


def _import_kinds():
    from registrations.imports.batches import SPECS

    return {f"{kind}.import" for kind in SPECS}


# (file, expression as written) -> the codes it can produce, taken from the code where it can be
def _subject_request_actions():
    """reports.subjects writes through its `_audit(request, "subject_request.<step>", ...)` helper."""
    tree = ast.parse((ROOT / "reports/subjects/services.py").read_text(encoding="utf-8"))
    return {
        call.args[1].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and getattr(call.func, "id", None) == "_audit"
        and len(call.args) > 1
        and isinstance(call.args[1], ast.Constant)
    }


def _judged_actions():
    from registrations.checks.services import JUDGED_ACTIONS

    return set(JUDGED_ACTIONS.values())


DYNAMIC = {
    ("reports/subjects/services.py", "action"): _subject_request_actions,
    ("registrations/records/services.py", "Registration._meta.label_lower"): lambda: {"registrations.registration"},
    ("agents/services.py", "f'{kind}.{action}'"): lambda: {
        f"{kind}.{move}" for kind in ("agent", "point") for move in ("suspend", "reinstate", "terminate")
    },
    ("agents/importers.py", "f'{result.kind}.import'"): lambda: {"agents.import", "points.import"},
    ("agents/importers.py", "f'agents.{result.kind}'"): lambda: {"agents.agents", "agents.points"},
    ("agents/views.py", "name"): lambda: {"agents", "points"},
    ("agents/views.py", "f'agents.{name}'"): lambda: {"agents.agents", "agents.points"},
    ("registrations/imports/services.py", "f'{spec.kind}.import'"): _import_kinds,
    ("inspections/services/tasks.py", "f'inspection.{to_status.lower()}'"): _task_moves,
    # BLACKLISTED_AGENT judged outside a run: on a save, or on a blacklist listing or lifting
    ("registrations/checks/services.py", "JUDGED_ACTIONS[cause]"): _judged_actions,
    # csv_export's own default: resolved at each caller (its `name`)
    ("core/web.py", "action or f'{name}.export'"): set,
    ("core/web.py", "object_type"): set,
}


def _functions(tree):
    """Each node -> its enclosing function, for resolving a variable to what was assigned to it."""
    parents = {}
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                parents.setdefault(node, func)
    return parents


def _resolve(expr, path, func, problems) -> set[str]:
    key = (path, ast.unparse(expr))
    if key in DYNAMIC:
        return set(DYNAMIC[key]())
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _resolve(expr.body, path, func, problems) | _resolve(expr.orelse, path, func, problems)
    if isinstance(expr, ast.Name) and func is not None:
        values = [
            node.value
            for node in ast.walk(func)
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
        ]
        if values:
            return set().union(*(_resolve(v, path, func, problems) for v in values))
    if isinstance(expr, ast.Name) and expr.id in MODULE_CONSTANTS.get(path, {}):
        return {MODULE_CONSTANTS[path][expr.id]}  # ACTION_X = "..." at the top of the module
    problems.append(f"{path}:{expr.lineno}: {ast.unparse(expr)} (add it to DYNAMIC in {__file__})")
    return set()


MODULE_CONSTANTS: dict[str, dict[str, str]] = {}  # path -> {NAME: "string"} of module-level assignments


def _module_constants(tree) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def written(keyword: str) -> tuple[dict[str, str], list[str]]:
    """{value: where} of `keyword` (action or object_type) in every audit_record / csv_export call."""
    found, problems = {}, []
    for app in APPS:
        for file in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in file.parts:
                continue
            path = file.relative_to(ROOT).as_posix()
            tree = ast.parse(file.read_text(encoding="utf-8"))
            MODULE_CONSTANTS[path] = _module_constants(tree)
            parents = _functions(tree)
            for call in ast.walk(tree):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                if name not in ("audit_record", "csv_export"):
                    continue
                kwargs = {k.arg: k.value for k in call.keywords}
                func = parents.get(call)
                if keyword == "action" and name == "csv_export" and "action" not in kwargs:
                    values = {f"{n}.export" for n in _resolve(kwargs["name"], path, func, problems)}
                elif keyword in kwargs:
                    values = _resolve(kwargs[keyword], path, func, problems)
                else:
                    continue
                for value in values:
                    found.setdefault(value, f"{path}:{call.lineno}")
    return found, problems


def test_the_scan_finds_the_actions_of_every_app():
    # given the source of the apps; when it is scanned; then actions of each kind of expression are found
    actions, problems = written("action")
    assert not problems, "actions the scan cannot resolve:\n" + "\n".join(problems)
    assert {"auth.login", "user.create", "crypto.rotate"} <= set(actions)  # constants, conditionals
    assert {"agent.suspend", "point.reinstate", "agents.import", "points.export"} <= set(actions)  # f-strings
    assert {"flag.confirm", "flag.dismiss"} <= set(actions)  # a variable
    assert {"registrations.import", "activations.import", "inspection.in_progress", "flags.export"} <= set(actions)


def test_every_action_the_code_writes_has_a_label():
    # given every action the code base writes
    actions, problems = written("action")
    assert not problems
    # then each one is registered, and its English label is words, not its code
    missing = sorted(f"{code} ({where})" for code, where in actions.items() if code not in AUDIT_ACTION_LABELS)
    assert not missing, "register a label (core.registry.register_audit_actions) for:\n" + "\n".join(missing)
    for code in actions:
        assert action_label(code) != code


def test_no_registered_label_falls_back_to_its_code():
    for code, label in AUDIT_ACTION_LABELS.items():
        # lazy, so each reader gets its own language
        assert isinstance(label, Promise), code
        assert str(label).strip(), code
        assert str(label) != code
        assert "." not in str(label).split()[0], f"{code}: {label}"


def test_english_labels_read_as_words():
    assert action_label("auth.login") == "Signed in"
    assert action_label("agent.suspend") == "Agent suspended"
    assert action_label("registration.reveal") == "Personal data revealed"
    assert action_label("inspection.in_progress") == "Inspection started"
    assert action_label("audit.verify") == "Audit trail verified"
    # an action nobody registered is shown as it is stored (never hidden)
    assert action_label("test.unknown") == "test.unknown"


def test_every_object_type_the_code_writes_has_a_name():
    # given the object types written explicitly (others are the model of `obj`: its verbose name)
    types, problems = written("object_type")
    assert not problems, "\n".join(problems)
    assert types
    for object_type in types:
        if not object_type:  # "": the type is taken from `obj`, a model (see the next test)
            continue
        label = object_type_label(object_type)
        assert label, object_type
        assert label != object_type
        assert "." not in label, object_type


def test_object_types_of_models_read_as_their_verbose_names():
    assert object_type_label("agents.registrationpoint") == "Registration point"
    assert object_type_label("core.user") == "User"
    assert object_type_label("core.importjob") == "Import"
    assert object_type_label("agents.points") == "Registration point"
    assert object_type_label("") == ""
