import csv
from pathlib import Path

PROVINCES_CSV = Path(__file__).resolve().parent / "data" / "provinces.csv"


def read_provinces() -> list[tuple[str, str]]:
    with PROVINCES_CSV.open(encoding="utf-8", newline="") as fh:
        return [(row["code"].strip(), row["name"].strip()) for row in csv.DictReader(fh)]


def load_provinces(province_model) -> int:
    """Insert or rename provinces from the data file; returns how many rows it wrote."""
    rows = read_provinces()
    existing = dict(province_model.objects.values_list("code", "name"))
    changed = [province_model(code=c, name=n) for c, n in rows if existing.get(c) != n]
    province_model.objects.bulk_create(changed, update_conflicts=True, unique_fields=["code"], update_fields=["name"])
    return len(changed)
