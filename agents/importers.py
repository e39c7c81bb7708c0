"""CSV import of agents.csv and points.csv (DESIGN section 4): upsert by code, reject with line and reason.

All or nothing per file: a whole file imports in one transaction, so a failure or a killed worker
leaves nothing half-written (no agent without its parent, no point without the rest of its file); the
job is marked FAILED and the file can simply be imported again. The files are small next to
registrations (a few hundred thousand rows at most, bounded by AGENTS_UPLOAD_MAX_BYTES), which is what
makes one transaction affordable; they run in a worker (agents.tasks), never in a web request.
Rows are compared with what is stored and only real changes are written, so re-importing the same file
changes nothing. Values that are well-formed but fail a business check (tax code checksum, phone,
coordinates outside Vietnam, an inverted authorisation window) are stored, as the source system has
them, and reported as warnings: DESIGN section 4 rejects a row only when it cannot be stored meaningfully.

Counts are per row read: rows read = created + updated + unchanged + rejected. A code repeated in a
file is upserted twice, the later row winning (as registrations do), with a warning naming both lines.

points.csv's optional owner columns (issue 16): after the contract's columns a file may carry `phone`,
`owner_id_doc_type` and `owner_id_doc_number` (agents.csv's and the point form's names), so a blacklisted owner
coming back through an import is recognised. A file without them imports exactly as before. They are checked as
the point form checks them, and a row that fails is rejected with the reason: a phone that is not a valid
Vietnamese number; a document type other than CCCD, CMND or PASSPORT; a type without a number or a number
without a type; a number longer than 20 characters or with no letter or digit. A blank cell changes nothing: the
phone or the owner's document on record stays (a file cannot erase an identity the blacklist compares; clear it
in the point's form or through the API); a new point without them has none. The phone is stored as E.164 and the
document number encrypted, each with its keyed hash (agents.blacklist.keys), as a save does; the number is
never shown in clear: a rejected row's number is masked in the rejects file, and no reason quotes it.

After a file's transaction commits, the agents and points it created or changed are judged against the
blacklist at once (agents.hooks; registrations' BLACKLISTED_AGENT, one set-based statement for the file).

Province scope (a user limited to some provinces): a row is written only when the record as stored and
as it would be after the write are both in the user's provinces, and every code it refers to (a point's
agent, an agent's parent) is an agent the user can read. A reference to an agent of another province
is rejected with the very reason of a code that does not exist, so a reject never tells that another
province's record exists.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.crypto import mask, normalise_id_number
from core.imports import (
    CsvStream,
    ImportResult,
    parse_cell,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_hhmm,
)
from core.models import Province
from core.scoping import province_scope
from core.texts import system_text

from . import texts, validators
from .blacklist.keys import owner_key, phone_key, tax_code_key
from .blacklist.services import blacklist_judge, blacklist_on_termination
from .hooks import agents_written
from .models import Agent, AgentKind, OwnerDocType, PointKind, RegistrationPoint, Status, StatusChange

AGENT_COLUMNS = [
    "code",
    "name",
    "kind",
    "parent_code",
    "tax_code",
    "phone",
    "province_code",
    "status",
    "contract_no",
    "authorised_from",
    "authorised_until",
]
POINT_COLUMNS = [
    "code",
    "agent_code",
    "name",
    "kind",
    "address",
    "province_code",
    "latitude",
    "longitude",
    "opens_at",
    "closes_at",
    "status",
    "authorised_from",
    "authorised_until",
]
# Optional trailing columns of points.csv (issue 16): the point's phone and its owner's ID document.
POINT_OWNER_COLUMNS = ["phone", "owner_id_doc_type", "owner_id_doc_number"]
OWNER_DOC_MAX_LENGTH = 20  # as the point form's field
AGENT_FIELDS = [
    "name",
    "kind",
    "tax_code",
    "phone",
    "tax_code_key",
    "phone_key",
    "province_id",
    "contract_no",
    "authorised_from",
    "authorised_until",
]
POINT_FIELDS = [
    "agent_id",
    "name",
    "kind",
    "address",
    "province_id",
    "latitude",
    "longitude",
    "opens_at",
    "closes_at",
    "authorised_from",
    "authorised_until",
]
# Fields a row writes only when it gives them (a blank cell keeps what is stored): (compared, written).
POINT_KEPT_WHEN_BLANK = [
    ("phone", ("phone", "phone_key")),
    ("owner_id_doc_key", ("owner_id_doc_type", "owner_id_doc_number", "owner_id_doc_key")),
]
CHUNK = 1000


class RowError(ValueError):
    pass


def _province(row, scope, known) -> str:
    code = row["province_code"]
    if not code:
        raise RowError(_("Missing province_code."))
    if code not in known:
        raise RowError(_("Unknown province code %(code)r.") % {"code": code})
    if scope is not None and code not in scope:
        raise RowError(_("Province %(code)s is not in your provinces.") % {"code": code})
    return code


def _window(row, values, warn):
    for column in ("authorised_from", "authorised_until"):
        values[column] = parse_cell(parse_date, row[column], column, "YYYY-MM-DD")
    try:
        validators.validate_window(values["authorised_from"], values["authorised_until"])
    except ValidationError:
        warn(_("authorised_until is not after authorised_from: no day is authorised."))


def _parse_agent(row, scope, known_provinces, warn) -> dict:
    if not row["code"]:
        raise RowError(_("Missing code."))
    kind = parse_choice(row["kind"], "kind", AgentKind)
    if kind is None:
        raise RowError(_("Missing kind."))
    values = {
        "name": row["name"],
        "kind": kind,
        "province_id": _province(row, scope, known_provinces),
        "contract_no": row["contract_no"],
        "status": parse_choice(row["status"], "status", Status),
        "tax_code": validators.normalise_tax_code(row["tax_code"]),
        "phone": validators.normalise_phone(row["phone"]),
    }
    # written in bulk (no save()): the keys the blacklist compares, as Agent.fill_keys makes them
    values["tax_code_key"] = tax_code_key(values["tax_code"])
    values["phone_key"] = phone_key(values["phone"])
    _window(row, values, warn)
    for field, check in (("tax_code", validators.validate_tax_code), ("phone", validators.validate_phone)):
        try:
            check(row[field])
        except ValidationError as exc:
            warn(f"{field}: {exc.messages[0]}")
    if not values["name"]:
        warn(_("Missing name."))
    return values


def _coordinate(text: str):
    return parse_decimal(text, places=5)


def _parse_point(row, scope, known_provinces, agents_by_code, warn) -> dict:
    if not row["code"]:
        raise RowError(_("Missing code."))
    if not row["agent_code"]:
        raise RowError(_("Missing agent_code."))
    agent_id = agents_by_code.get(row["agent_code"])
    if agent_id is None:
        raise RowError(_("Unknown agent code %(code)r.") % {"code": row["agent_code"]})
    kind = parse_choice(row["kind"], "kind", PointKind)
    if kind is None:
        raise RowError(_("Missing kind."))
    values = {
        "agent_id": agent_id,
        "name": row["name"],
        "kind": kind,
        "address": row["address"],
        "province_id": _province(row, scope, known_provinces),
        "latitude": parse_cell(_coordinate, row["latitude"], "latitude", _("a number")),
        "longitude": parse_cell(_coordinate, row["longitude"], "longitude", _("a number")),
        "opens_at": parse_cell(parse_hhmm, row["opens_at"], "opens_at", "HH:MM"),
        "closes_at": parse_cell(parse_hhmm, row["closes_at"], "closes_at", "HH:MM"),
        "status": parse_choice(row["status"], "status", Status),
    }
    if (values["opens_at"] is None) != (values["closes_at"] is None):
        raise RowError(_("Give both opens_at and closes_at, or neither (always open)."))
    if values["opens_at"] is not None and values["closes_at"] <= values["opens_at"]:
        raise RowError(_("closes_at must be after opens_at."))
    if (values["latitude"] is None) != (values["longitude"] is None):
        raise RowError(_("Give both latitude and longitude, or neither."))
    for field in ("latitude", "longitude"):
        if abs(values[field] or 0) >= 1000:
            raise RowError(_("%(field)s %(value)s is not a coordinate.") % {"field": field, "value": row[field]})
    try:
        validators.validate_coordinates(values["latitude"], values["longitude"])
    except ValidationError as exc:
        warn(" ".join(exc.messages))
    _window(row, values, warn)
    _parse_point_owner(row, values)
    return values


def _parse_point_owner(row, values) -> None:
    """The optional phone and owner's document columns into `values`, only where the row gives them (a blank
    cell keeps what is stored); RowError as the point form would refuse them. No reason quotes the number."""
    phone = row.get("phone", "")
    if phone:
        try:
            validators.validate_phone(phone)
        except ValidationError as exc:
            raise RowError(f"phone: {exc.messages[0]}") from None
        values["phone"] = validators.normalise_phone(phone)
        values["phone_key"] = phone_key(values["phone"])
    doc_type = row.get("owner_id_doc_type", "")
    number = row.get("owner_id_doc_number", "")
    if not (doc_type or number):
        return
    if doc_type:
        parse_choice(doc_type, "owner_id_doc_type", OwnerDocType)
    try:
        validators.validate_owner_doc(doc_type, number)
    except ValidationError as exc:
        (field, messages), *_rest = exc.message_dict.items()
        raise RowError(f"{field}: {messages[0]}") from None
    if len(number) > OWNER_DOC_MAX_LENGTH:
        raise RowError(_("owner_id_doc_number: at most %(n)d characters.") % {"n": OWNER_DOC_MAX_LENGTH})
    if not normalise_id_number(number):
        raise RowError(_("owner_id_doc_number: no letter or digit."))
    values.update(owner_id_doc_type=doc_type, owner_id_doc_number=number, owner_id_doc_key=owner_key(doc_type, number))


def _safe_row(row: dict) -> dict:
    """A row as the rejects file keeps it: the owner's document number masked (personal data)."""
    number = row.get("owner_id_doc_number")
    if not number:
        return row
    return {**row, "owner_id_doc_number": mask(normalise_id_number(number) or number, 2, 2)}


