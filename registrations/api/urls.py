from .flags import urlpatterns as flag_urlpatterns
from .ingest import urlpatterns as ingest_urlpatterns
from .views import urlpatterns as read_urlpatterns

urlpatterns = [*read_urlpatterns, *ingest_urlpatterns, *flag_urlpatterns]
