"""Pages of the enforcement app, one sub-package per subject (DESIGN section 8)."""

from .sanctions.urls import urlpatterns as sanctions_urlpatterns

app_name = "enforcement"

urlpatterns: list = [*sanctions_urlpatterns]