class _Upserter:
    """Writes one chunk of parsed rows: creates, real updates, status history."""

    def __init__(self, model, fields, subject, *, actor, result, file_name, scope, kept=()):
        self.model, self.fields, self.subject = model, fields, subject
        self.kept = list(kept)  # (compared, written) fields a row writes only when it gives them
        self.actor, self.result, self.file_name, self.scope = actor, result, file_name, scope
        self.now = timezone.now()
        self.state: dict[str, str] = {}  # code -> created / updated / unchanged, as its last row left it
        self.line_state: dict[int, str] = {}  # line -> what became of that row (counts are per row)
        self.last_line: dict[str, int] = {}  # code -> line of its last row written
        self.status_changes = 0
        self.written: set[int] = set()  # ids created or changed: judged against the blacklist after the commit
        # entries listed for the agents the file terminated: the subjects carrying their keys are judged once
        self.listed: list = []

    def write(self, chunk: dict[str, tuple[int, dict, dict]]) -> None:
        """chunk: code -> (line, values, raw row)."""
        compared = [c for c, _written in self.kept]
        existing = {
            r["code"]: r
            for r in self.model.objects.filter(code__in=chunk).values("id", "code", "status", *self.fields, *compared)
        }
        new, changed, history = [], [], []
        for code, (line, values, raw) in chunk.items():
            status = values.pop("status")
            current = existing.get(code)
            self.last_line[code] = line
            if current is None:
                obj = self.model(code=code, status=status or Status.ACTIVE, **values)
                new.append((line, obj))
                continue
            if self.scope is not None and current["province_id"] not in self.scope:
                # worded alike for any code: it must not tell which province (or that one) holds it
                self.result.reject(
                    line, _("Code %(code)s cannot be written from your provinces.") % {"code": code}, _safe_row(raw)
                )
                continue
            diff = [f for f in [*self.fields, *compared] if f in values and current[f] != values[f]]
            status_changed = status is not None and status != current["status"]
            if diff or status_changed:
                obj = self.model(id=current["id"], code=code, status=status or current["status"], **values)
                changed.append(obj)
                if self.state.get(code) != "created":
                    self.state[code] = "updated"
                self.line_state[line] = "updated"
                if status_changed:
                    history.append(self._change(obj.id, current["status"], status, line))
            else:
                self.state.setdefault(code, "unchanged")
                self.line_state[line] = "unchanged"
        if new:
            self.model.objects.bulk_create([obj for _line, obj in new])
            if not all(obj.pk for _line, obj in new):  # backends that return no ids (none we use)
                ids = dict(self.model.objects.filter(code__in=[o.code for _l, o in new]).values_list("code", "id"))
                for _line, obj in new:
                    obj.pk = ids[obj.code]
            for line, obj in new:
                self.state[obj.code] = "created"
                self.line_state[line] = "created"
                history.append(self._change(obj.pk, "", obj.status, line))
        if changed:
            self._update(changed, chunk)
        self.written.update(obj.pk for obj in changed)
        self.written.update(obj.pk for _line, obj in new)
        StatusChange.objects.bulk_create(history)
        self.status_changes += sum(1 for h in history if h.from_status)
        self._blacklist_terminated(history)

    def _update(self, changed: list, chunk: dict) -> None:
        self.model.objects.bulk_update(changed, [*self.fields, "status"])
        for compare, written in self.kept:  # only the rows that give them: a blank cell keeps what is stored
            given = [obj for obj in changed if compare in chunk[obj.code][1]]
            if given:
                self.model.objects.bulk_update(given, list(written))
        self.model.objects.filter(id__in=[o.id for o in changed]).update(updated_at=self.now)

    def _blacklist_terminated(self, history: list[StatusChange]) -> None:
        """An agent the file makes TERMINATED goes on the blacklist, as through agents.services."""
        if self.subject != "agent":
            return
        for change in history:
            if change.to_status == Status.TERMINATED:
                self.listed += blacklist_on_termination(
                    agent_ids=[change.agent_id],
                    reason=change.reason,
                    actor=self.actor,
                    at=change.changed_at,
                    judge=False,  # once for the whole file, below
                )

    def _change(self, pk, from_status, to_status, line) -> StatusChange:
        return StatusChange(
            **{f"{self.subject}_id": pk},
            changed_at=self.now,
            from_status=from_status,
            to_status=to_status,
            actor=self.actor,
            source=StatusChange.Source.IMPORT,
            reason=system_text(texts.IMPORT_LINE, file=self.file_name, line=line),
        )

    def touched(self, code: str) -> None:
        """A later pass changed the record of `code` (its parent): its last row counts as updated."""
        if self.state.get(code) == "unchanged":
            self.state[code] = "updated"
        line = self.last_line.get(code)
        if line is not None and self.line_state.get(line) == "unchanged":
            self.line_state[line] = "updated"

    def finish(self) -> None:
        for state in self.line_state.values():
            setattr(self.result, state, getattr(self.result, state) + 1)


