from agents.importers import import_agents
from core.management.importing import ImportCommand


class Command(ImportCommand):
    help = "Import agents.csv (DESIGN section 4): upsert by code; rejected rows go to FILE.rejects.csv."
    kind = "agents"
    importer = staticmethod(import_agents)
