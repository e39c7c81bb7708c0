"""Demo checklists and inspection tasks for `seed_demo` (filled in by the inspections work)."""

from .catalogue import load_catalogue


def seed_inspections() -> str:
    load_catalogue()
    return "catalogue loaded"