def _run(binary, *, columns, parse, upserter, optional=()) -> ImportResult:
    result = upserter.result
    chunk: dict[str, tuple[int, dict, dict]] = {}
    seen: dict[str, int] = {}  # code -> line of its row that was last accepted
    stream = CsvStream(binary, columns, optional=optional)
    result.columns = stream.columns
    for line, row, problem in stream.rows():
        if problem:
            result.reject(line, problem, _safe_row(row))
            continue
        warnings: list[str] = []
        try:
            values = parse(row, warnings.append)
        except (RowError, ValueError) as exc:
            result.reject(line, str(exc), _safe_row(row))
            continue
        if row["code"] in seen:
            warnings.append(
                _("code %(code)s is repeated in the file (line %(first)d and line %(line)d); the later row wins.")
                % {"code": row["code"], "first": seen[row["code"]], "line": line}
            )
        seen[row["code"]] = line
        result.warnings.extend((line, w) for w in warnings)
        if row["code"] in chunk or len(chunk) >= CHUNK:
            # a code seen twice: write the first before the second so the last row wins
            upserter.write(chunk)
            chunk = {}
        chunk[row["code"]] = (line, values, row)
    if chunk:
        upserter.write(chunk)
    return result


def _audit(result: ImportResult, *, actor, file_name, status_changes) -> None:
    audit_record(
        action=f"{result.kind}.import",
        actor=actor,
        object_type=f"agents.{result.kind}",
        object_repr=file_name,
        fields={
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "status_changes": status_changes,
        },
    )


