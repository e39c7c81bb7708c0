"""Pages of the enforcement app, one sub-package per subject (DESIGN section 8)."""

from .campaigns.urls import urlpatterns as campaigns_urlpatterns
from .remediation.urls import urlpatterns as remediation_urlpatterns
from .sanctions.urls import urlpatterns as sanctions_urlpatterns

app_name = "enforcement"

urlpatterns: list = [*remediation_urlpatterns, *sanctions_urlpatterns, *campaigns_urlpatterns]
