"""Pages of the enforcement app, one sub-package per subject (DESIGN section 8)."""

app_name = "enforcement"

urlpatterns: list = []
