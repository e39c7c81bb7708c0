"""Demo data for the sanction ladder (filled in below)."""


def seed_sanction_ladder() -> str:
    return "nothing yet"
