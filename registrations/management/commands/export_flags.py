"""`python manage.py export_flags [--rule CODE] [--status S]` (DESIGN section 7): flags as CSV on stdout."""

import csv
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_record
from registrations.checks.rules import CODES
from registrations.models import Flag, FlagStatus, SubjectType

HEADER = ["rule", "severity", "status", "subject_type", "subject_key", "point_code", "agent_code"]


class Command(BaseCommand):
    help = (
        "Write the flags as CSV to stdout: rule,severity,status,subject_type,subject_key,point_code,agent_code "
        "(subject_key: the registration's external_id, the activation's ICCID, or the agent's or point's code). "
        "Filter with --rule CODE and --status OPEN|CONFIRMED|DISMISSED|RESOLVED."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rule", metavar="CODE", help="only this rule (a code of DESIGN section 5)")
        parser.add_argument("--status", metavar="S", help=f"only this status ({', '.join(FlagStatus.values)})")

    def handle(self, *args, **options):
        flags = Flag.objects.all()
        rule, status = options.get("rule"), options.get("status")
        if rule is not None:
            rule = rule.strip()
            if rule not in CODES:
                raise CommandError(f"Unknown rule code {rule!r}. Known codes: {', '.join(CODES)}.")
            flags = flags.filter(rule__code=rule)
        if status is not None:
            status = status.strip().upper()
            if status not in FlagStatus.values:
                raise CommandError(f"Unknown status {options['status']!r}. Use one of {', '.join(FlagStatus.values)}.")
            flags = flags.filter(status=status)
        rows = flags.order_by("rule__code", "id").values_list(
            "rule__code",
            "severity",
            "status",
            "subject_type",
            "registration__external_id",
            "activation__iccid",
            "point__code",
            "agent__code",
        )
        try:
            count = self.write_csv(rows)
        except BrokenPipeError:
            # the reader stopped early (`| head`): nothing is wrong here; keep Python's exit flush quiet
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        audit_record(action="flags.export", fields={"rule": rule or "", "status": status or "", "rows": count})

    def write_csv(self, rows) -> int:
        """Stream the rows (a values_list queryset) as CSV to stdout, a chunk at a time; the count."""
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(HEADER)
        count = 0
        for code, severity, status, subject_type, external_id, iccid, point_code, agent_code in rows.iterator(
            chunk_size=5000
        ):
            if subject_type == SubjectType.REGISTRATION:
                key = external_id
            elif subject_type == SubjectType.ACTIVATION:
                key = iccid
            elif subject_type == SubjectType.AGENT:
                key = agent_code
            else:  # a point
                key = point_code
            writer.writerow([code, severity, status, subject_type, key or "", point_code or "", agent_code or ""])
            count += 1
        return count
