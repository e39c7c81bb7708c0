"""The reports app's REST API: monthly reports, evidence packs and subscriber requests."""

from ..dashboard.api.urls import urlpatterns as dashboard_urlpatterns
from ..evidence.api.urls import urlpatterns as evidence_urlpatterns
from ..monthly.api.urls import urlpatterns as monthly_urlpatterns
from ..subjects.api.urls import urlpatterns as subjects_urlpatterns

urlpatterns = [*dashboard_urlpatterns, *monthly_urlpatterns, *evidence_urlpatterns, *subjects_urlpatterns]
