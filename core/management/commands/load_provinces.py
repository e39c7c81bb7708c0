from django.core.management.base import BaseCommand

from core.models import Province
from core.provinces import load_provinces


class Command(BaseCommand):
    help = "Load or update the province list from core/data/provinces.csv (idempotent)."

    def handle(self, *args, **options):
        written = load_provinces(Province)
        self.stdout.write(f"Provinces: {Province.objects.count()} in the database, {written} written.")
