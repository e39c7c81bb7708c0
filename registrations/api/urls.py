"""The registrations app's REST API: records (read, reveal), imports (ingest) and checks (flags)."""

from ..checks.api.urls import urlpatterns as checks_urlpatterns
from ..imports.api.urls import urlpatterns as imports_urlpatterns
from ..records.api.urls import urlpatterns as records_urlpatterns

urlpatterns = [*records_urlpatterns, *imports_urlpatterns, *checks_urlpatterns]
