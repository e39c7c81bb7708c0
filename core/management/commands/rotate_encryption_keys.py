from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_record
from core.crypto import DecryptionError
from core.rotation import encrypted_fields, rotate_model


class Command(BaseCommand):
    help = (
        "Re-encrypt personal data with the active key (the first in FIELD_ENCRYPTION_KEY). Put the new key "
        "first and keep the old ones after it until this has run; safe to run again."
    )

    def handle(self, *args, **options):
        totals = {}
        try:
            for model, columns in encrypted_fields():
                read, rotated = rotate_model(model, columns)
                totals[model._meta.label] = {"rows": read, "reencrypted": rotated}
                self.stdout.write(f"{model._meta.label}: {rotated} of {read} rows re-encrypted")
        except DecryptionError as exc:
            raise CommandError(f"{exc} Nothing after this batch was changed; fix the keys and run again.") from exc
        audit_record(
            action="crypto.rotate", object_type="core.crypto", object_repr="FIELD_ENCRYPTION_KEY", fields=totals
        )
