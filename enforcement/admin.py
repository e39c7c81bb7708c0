"""The enforcement app's admin lives in its sub-packages (DESIGN section 8)."""

from .remediation import admin as remediation_admin  # noqa: F401
