from django.core.management.base import BaseCommand, no_translations

from core.demo import ensure_demo_users
from core.models import Province
from core.provinces import load_provinces
from core.registry import SEEDERS


class Command(BaseCommand):
    help = "Load demo data and demo users (one per role). Safe to run again: it keeps existing data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="where the server will run, printed with the demo users (make run passes its HOST)",
        )

    @no_translations  # one language in the terminal (issue 13 found Vietnamese summaries among English lines)
    def handle(self, *args, **options):
        load_provinces(Province)
        self.stdout.write(f"Provinces: {Province.objects.count()}")
        users = ensure_demo_users()
        for _order, label, seeder in SEEDERS:
            self.stdout.write(f"{label}: {seeder()}")
        url = options["url"].rstrip("/")
        self.stdout.write(f"Demo users (sign in at {url}/login/):")
        for row in users:
            line = f"  {row['username']:<14} {row['password']:<22} {row['role']} (provinces: {row['provinces']})"
            if row["token"]:
                line += f"  API token: {row['token']}"
            self.stdout.write(line)
