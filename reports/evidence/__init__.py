"""reports.evidence: see the module docstrings; `ready()` registers what this sub-package adds to other apps."""


def ready() -> None:
    """Called from ReportsConfig.ready(): permissions, navigation, page sections, nightly steps."""
