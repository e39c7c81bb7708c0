"""The enforcement app's admin lives in its sub-packages (DESIGN section 8)."""

from .campaigns import admin as campaigns_admin  # noqa: F401
from .remediation import admin as remediation_admin  # noqa: F401
