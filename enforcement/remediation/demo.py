"""Demo data of the remediation ladder (filled in below)."""


def seed_remediation() -> str:
    return "skipped"
