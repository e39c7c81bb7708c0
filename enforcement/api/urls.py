"""The enforcement app's REST API, one sub-package per subject."""

from ..sanctions.api.urls import urlpatterns as sanctions_urlpatterns

urlpatterns: list = [*sanctions_urlpatterns]
