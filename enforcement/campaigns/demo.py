"""The demo's re-verification campaigns (seed_demo)."""


def seed_campaigns() -> str:
    return "todo"
