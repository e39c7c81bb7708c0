"""Pages of the enforcement app, one sub-package per subject (DESIGN section 8)."""

from .remediation.urls import urlpatterns as remediation_urlpatterns

app_name = "enforcement"

urlpatterns: list = [*remediation_urlpatterns]