def import_agents(binary, *, actor, file_name: str = "agents.csv") -> ImportResult:
    """Import agents.csv from a binary file object (it is read twice: parents may come later)."""
    scope = province_scope(actor) if actor is not None else None
    known = set(Province.objects.values_list("code", flat=True))
    result = ImportResult(kind="agents")
    parents = _plan_parents(binary, scope)
    binary.seek(0)
    with transaction.atomic():
        upserter = _Upserter(Agent, AGENT_FIELDS, "agent", actor=actor, result=result, file_name=file_name, scope=scope)

        def parse(row, warn):
            problem = parents["problems"].get(row["code"])
            if problem:
                raise RowError(problem)
            return _parse_agent(row, scope, known, warn)

        _run(binary, columns=AGENT_COLUMNS, parse=parse, upserter=upserter)
        _apply_parents(parents["wanted"], upserter, result, scope)
        upserter.finish()
        _audit(result, actor=actor, file_name=file_name, status_changes=upserter.status_changes)
        agents_written(agent_ids=upserter.written, actor=actor)
        blacklist_judge(entries=upserter.listed, actor=actor)  # the agents and points matching the file's listings
    return result


def _readable_agents(scope):
    """The agents a user of `scope` can read (all for None): the only ones a row may refer to."""
    agents = Agent.objects.all()
    return agents if scope is None else agents.filter(province_id__in=scope)


