"""`python manage.py subject_request see|correct|delete (--msisdn NUMBER | --id-doc TYPE:NUMBER) --reason TEXT
[--out FILE] [--set FIELD=VALUE ...]` (DESIGN section 7)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registrations.records.services import CORRECTABLE_FIELDS
from reports.subjects import services
from reports.subjects.models import SubjectRequest

KINDS = {"see": SubjectRequest.Kind.SEE, "correct": SubjectRequest.Kind.CORRECT, "delete": SubjectRequest.Kind.DELETE}


class Command(BaseCommand):
    help = (
        "Carry out a subscriber's request that the back office has already verified: it is recorded as a "
        "SubjectRequest (acknowledged, identity checked, done) and carried out at once through the same "
        "services as the page, every step audited. `see` writes the subscriber's data as JSON (to --out FILE "
        "or stdout); `correct` sets the --set FIELD=VALUE fields (" + ", ".join(CORRECTABLE_FIELDS) + ") on "
        "all their registrations; `delete` anonymises them (DESIGN section 3). The subscriber is found by "
        "--msisdn or --id-doc TYPE:NUMBER (e.g. CCCD:001099012345) in every province. Exits non-zero, with "
        "nothing written, when no registration matches, a field is unknown or a value is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--msisdn", metavar="NUMBER", help="0912345678, 84912345678 or +84912345678")
        who.add_argument("--id-doc", dest="id_doc", metavar="TYPE:NUMBER", help="e.g. CCCD:001099012345")
        parser.add_argument("--reason", required=True, help="why (the request's reference; no personal data)")
        parser.add_argument("--out", metavar="FILE", help="see: write the JSON here instead of stdout")
        parser.add_argument(
            "--set",
            dest="changes",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="correct: a field of registrations.csv and its new value; repeat for more",
        )
        parser.add_argument("--user", help="user name the request is recorded under (default: the system)")

    def handle(self, *args, **options):
        kind = KINDS[options["kind"]]
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No such user: {options['user']}")
        doc_type, doc_number = _id_doc(options.get("id_doc"))
        changes = _changes(options["changes"])
        if kind == SubjectRequest.Kind.CORRECT and not changes:
            raise CommandError("correct needs at least one --set FIELD=VALUE.")
        if kind != SubjectRequest.Kind.CORRECT and changes:
            raise CommandError("--set is only for correct.")
        if options.get("out") and kind != SubjectRequest.Kind.SEE:
            raise CommandError("--out is only for see.")
        try:
            request = services.subject_request_run(
                kind=kind,
                actor=actor,
                reason=options["reason"],
                msisdn=options.get("msisdn") or "",
                id_doc_type=doc_type.strip(),
                id_doc_number=doc_number.strip(),
                changes=changes,
            )
            if kind == SubjectRequest.Kind.SEE:
                content, _type = services.subject_request_export(
                    request=request, actor=actor, fmt="json", via="command"
                )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from exc
        if kind == SubjectRequest.Kind.SEE:
            if options.get("out"):
                try:
                    with open(options["out"], "w", encoding="utf-8") as fh:
                        fh.write(content + "\n")
                except OSError as exc:
                    raise CommandError(f"Cannot write {options['out']}: {exc.strerror}") from exc
            else:
                self.stdout.write(content)
        done = {
            "see": "data written",
            "correct": "corrected: " + ", ".join(request.changed_fields),
            "delete": "anonymised",
        }
        summary = (
            f"Subject request #{request.pk} ({options['kind']}): {request.registrations_matched} registration(s) "
            f"{done[options['kind']]}."
        )
        # `see` may write its JSON to stdout: the summary goes to stderr then, so stdout stays valid JSON
        (self.stderr if kind == SubjectRequest.Kind.SEE and not options.get("out") else self.stdout).write(summary)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def _id_doc(value: str | None) -> tuple[str, str]:
    if not value:
        return "", ""
    doc_type, sep, doc_number = value.partition(":")
    if not sep or not doc_type.strip() or not doc_number.strip():
        raise CommandError("--id-doc must be TYPE:NUMBER, e.g. CCCD:001099012345.")
    return doc_type.strip(), doc_number.strip()


def _changes(items: list[str]) -> dict[str, str]:
    changes = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--set must be FIELD=VALUE, got {name!r}.")
        changes[name.strip()] = value
    return changes
