from agents.importers import import_points
from core.management.importing import ImportCommand


class Command(ImportCommand):
    help = "Import points.csv (DESIGN section 4): upsert by code; rejected rows go to FILE.rejects.csv."
    kind = "points"
    importer = staticmethod(import_points)
