from registrations.management.bulk_import import BulkImportCommand


class Command(BulkImportCommand):
    help = (
        "Import registrations.csv (DESIGN section 4) in committed batches with live progress: upsert by "
        "external_id; rejected rows go to FILE.rejects.csv; --resume JOB_ID carries on a failed import."
    )
    kind = "registrations"
