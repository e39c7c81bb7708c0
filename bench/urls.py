"""The URLconf of config.settings.bench: the app's URLs plus the bare keyset view of the wrk run."""

from django.urls import path

from bench.views import bare_points
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [path("bench/bare/points/", bare_points, name="bench_bare_points"), *app_urlpatterns]
