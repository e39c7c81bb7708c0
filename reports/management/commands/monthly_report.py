"""`python manage.py monthly_report YYYY-MM [--province CODE ...] [--lang vi|en] [--csv FILE] [--pdf FILE]`."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from reports.monthly.figures import Month, compute_figures, compute_trend
from reports.monthly.render import metric_label, render_csv, render_pdf, scope_text
from reports.monthly.services import LANGUAGES, validate_scope


class Command(BaseCommand):
    help = (
        "The month's compliance report for the regulator (DESIGN section 7). The month is the local calendar "
        "month (Asia/Ho_Chi_Minh): from local midnight of its 1st (inclusive) to local midnight of the next "
        "month's 1st (exclusive), compared as instants. Without --province: all provinces. With --province: "
        "registrations by their point's province (APP registrations only in the all-provinces report); "
        "activations through a registration of their ICCID at a point in those provinces (an activation whose "
        "SIM nobody registered there counts only in the all-provinces report); points, inspections, findings, "
        "sanctions and corrective actions by their point's province; agents by their province; subscriber "
        "requests by the provinces of the subscriber's points. flagged.<RULE>: subjects of the month "
        "(registrations by registered_at, activations by activated_at) with an OPEN or CONFIRMED flag of that "
        "rule now; points_active/agents_active: status ACTIVE at the month's end by status history; "
        "inspections_due: tasks due in the month, not cancelled; inspections_done: tasks closed in the month; "
        "findings: recorded in the month; sanctions_approved/fines_vnd: approved in the month, sum of amounts; "
        "corrective_actions_due: due in the month; corrective_actions_done_on_time: of those, verified with "
        "evidence received by the due date; subject_requests_received: received in the month; "
        "subject_requests_on_time: of those, completed by their due date; remediation_cases_opened: subscriber "
        "remediation cases opened in the month; remediation_cases.<STEP>: cases whose step came due in the month; "
        "remediation_steps_on_time/remediation_steps_late: of those steps, done by the operator by / after "
        "their due time. "
        "Prints the figures; --csv writes metric,value rows; --pdf the PDF in --lang. Exits non-zero on a bad "
        "month, an unknown province or a file that cannot be written."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM, a local calendar month (Asia/Ho_Chi_Minh).")
        parser.add_argument(
            "--province",
            action="append",
            default=[],
            metavar="CODE",
            help="A 3-digit province code; repeat for several. Default: all provinces.",
        )
        parser.add_argument("--lang", choices=LANGUAGES, default="vi", help="Language of the summary and PDF.")
        parser.add_argument("--csv", metavar="FILE", help="Write metric,value rows to FILE.")
        parser.add_argument("--pdf", metavar="FILE", help="Write the report as a PDF to FILE.")

    def handle(self, *args, **options):
        try:
            month = Month.parse(options["month"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            provinces = validate_scope(options["province"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        language = options["lang"]
        now = timezone.now()
        figures = compute_figures(month, provinces)
        outputs = []
        if options["csv"]:
            outputs.append((options["csv"], render_csv(figures)))
        if options["pdf"]:
            pdf = render_pdf(
                month=month,
                provinces=provinces,
                figures=figures,
                language=language,
                computed_at=now,
                trend=compute_trend(month, provinces),
            )
            outputs.append((options["pdf"], pdf))
        # Everything is computed before anything is written: a failure leaves no half-written set of files.
        for path, data in outputs:
            try:
                Path(path).write_bytes(data)
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror or exc}") from exc
        with translation.override(language):
            self.stdout.write(f"{month} · {scope_text(provinces)}")
            width = max(len(code) for code in figures)
            for code, value in figures.items():
                self.stdout.write(f"{code:<{width}} {value:>12,}  {metric_label(code)}")
        for path, _data in outputs:
            self.stdout.write(f"Wrote {path}")
