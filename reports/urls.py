"""Pages of the reports app, one sub-package per subject (DESIGN section 8)."""

from .dashboard.urls import urlpatterns as dashboard_urlpatterns
from .evidence.urls import urlpatterns as evidence_urlpatterns
from .monthly.urls import urlpatterns as monthly_urlpatterns
from .subjects.urls import urlpatterns as subjects_urlpatterns

app_name = "reports"

urlpatterns = [*dashboard_urlpatterns, *monthly_urlpatterns, *evidence_urlpatterns, *subjects_urlpatterns]
