from registrations.management.bulk_import import BulkImportCommand


class Command(BulkImportCommand):
    help = (
        "Import activations.csv (DESIGN section 4) in committed batches with live progress: upsert by iccid, "
        "keeping the earliest activated_at; rejected rows go to FILE.rejects.csv; --resume JOB_ID carries on."
    )
    kind = "activations"
