"""`manage.py evidence_pack (--agent CODE | --point CODE) FILE` (DESIGN section 7)."""

import getpass
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agents.models import Agent, RegistrationPoint
from reports.evidence.services import evidence_pack_write


class Command(BaseCommand):
    help = (
        "Write the evidence pack of one agent (with its own points) or one point to FILE, a ZIP: its record "
        "and status history, flags (personal data masked), inspections with their photos, findings, "
        "sanctions, corrective actions with evidence files, the audit events about it and manifest.json."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--agent", metavar="CODE", help="the agent's code")
        which.add_argument("--point", metavar="CODE", help="the registration point's code")
        parser.add_argument("file", metavar="FILE", help="the ZIP to write (replaced if it exists)")

    def handle(self, *args, **options):
        subject = self._subject(options)
        target = self._target(options["file"])
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        generated_by = f"manage.py evidence_pack (system user {user})"
        try:
            written = evidence_pack_write(subject=subject, target=target, generated_by=generated_by)
        except OSError as exc:
            raise CommandError(f"Cannot write {target}: {exc.strerror or exc}. Nothing was written.") from exc
        counts = written.result.counts
        head = written.result.audit_chain_head
        kind = "agent" if isinstance(subject, Agent) else "point"
        lines = [
            f"Evidence pack of {kind} {subject.code} written to {target}",
            f"  {len(written.result.files)} files + manifest.json, {written.size} bytes, sha256 {written.sha256}",
            "  " + ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in counts.items()),
            f"  audit chain head: event #{head['id']} {head['hash']}",
        ]
        if written.result.missing:
            lines.append(f"  WARNING: {len(written.result.missing)} stored files could not be read (missing_files.csv)")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _subject(self, options):
        if options["agent"] is not None:
            code = options["agent"].strip()
            subject = Agent.objects.select_related("parent", "province").filter(code=code).first()
            if subject is None:
                raise CommandError(f"No agent with code {code!r}. Nothing was written.")
            return subject
        code = options["point"].strip()
        subject = RegistrationPoint.objects.select_related("agent", "province").filter(code=code).first()
        if subject is None:
            raise CommandError(f"No registration point with code {code!r}. Nothing was written.")
        return subject

    def _target(self, name: str) -> Path:
        target = Path(name)
        if target.is_dir():
            raise CommandError(f"Cannot write {target}: it is a folder; give a file name. Nothing was written.")
        folder = target.parent if str(target.parent) else Path(".")
        if not folder.is_dir():
            raise CommandError(f"Cannot write {target}: folder {folder} does not exist. Nothing was written.")
        if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
            raise CommandError(f"Cannot write {target}: permission denied. Nothing was written.")
        return target
