"""Shared by the import_* commands: open the file, run, print the summary, write FILE.rejects.csv."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.imports import ImportFileError


class ImportCommand(BaseCommand):
    kind = ""
    importer = None  # staticmethod(import_x): (binary file, *, actor, file_name) -> ImportResult

    def add_arguments(self, parser):
        parser.add_argument("file", help=f"{self.kind}.csv (UTF-8, header row, comma separated)")
        parser.add_argument("--user", help="user name the import is recorded under (default: the system)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No such user: {options['user']}")
        try:
            with path.open("rb") as fh:
                result = self.importer(fh, actor=actor, file_name=path.name)
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc} Nothing was imported.") from exc
        self.stdout.write(result.summary())
        for line, warning in result.warnings[:20]:
            self.stdout.write(f"  warning{f' line {line}' if line else ''}: {warning}")
        if len(result.warnings) > 20:
            self.stdout.write(f"  ... and {len(result.warnings) - 20} more warnings")
        rejects_path = path.with_name(path.name + ".rejects.csv")
        if result.rejects:
            with rejects_path.open("w", encoding="utf-8", newline="") as out:
                result.write_rejects(out)
            self.stdout.write(f"Rejected rows with line and reason: {rejects_path}")
        elif rejects_path.exists():
            rejects_path.unlink()  # a stale report from an earlier run would mislead
