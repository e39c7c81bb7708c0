"""Pages of the registrations app, one sub-package per subject (DESIGN section 8)."""

from .checks.urls import urlpatterns as checks_urlpatterns
from .imports.urls import urlpatterns as imports_urlpatterns
from .records.urls import urlpatterns as records_urlpatterns

app_name = "registrations"

urlpatterns = [*records_urlpatterns, *imports_urlpatterns, *checks_urlpatterns]