def _plan_parents(binary, scope) -> dict:
    """First pass: each row's wanted parent, and the rows whose parent is unknown (or unreadable) or loops."""
    wanted: dict[str, str] = {}
    for _line, row, problem in CsvStream(binary, AGENT_COLUMNS).rows():
        if not problem and row["code"]:
            wanted[row["code"]] = row["parent_code"]
    stored = dict(Agent.objects.filter(parent__isnull=False).values_list("code", "parent__code"))
    # another province's agent reads as one that does not exist (a row of the file naming it as its
    # own code is refused in the first pass, so it cannot become a parent either: see _apply_parents)
    known = set(_readable_agents(scope).values_list("code", flat=True)) | set(wanted)
    graph = {**stored, **wanted}
    problems = {}
    for code, parent in wanted.items():
        if not parent:
            continue
        if parent == code:
            problems[code] = _("An agent cannot be its own parent.")
        elif parent not in known:
            problems[code] = _("Unknown parent agent code %(code)r.") % {"code": parent}
        else:
            node, steps = parent, 0
            while node and steps <= len(graph):
                if node == code:
                    problems[code] = _("Parent %(code)s is this agent's own descendant.") % {"code": parent}
                    break
                node, steps = graph.get(node), steps + 1
    return {"wanted": {c: p for c, p in wanted.items() if c not in problems}, "problems": problems}


def _apply_parents(wanted: dict[str, str], upserter: _Upserter, result: ImportResult, scope) -> None:
    """Second pass: set parents once every agent of the file exists (and is readable: every row written
    is in the user's provinces, so a parent outside them is one whose own row was refused)."""
    codes = {c for c in wanted if c in upserter.state}  # rows written in the first pass
    parents = {p for p in wanted.values() if p}
    ids = dict(_readable_agents(scope).filter(code__in=codes | parents).values_list("code", "id"))
    current = dict(Agent.objects.filter(code__in=codes).values_list("code", "parent_id"))
    changed = []
    for code in codes:
        if wanted[code] and wanted[code] not in ids:
            # the parent's own row was rejected: keep what is stored rather than orphan this agent
            result.warnings.append(
                (
                    0,
                    _("%(code)s: parent %(parent)s was not imported; parent left unchanged.")
                    % {"code": code, "parent": wanted[code]},
                )
            )
            continue
        parent_id = ids[wanted[code]] if wanted[code] else None
        if current.get(code) != parent_id:
            changed.append(Agent(id=ids[code], parent_id=parent_id))
            upserter.touched(code)
    Agent.objects.bulk_update(changed, ["parent_id"], batch_size=CHUNK)


def import_points(binary, *, actor, file_name: str = "points.csv") -> ImportResult:
    scope = province_scope(actor) if actor is not None else None
    known = set(Province.objects.values_list("code", flat=True))
    result = ImportResult(kind="points")
    # one query for every agent code: agents are few next to points. Only agents the user can read: a
    # point under another province's agent is rejected as "Unknown agent code", as for no agent at all.
    agents_by_code = dict(_readable_agents(scope).values_list("code", "id"))

    def parse(row, warn):
        return _parse_point(row, scope, known, agents_by_code, warn)

    with transaction.atomic():
        upserter = _Upserter(
            RegistrationPoint,
            POINT_FIELDS,
            "point",
            actor=actor,
            result=result,
            file_name=file_name,
            scope=scope,
            kept=POINT_KEPT_WHEN_BLANK,
        )
        _run(binary, columns=POINT_COLUMNS, parse=parse, upserter=upserter, optional=POINT_OWNER_COLUMNS)
        upserter.finish()
        _audit(result, actor=actor, file_name=file_name, status_changes=upserter.status_changes)
        agents_written(point_ids=upserter.written, actor=actor)
    return result
